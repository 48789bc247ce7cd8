"""The replay harness's modes drifted, partial and challenge, on all 8 sites, with
JobSpy's real scrapers (tests/replay/; test_replay.py has the other modes).

What JobSpy makes of them, which these tests pin down:

- drifted: every posting fails JobSpy's per-posting parse, so each is logged
  as a "skipping job: ..." warning and dropped: 0 rows, no error. Google stops
  paging at its first async page with nothing readable, so it reads (and
  skips) at most 20 postings; with 10 or fewer its error is "no job data
  returned".
- partial: the postings at index k * unreadable_every - 1 are dropped the same
  way, the others come back.
- challenge: 0 rows; an error that names the status when it isn't 200; with 200,
  an error that JobSpy words per site (CHALLENGE_ERRORS), none at all for Bayt,
  which reads a page without job cards as the end of the results.

JobSpy sleeps 2-7 s between search pages on LinkedIn, ZipRecruiter, Bayt,
Naukri and BDJobs: no_sleep_between_pages turns that off, as these searches
read a site to its last job.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import requests
from jobspy import scrape_jobs
from jobspy.bayt import Bayt
from jobspy.bdjobs import BDJobs
from jobspy.linkedin import LinkedIn
from jobspy.naukri import Naukri
from jobspy.ziprecruiter import ZipRecruiter

from tests.replay import CHALLENGE_KINDS, MODES, SITE_NAMES, ReplayProxy, SiteBehaviour

SITES = ("indeed", "linkedin", "zip_recruiter", "glassdoor", "google", "bayt", "naukri", "bdjobs")
SEARCH_TERM = "python developer"
LOCATIONS = {"naukri": "Bengaluru", "bdjobs": "Dhaka"}
"""Where each site is searched; Austin, TX for the others."""
JOBS = 20
"""The sites' job count in drifted and partial searches: up to two search pages."""
WANTED = 30
"""More than JOBS: those searches read every posting the site has."""
CHALLENGE_ERRORS = {
    "indeed": "Expecting value: line 1 column 1 (char 0)",
    "linkedin": "unexpected page with no jobs (blocked?)",
    "zip_recruiter": "no jobKeysMap or jobCards or jobCount in the page",
    "glassdoor": "unexpected character, expected a JSON value: line 1 column 1 (char 0)",
    "google": "no job data returned",
    "bayt": None,
    "naukri": "unexpected character, expected a JSON value: line 1 column 1 (char 0)",
    "bdjobs": "Expecting value: line 1 column 1 (char 0)",
}
"""JobSpy's error for a site that answers a challenge page with 200 (None: no error)."""


@pytest.fixture(autouse=True)
def no_sleep_between_pages(monkeypatch: pytest.MonkeyPatch) -> None:
    for scraper in (LinkedIn, ZipRecruiter, Bayt, Naukri, BDJobs):
        monkeypatch.setattr(scraper, "delay", (0, 0))


def search(replay: ReplayProxy, site: str, results_wanted: int = 10, **options: object) -> pd.DataFrame:
    return scrape_jobs(
        site_name=[site],
        search_term=SEARCH_TERM,
        location=LOCATIONS.get(site, "Austin, TX"),
        results_wanted=results_wanted,
        proxies=[replay.url],
        ca_cert=replay.ca_cert_path,
        verbose=1,  # warnings: JobSpy's "skipping job"
        **options,
    )


def skip_warnings(caplog: pytest.LogCaptureFixture, site: str) -> list[str]:
    """The "skipping job: ..." warnings of `site`'s scraper (logger jobspy.<module>)."""
    module = "jobspy." + site.replace("_", "")
    return [record.getMessage() for record in caplog.records if record.name == module and record.getMessage().startswith("skipping job: ")]


def test_the_harness_fakes_all_eight_sites() -> None:
    assert set(SITE_NAMES) == set(SITES)


@pytest.mark.parametrize("site", SITES)
def test_ok_mode_returns_readable_jobs(replay: ReplayProxy, caplog: pytest.LogCaptureFixture, site: str) -> None:
    jobs = search(replay, site)

    assert jobs.attrs["errors"] == {}
    assert len(jobs) == 10
    assert jobs["title"].str.contains("Python Developer").all()
    assert jobs["company"].notna().all()
    assert jobs["job_url"].str.startswith("https://").all()
    assert jobs["job_url"].is_unique
    assert skip_warnings(caplog, site) == []


