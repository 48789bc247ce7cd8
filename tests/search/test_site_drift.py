"""Changed sites, partly unreadable sites and challenge pages, through the whole pipeline.

Each search runs JobSpy's real scraper for one site in a child process, through the
replay proxy (tests/replay) in mode drifted, partial or challenge, and the outcome the
person sees is checked sentence by sentence: a changed site is never "0 jobs, try a
broader search", a challenge page is a block whatever its status, and a site that
blocks part-way keeps its jobs and says it stopped early.

JobSpy sleeps 2-7 s between search pages on LinkedIn, ZipRecruiter, Bayt, Naukri and
BDJobs, in the child, where a test can't patch it: the searches here fit on one page
(LinkedIn's is 10 postings, the others' 20 or more), except drifted Bayt, which only
stops at an empty page, and the LinkedIn search whose second page is the point.
"""

from __future__ import annotations

import re
import uuid
from typing import Any

import pytest

from jobspy_web.db import read_session, write_session
from jobspy_web.models import Search, SearchStatus
from jobspy_web.search import jobs, runner
from jobspy_web.search.outcomes import HINTS, NO_RESULTS_HINT, FailureReason, SiteState
from jobspy_web.search.params import SITES, parse_search_params
from jobspy_web.settings import reset_process_state
from tests.replay import CHALLENGE_KINDS, ReplayProxy, SiteBehaviour

# SQLite only: these tests are about what sites answer, not the database.
pytestmark = pytest.mark.parametrize("database_url", ["sqlite"], indirect=True)

ALL_SITES = list(SITES)
LOCATIONS = {"naukri": "Bengaluru", "bdjobs": "Dhaka"}
"""Where each site is searched; Austin, TX for the others."""
JOBS = {"linkedin": 8}
"""How many jobs a drifted or partial site has: one search page (LinkedIn's holds 10); 20 elsewhere."""
EVERY = 3
RAW_ERRORS = re.compile(r"HTTPSConnectionPool|Expecting value|validation errors? for|Traceback|Error:|line \d+ column \d+")
"""Exception text that belongs in `detail`, never in the sentence a person reads."""


@pytest.fixture(autouse=True)
def fresh_proxy_health(monkeypatch: pytest.MonkeyPatch) -> None:
    """Challenge pages count against the replay proxy: each test starts with its health unknown."""
    monkeypatch.setenv("REDIS_URL", "")
    reset_process_state()


def job_count(site: str) -> int:
    return JOBS.get(site, 20)


def start(site: str, **raw: Any) -> uuid.UUID:
    params = parse_search_params(
        {"search_term": "python developer", "location": LOCATIONS.get(site, "Austin, TX"), "results_wanted": 10, "site_name": [site], **raw}
    )
    with write_session() as session:
        return runner.create_search(session=session, params=params).id


async def run(site: str, **raw: Any) -> tuple[uuid.UUID, list[runner.SearchEvent], dict[str, Any]]:
    search_id = start(site, **raw)
    events = [event async for event in runner.run_search(search_id)]
    with read_session() as session:
        outcome = session.get(Search, search_id).site_outcomes[site]
    assert_readable(events, outcome)
    return search_id, events, outcome


def assert_readable(events: list[runner.SearchEvent], outcome: dict[str, Any]) -> None:
    """Every sentence shown (each event's and the stored outcome) is free of exception text."""
    shown = [(event.outcome.message, event.outcome.hint) for event in events if event.outcome]
    for message, hint in [*shown, (outcome["message"], outcome["hint"])]:
        assert not RAW_ERRORS.search(message), message
        assert not RAW_ERRORS.search(hint), hint


def assert_blocked_by_a_challenge(outcome: dict[str, Any], site: str, status: int) -> None:
    assert (outcome["state"], outcome["reason"], outcome["count"]) == ("failed", FailureReason.BLOCKED.value, 0), outcome
    assert outcome["message"] == f"{SITES[site]} blocked this server."
    assert outcome["hint"] == HINTS[FailureReason.BLOCKED] and "JOBSPY_PROXIES" in outcome["hint"]
    assert f"challenge page (status {status})" in outcome["detail"]


def stored_jobs(search_id: uuid.UUID) -> int:
    with read_session() as session:
        return jobs.count_search_jobs(session=session, search_id=search_id)


