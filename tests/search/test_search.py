"""The search pipeline end to end: real JobSpy scrapers, in child processes, through the replay proxy."""

import asyncio
import time
import uuid
from datetime import timedelta

import pytest
import uvloop

from jobspy_web.db import read_session, write_session
from jobspy_web.models import Search, SearchStatus
from jobspy_web.models.base import utcnow
from jobspy_web.search import jobs, proxy_pool, runner
from jobspy_web.search.outcomes import FailureReason, SiteState
from jobspy_web.search.params import parse_search_params
from jobspy_web.settings import get_settings, reset_process_state
from tests.replay import SiteBehaviour


def start(**raw) -> uuid.UUID:
    params = parse_search_params({"search_term": "python developer", "location": "Austin, TX", "results_wanted": 10, **raw})
    with write_session() as session:
        return runner.create_search(session=session, params=params).id


async def collect(search_id, **kwargs) -> list[runner.SearchEvent]:
    return [event async for event in runner.run_search(search_id, **kwargs)]


def final_outcomes(search_id) -> dict:
    with read_session() as session:
        return session.get(Search, search_id).site_outcomes


async def test_sites_report_progress_and_results_are_stored_and_merged(db, replay):
    replay.scenario["glassdoor"] = SiteBehaviour(mode="status", status=429)
    search_id = start(site_name=["indeed", "linkedin", "zip_recruiter", "glassdoor", "google"])

    events = await collect(search_id)

    states = {}
    for event in events[:-1]:
        states.setdefault(event.site, []).append(event.outcome.state)
    # running (perhaps again with each page stored), then one final state
    assert set(states["indeed"][:-1]) == {SiteState.RUNNING} and states["indeed"][-1] == SiteState.DONE
    assert states["glassdoor"] == [SiteState.RUNNING, SiteState.FAILED]
    assert events[-1].status == SearchStatus.COMPLETED
    outcomes = final_outcomes(search_id)
    assert outcomes["glassdoor"]["reason"] == FailureReason.BLOCKED.value
    assert "proxy" in outcomes["glassdoor"]["hint"]
    for site in ("indeed", "linkedin", "zip_recruiter", "google"):
        assert outcomes[site]["state"] == "done" and outcomes[site]["count"] == 10, site
    with read_session() as session:
        rows = jobs.search_rows(session=session, search_id=search_id)
    # Cross-posted jobs appear once, with every board that listed them.
    merged = [row for row in rows if len(row.sites) > 1]
    assert merged, "the replay catalogue cross-posts jobs; some must merge"
    assert len(rows) == 40 - sum(len(row.sites) - 1 for row in merged)
    assert any(row.salary for row in rows)


async def test_a_hung_site_is_stopped_at_its_timeout_and_others_finish(db, replay):
    replay.scenario["glassdoor"] = SiteBehaviour(mode="hang")
    search_id = start(site_name=["indeed", "glassdoor"])

    began = time.perf_counter()
    events = await collect(search_id, site_timeout_s=2)
    elapsed = time.perf_counter() - began

    assert elapsed < 8, "the hung site must not hold the search past its timeout"
    outcomes = final_outcomes(search_id)
    assert outcomes["glassdoor"]["reason"] == "timeout"
    assert outcomes["indeed"]["count"] == 10
    assert events[-1].status == SearchStatus.COMPLETED


async def test_a_fast_site_is_reported_before_a_slow_one_finishes(db, replay):
    replay.scenario["linkedin"] = SiteBehaviour(delay=2.0)
    search_id = start(site_name=["indeed", "linkedin"])

    finished = [event.site for event in await collect(search_id) if event.outcome and event.outcome.state == SiteState.DONE]

    assert finished == ["indeed", "linkedin"]


async def test_every_site_failing_fails_the_search(db, replay):
    replay.scenario["indeed"] = SiteBehaviour(mode="malformed")
    search_id = start(site_name=["indeed"])

    events = await collect(search_id)

    assert events[-1].status == SearchStatus.FAILED
    assert final_outcomes(search_id)["indeed"]["reason"] == "unexpected_response"