@pytest.mark.parametrize("site", SITES)
def test_drifted_mode_drops_every_posting(replay: ReplayProxy, caplog: pytest.LogCaptureFixture, site: str) -> None:
    replay.scenario[site] = SiteBehaviour("drifted", jobs=JOBS)

    jobs = search(replay, site, WANTED)

    assert len(jobs) == 0
    assert jobs.attrs["errors"] == {}
    assert len(skip_warnings(caplog, site)) == JOBS


def test_drifted_google_reads_two_pages_at_most(replay: ReplayProxy, caplog: pytest.LogCaptureFixture) -> None:
    replay.scenario["google"] = SiteBehaviour("drifted")

    jobs = search(replay, "google", WANTED)

    assert len(jobs) == 0
    assert jobs.attrs["errors"] == {}
    assert len(skip_warnings(caplog, "google")) == 20


def test_drifted_google_with_one_page_is_an_error(replay: ReplayProxy, caplog: pytest.LogCaptureFixture) -> None:
    replay.scenario["google"] = SiteBehaviour("drifted", jobs=10)

    jobs = search(replay, "google", WANTED)

    assert jobs.attrs["errors"] == {"google": "no job data returned"}
    assert len(skip_warnings(caplog, "google")) == 10


@pytest.mark.parametrize("site", SITES)
@pytest.mark.parametrize("every", [3, 4])
def test_partial_mode_drops_every_nth_posting(replay: ReplayProxy, caplog: pytest.LogCaptureFixture, site: str, every: int) -> None:
    behaviour = SiteBehaviour("partial", jobs=JOBS, unreadable_every=every)
    replay.scenario[site] = behaviour
    unreadable = behaviour.unreadable_among(JOBS)

    jobs = search(replay, site, WANTED)

    assert unreadable == JOBS // every
    assert jobs.attrs["errors"] == {}
    assert len(jobs) == JOBS - unreadable
    assert len(skip_warnings(caplog, site)) == unreadable
    assert jobs["title"].str.contains("Python Developer").all()
    assert jobs["job_url"].is_unique


@pytest.mark.parametrize("site", ["indeed", "linkedin", "glassdoor"])
def test_partial_mode_fills_results_wanted_from_later_postings(replay: ReplayProxy, caplog: pytest.LogCaptureFixture, site: str) -> None:
    replay.scenario[site] = SiteBehaviour("partial", unreadable_every=3)

    jobs = search(replay, site, 10)

    # the 10 readable ones among the first 14; 2, 5, 8 and 11 are skipped
    assert len(jobs) == 10
    assert len(skip_warnings(caplog, site)) == 4


@pytest.mark.parametrize("site", SITES)
@pytest.mark.parametrize("status", [200, 403])
def test_challenge_mode_returns_no_jobs(replay: ReplayProxy, site: str, status: int) -> None:
    replay.scenario[site] = SiteBehaviour("challenge", status=status)

    jobs = search(replay, site)

    assert len(jobs) == 0
    if status == 200:
        expected = CHALLENGE_ERRORS[site]
        assert jobs.attrs["errors"] == ({site: expected} if expected else {})
    else:
        assert "response status code 403" in jobs.attrs["errors"][site]


@pytest.mark.parametrize("kind", CHALLENGE_KINDS)
@pytest.mark.parametrize("site", ["zip_recruiter", "bdjobs"])
def test_every_challenge_kind_blocks_the_search(replay: ReplayProxy, site: str, kind: str) -> None:
    replay.scenario[site] = SiteBehaviour("challenge", challenge_kind=kind)  # type: ignore[arg-type]

    jobs = search(replay, site)

    assert len(jobs) == 0
    assert jobs.attrs["errors"] == {site: CHALLENGE_ERRORS[site]}