@pytest.mark.parametrize("site", ALL_SITES)
async def test_a_changed_site_says_so_and_is_never_an_empty_result(db, replay: ReplayProxy, site: str) -> None:
    replay.scenario[site] = SiteBehaviour("drifted", jobs=job_count(site))

    search_id, events, outcome = await run(site, results_wanted=30)

    name = SITES[site]
    assert (outcome["state"], outcome["reason"]) == ("failed", FailureReason.SITE_CHANGED.value), outcome
    assert outcome["message"] == f"{name} answered, but in a format this version can't read; the site probably changed."
    assert outcome["hint"] == "Other sites are unaffected; updating python-jobspy usually fixes it."
    assert outcome["count"] == 0 and outcome["hint"] != NO_RESULTS_HINT
    assert "first unreadable posting" in outcome["detail"]
    assert events[-1].status == SearchStatus.FAILED, "not 'completed with 0 jobs'"
    assert stored_jobs(search_id) == 0


async def test_a_changed_site_is_still_a_changed_site_when_jobspy_reports_an_error(db, replay: ReplayProxy) -> None:
    # one page of Google, all unreadable: JobSpy's error is "no job data returned"
    replay.scenario["google"] = SiteBehaviour("drifted", jobs=10)

    _, _, outcome = await run("google", results_wanted=30)

    assert (outcome["state"], outcome["reason"]) == ("failed", FailureReason.SITE_CHANGED.value), outcome
    assert outcome["message"] == "Google answered, but in a format this version can't read; the site probably changed."
    assert "no job data returned" in outcome["detail"]


async def test_a_changed_or_blocking_site_next_to_a_working_one(db, replay: ReplayProxy) -> None:
    replay.scenario["linkedin"] = SiteBehaviour("drifted", jobs=8)
    replay.scenario["bayt"] = SiteBehaviour("challenge")
    search_id = start("indeed", site_name=["indeed", "linkedin", "bayt"])

    events = [event async for event in runner.run_search(search_id)]

    with read_session() as session:
        outcomes = session.get(Search, search_id).site_outcomes
    assert events[-1].status == SearchStatus.COMPLETED
    assert (outcomes["indeed"]["state"], outcomes["indeed"]["count"]) == ("done", 10)
    assert (outcomes["linkedin"]["state"], outcomes["linkedin"]["reason"]) == ("failed", FailureReason.SITE_CHANGED.value)
    assert outcomes["linkedin"]["message"].startswith("LinkedIn answered, but in a format")
    assert_blocked_by_a_challenge(outcomes["bayt"], "bayt", 200)
    for outcome in outcomes.values():
        assert_readable(events, outcome)
    assert stored_jobs(search_id) == 10


@pytest.mark.parametrize("site", ALL_SITES)
async def test_a_partly_unreadable_site_keeps_the_rest_and_counts_what_it_dropped(db, replay: ReplayProxy, site: str) -> None:
    behaviour = SiteBehaviour("partial", jobs=job_count(site), unreadable_every=EVERY)
    replay.scenario[site] = behaviour
    unreadable = behaviour.unreadable_among(behaviour.job_count)
    readable = behaviour.job_count - unreadable
    # results_wanted: every readable posting, no more, so no site asks for a second page;
    # job counts are no multiple of EVERY, so the last posting is readable and every one is read.
    assert behaviour.job_count % EVERY and unreadable == behaviour.job_count // EVERY

    search_id, events, outcome = await run(site, results_wanted=readable)

    assert (outcome["state"], outcome["reason"], outcome["count"]) == ("done", None, readable), outcome
    assert stored_jobs(search_id) == readable
    assert f"{unreadable} of {behaviour.job_count} {SITES[site]} postings could not be read." in outcome["warnings"]
    assert outcome["message"] == "" and outcome["hint"] == ""
    assert events[-1].status == SearchStatus.COMPLETED


@pytest.mark.parametrize("status", [200, 403])
@pytest.mark.parametrize("site", ALL_SITES)
async def test_a_challenge_page_is_a_block_whatever_its_status(db, replay: ReplayProxy, site: str, status: int) -> None:
    replay.scenario[site] = SiteBehaviour("challenge", status=status)

    search_id, events, outcome = await run(site)

    assert_blocked_by_a_challenge(outcome, site, status)
    assert events[-1].status == SearchStatus.FAILED
    assert stored_jobs(search_id) == 0