async def test_cancel_stops_running_sites_and_keeps_partial_results(pg_db, replay):
    replay.scenario["linkedin"] = SiteBehaviour(delay=30)
    search_id = start(site_name=["indeed", "linkedin"])
    events = []
    began = time.perf_counter()
    async for event in runner.run_search(search_id):
        events.append(event)
        if event.site == "indeed" and event.outcome.state == SiteState.DONE:
            with write_session() as session:
                assert runner.request_cancel(session=session, search_id=search_id)

    assert time.perf_counter() - began < 8
    assert events[-1].status == SearchStatus.CANCELLED
    outcomes = final_outcomes(search_id)
    assert outcomes["indeed"]["count"] == 10
    assert outcomes["linkedin"]["state"] == "cancelled"
    with read_session() as session:
        assert jobs.count_search_jobs(session=session, search_id=search_id) == 10


async def test_closing_the_event_stream_early_leaves_the_search_interrupted_never_cancelled(pg_db, replay):
    replay.scenario["indeed"] = SiteBehaviour(delay=30)
    search_id = start(site_name=["indeed"])
    stream = runner.run_search(search_id)
    await anext(stream)  # indeed: running
    await stream.aclose()
    with read_session() as session:
        assert session.get(Search, search_id).status == SearchStatus.INTERRUPTED  # nobody pressed Cancel
    assert final_outcomes(search_id)["indeed"]["state"] == "interrupted"


def test_cancel_is_refused_for_a_finished_or_foreign_search(db):
    search_id = start()
    with write_session() as session:
        assert not runner.request_cancel(session=session, search_id=search_id, owner_id=uuid.uuid4())
        session.get(Search, search_id).status = SearchStatus.COMPLETED
    with write_session() as session:
        assert not runner.request_cancel(session=session, search_id=search_id)


def test_a_search_cut_off_by_a_restart_shows_as_interrupted_with_its_results(db):
    search_id = start(site_name=["indeed", "linkedin"])
    with write_session() as session:
        running = session.get(Search, search_id)
        running.status = SearchStatus.RUNNING
        running.heartbeat_at = utcnow() - timedelta(minutes=5)
        running.site_outcomes = {**running.site_outcomes, "indeed": {"state": "done", "count": 3}}
        session.add(running)
    fresh_id = start()
    with write_session() as session:
        session.get(Search, fresh_id).heartbeat_at = utcnow()

    with write_session() as session:
        assert runner.mark_interrupted(session=session) == 1

    with read_session() as session:
        interrupted = session.get(Search, search_id)
        assert interrupted.status == SearchStatus.INTERRUPTED
        assert interrupted.site_outcomes["indeed"] == {"state": "done", "count": 3}
        assert interrupted.site_outcomes["linkedin"]["state"] == "interrupted"
        assert session.get(Search, fresh_id).status == SearchStatus.QUEUED


async def test_a_search_runs_only_once(db, replay):
    search_id = start(site_name=["indeed"])
    await collect(search_id)
    with pytest.raises(ValueError, match="not waiting to run"):
        await collect(search_id)


async def test_linkedin_rows_are_stored_page_by_page_before_the_site_finishes(db, replay):
    search_id = start(site_name=["linkedin"], results_wanted=20)  # two pages of 10, JobSpy's pause between
    progress = []
    async for event in runner.run_search(search_id):
        if event.site == "linkedin" and event.jobs_added and event.outcome.state == SiteState.RUNNING:
            with read_session() as session:
                progress.append((event.outcome.count, jobs.count_search_jobs(session=session, search_id=search_id)))

    assert progress[0] == (10, 10), "page 1 is stored and announced while page 2 is still to come"
    assert final_outcomes(search_id)["linkedin"] == {**final_outcomes(search_id)["linkedin"], "state": "done", "count": 20}