@pytest.mark.parametrize(
    ("kind", "markers", "header"),
    [
        (
            "cloudflare",
            ["<title>Just a moment...</title>", "cf-chl", "/cdn-cgi/challenge-platform/", "Enable JavaScript and cookies to continue"],
            ("cf-mitigated", "challenge"),
        ),
        ("captcha", ["<title>Verify you are a human</title>", 'class="g-recaptcha"', "unusual traffic"], None),
        (
            "access_denied",
            ["<TITLE>Access Denied</TITLE>", "You don't have permission to access", "Reference&#32;&#35;18&#46;"],
            ("Server", "AkamaiGHost"),
        ),
    ],
)
def test_challenge_pages_carry_the_usual_markers(
    replay: ReplayProxy, kind: str, markers: list[str], header: tuple[str, str] | None
) -> None:
    replay.scenario["indeed"] = SiteBehaviour("challenge", challenge_kind=kind)  # type: ignore[arg-type]
    via_proxy = {"proxies": {"https": replay.url}, "verify": replay.ca_cert_path, "timeout": 5}

    api = requests.post("https://apis.indeed.com/graphql", json={"query": ""}, **via_proxy)  # type: ignore[arg-type]
    page = requests.get("https://www.indeed.com/jobs?q=python", **via_proxy)  # type: ignore[arg-type]

    for answer in (api, page):
        assert answer.status_code == 200
        assert answer.headers["Content-Type"].startswith("text/html")
        for marker in markers:
            assert marker in answer.text
        if header:
            assert answer.headers[header[0]] == header[1]
    # the same page for the same URL: a run's answers are the same every time
    assert requests.get("https://apis.indeed.com/graphql", **via_proxy).text == api.text  # type: ignore[arg-type]


@pytest.mark.parametrize("site", ["naukri", "bdjobs"])
def test_job_pages_add_descriptions(replay: ReplayProxy, site: str) -> None:
    jobs = search(replay, site, fetch_description=True)

    assert jobs.attrs["errors"] == {}
    assert len(jobs) == 10
    assert jobs["description"].str.contains("Build and run services").all()
    assert jobs["company_description"].notna().all()
    assert jobs["skills"].notna().all()


@pytest.mark.parametrize("site", ["naukri", "bdjobs"])
def test_regional_boards_pay_in_their_currency(replay: ReplayProxy, site: str) -> None:
    jobs = search(replay, site, WANTED)
    paid = jobs[jobs["min_amount"].notna()]

    assert len(paid) > 0
    assert set(paid["currency"]) == {"naukri": {"INR"}, "bdjobs": {"BDT"}}[site]
    assert set(paid["interval"]) == {"naukri": {"yearly"}, "bdjobs": {"monthly"}}[site]
    assert (paid["max_amount"] >= paid["min_amount"]).all()


@pytest.mark.parametrize("site", ["naukri", "bdjobs"])
def test_regional_boards_in_the_other_modes(replay: ReplayProxy, site: str) -> None:
    replay.scenario[site] = SiteBehaviour("status", status=429)
    blocked = search(replay, site)
    replay.scenario[site] = SiteBehaviour("malformed")
    malformed = search(replay, site)
    replay.scenario[site] = SiteBehaviour("empty")
    empty = search(replay, site)
    replay.scenario[site] = SiteBehaviour(jobs=25)
    every_job = search(replay, site, 50)

    assert "response status code 429" in blocked.attrs["errors"][site]
    assert malformed.attrs["errors"][site]
    assert (len(blocked), len(malformed), len(empty)) == (0, 0, 0)
    assert empty.attrs["errors"] == {}
    assert len(every_job) == 25


def test_unreadable_postings_follow_the_rule() -> None:
    partial = SiteBehaviour("partial", unreadable_every=3)

    assert [i for i in range(12) if partial.unreadable(i)] == [2, 5, 8, 11]
    assert partial.unreadable_among(20) == 6
    assert SiteBehaviour("drifted").unreadable_among(7) == 7
    assert SiteBehaviour("partial", unreadable_every=1).unreadable_among(7) == 7
    assert SiteBehaviour().unreadable_among(7) == 0
    assert SiteBehaviour("status").unreadable_among(7) == 0


def test_status_defaults_by_mode() -> None:
    assert SiteBehaviour("status").answer_status == 429
    assert SiteBehaviour("challenge").answer_status == 200
    assert SiteBehaviour("challenge", status=403).answer_status == 403
    assert SiteBehaviour("status", status=503).answer_status == 503


@pytest.mark.parametrize(
    "settings",
    [{"mode": "stale"}, {"unreadable_every": 0}, {"challenge_kind": "turnstile"}, {"status": 1000}],
)
def test_bad_settings_are_refused(settings: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        SiteBehaviour(**settings)  # type: ignore[arg-type]


def test_command_line_help_lists_the_modes() -> None:
    project = Path(__file__).resolve().parents[1]
    shown = subprocess.run(
        [sys.executable, "-m", "tests.replay", "--help"], cwd=project, capture_output=True, text=True, check=True, timeout=30
    ).stdout

    for mode in MODES:
        assert mode in shown
    for kind in CHALLENGE_KINDS:
        assert kind in shown
    assert "--unreadable-every" in shown
    assert "--challenge-kind" in shown