@pytest.mark.parametrize(("site", "status"), [("indeed", 503), ("linkedin", 429), ("naukri", 503), ("bayt", 503), ("google", 429)])
async def test_a_challenge_page_with_an_error_status_is_a_block_too(db, replay: ReplayProxy, site: str, status: int) -> None:
    """Cloudflare and Akamai also serve their challenges as 503 (and rate limits as 429)."""
    replay.scenario[site] = SiteBehaviour("challenge", status=status)

    _, _, outcome = await run(site)

    assert_blocked_by_a_challenge(outcome, site, status)


@pytest.mark.parametrize(
    ("kind", "site"),
    [
        (kind, site)
        for kind, sites in {"captcha": ["linkedin", "indeed", "naukri"], "access_denied": ["zip_recruiter", "glassdoor", "bdjobs"]}.items()
        for site in sites
    ],
)
async def test_every_kind_of_challenge_page_is_recognised(db, replay: ReplayProxy, kind: str, site: str) -> None:
    assert kind in CHALLENGE_KINDS
    replay.scenario[site] = SiteBehaviour("challenge", challenge_kind=kind)  # type: ignore[arg-type]

    _, _, outcome = await run(site)

    assert_blocked_by_a_challenge(outcome, site, 200)


class BlocksAfter(dict[str, SiteBehaviour]):
    """A scenario in which `site` answers its first `answers` requests normally, then as `then`."""

    def __init__(self, site: str, answers: int, then: SiteBehaviour) -> None:
        super().__init__()
        self.site, self.answers, self.then = site, answers, then

    def get(self, site: str, default: Any = None) -> SiteBehaviour | None:  # type: ignore[override]
        if site == self.site:
            self.answers -= 1
            return SiteBehaviour() if self.answers >= 0 else self.then
        return super().get(site, default)


@pytest.mark.parametrize(
    ("site", "then", "blocked"),
    [
        ("indeed", SiteBehaviour("challenge"), "challenge page (status 200)"),
        ("google", SiteBehaviour("challenge", status=403, challenge_kind="captcha"), "challenge page (status 403)"),
        ("glassdoor", SiteBehaviour("status", status=429), "status 429"),
    ],
)
async def test_a_site_that_blocks_part_way_keeps_its_first_pages(
    db, replay: ReplayProxy, monkeypatch: pytest.MonkeyPatch, site: str, then: SiteBehaviour, blocked: str
) -> None:
    page = {"indeed": 100, "google": 10, "glassdoor": 100}[site]
    first_page = {"glassdoor": 2}.get(site, 1)  # Glassdoor looks the location up first
    monkeypatch.setattr(replay, "scenario", BlocksAfter(site, first_page, then))

    search_id, events, outcome = await run(site, results_wanted=page + 10)

    name = SITES[site]
    assert (outcome["state"], outcome["reason"], outcome["count"]) == ("done", FailureReason.BLOCKED.value, page), outcome
    assert outcome["message"] == f"Stopped early, after {page} jobs: {name} blocked this server."
    assert outcome["hint"] == HINTS[FailureReason.BLOCKED]
    assert blocked in outcome["detail"]
    assert stored_jobs(search_id) == page
    assert events[-1].status == SearchStatus.COMPLETED


async def test_linkedin_blocking_after_its_first_page_keeps_that_page(db, replay: ReplayProxy) -> None:
    search_id = start("linkedin", results_wanted=20)  # two pages of 10, JobSpy's 3-7 s pause between
    events = []
    async for event in runner.run_search(search_id):
        events.append(event)
        if event.jobs_added and event.outcome.state == SiteState.RUNNING and event.outcome.count == 10:
            replay.scenario["linkedin"] = SiteBehaviour("status", status=429)
    with read_session() as session:
        outcome = session.get(Search, search_id).site_outcomes["linkedin"]

    assert_readable(events, outcome)
    assert (outcome["state"], outcome["reason"], outcome["count"]) == ("done", FailureReason.BLOCKED.value, 10), outcome
    assert outcome["message"] == "Stopped early, after 10 jobs: LinkedIn blocked this server."
    assert "status 429" in outcome["detail"]
    assert stored_jobs(search_id) == 10