async def test_a_bug_in_a_site_runner_fails_that_site_visibly_and_the_search_is_never_cancelled(db, replay, monkeypatch):
    real_store = jobs.store_site_jobs

    def store_breaking_on_linkedin(*, site, **kwargs):
        if site == "linkedin":
            raise RuntimeError("disk on fire")
        return real_store(site=site, **kwargs)

    monkeypatch.setattr(jobs, "store_site_jobs", store_breaking_on_linkedin)
    search_id = start(site_name=["indeed", "linkedin"])

    events = await collect(search_id)

    assert events[-1].status == SearchStatus.COMPLETED
    outcomes = final_outcomes(search_id)
    assert outcomes["indeed"]["count"] == 10
    assert (outcomes["linkedin"]["state"], outcomes["linkedin"]["reason"]) == ("failed", "error")
    assert outcomes["linkedin"]["message"] == "The search stopped because of an error on our side."
    assert "disk on fire" in outcomes["linkedin"]["detail"]


async def test_a_runner_that_dies_fails_the_search_with_a_reason(db, replay, monkeypatch):
    def broken_beat(search_id):
        raise RuntimeError("database went away")

    monkeypatch.setattr(runner, "_beat", broken_beat)
    replay.scenario["indeed"] = SiteBehaviour(delay=3)
    search_id = start(site_name=["indeed"])

    with pytest.raises(RuntimeError, match="database went away"):
        await collect(search_id)

    with read_session() as session:
        failed = session.get(Search, search_id)
        assert failed.status == SearchStatus.FAILED
        assert failed.site_outcomes["indeed"]["message"] == "The search stopped because of an error on our side."


def test_searches_at_the_default_size_finish_under_uvloop_with_the_cpu_loaded(db, replay, busy_cpu):
    """The reported hang: 20 results per site, several sites, granian's loop, a busy CPU."""

    async def run_three():
        ids = [start(site_name=["indeed", "linkedin", "zip_recruiter", "google"], results_wanted=20) for _ in range(3)]
        return ids, await asyncio.gather(*(collect(search_id) for search_id in ids))

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        ids, runs = runner.run(run_three())

    for search_id, events in zip(ids, runs, strict=True):
        assert events[-1].status == SearchStatus.COMPLETED
        outcomes = final_outcomes(search_id)
        assert {site: o["state"] for site, o in outcomes.items()} == dict.fromkeys(outcomes, "done"), outcomes


async def test_a_dead_proxy_is_set_aside_and_the_site_goes_on_through_the_others(db, replay, monkeypatch):
    monkeypatch.setenv("JOBSPY_PROXIES", f"http://127.0.0.1:9,{replay.url}")  # port 9: nothing listens
    reset_process_state()
    search_id = start(site_name=["indeed", "linkedin"])

    events = await collect(search_id)

    assert events[-1].status == SearchStatus.COMPLETED
    assert {site: o["count"] for site, o in final_outcomes(search_id).items()} == {"indeed": 10, "linkedin": 10}
    health = {entry.proxy: {site.site: site for site in entry.sites} for entry in proxy_pool.status(get_settings().jobspy_proxies)}
    assert health["127.0.0.1:9"]["indeed"].failed >= 1 and health["127.0.0.1:9"]["indeed"].ok == 0


async def test_a_board_that_keeps_blocking_is_skipped_with_a_sentence_saying_so(db, replay):
    replay.scenario["glassdoor"] = SiteBehaviour(mode="status", status=403)
    for _ in range(3):
        await collect(start(site_name=["glassdoor"]))
    search_id = start(site_name=["indeed", "glassdoor"])

    events = await collect(search_id)

    outcomes = final_outcomes(search_id)
    assert outcomes["glassdoor"]["state"] == "skipped"
    assert "Glassdoor has been blocking this server" in outcomes["glassdoor"]["message"]
    assert outcomes["indeed"]["count"] == 10
    assert events[-1].status == SearchStatus.COMPLETED
