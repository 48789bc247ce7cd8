"""Runs: one per schedule slot however many workers claim it, a missed slot once, only-new alerts."""

import asyncio
import contextlib
import threading
from datetime import UTC, datetime, timedelta

from sqlmodel import select

from jobspy_web.core.tiers import Tier
from jobspy_web.db import read_session, write_session
from jobspy_web.models import Alert, AlertDelivery, Role, RunStatus, SavedSearch, SavedSearchRun
from jobspy_web.saved_searches import runs
from tests.saved_searches.factories import make_user, posting, save, storing

T0 = datetime(2026, 12, 2, 6, 30, tzinfo=UTC)


def pro(_session, _user) -> Tier:
    return Tier.PRO


def claim(now: datetime, tier_of=pro) -> list:
    with write_session() as session:
        return runs.claim_due(session=session, now=now, tier_of=tier_of)


def all_runs() -> list[SavedSearchRun]:
    with read_session() as session:
        return list(session.exec(select(SavedSearchRun)))


def test_a_daily_slot_runs_once_at_its_time_and_not_before(db):
    saved = save(make_user(), schedule="daily", hour=7, minute=0, timezone="UTC", now=T0)
    assert claim(T0 + timedelta(minutes=29)) == []
    [(run_id, tier)] = claim(T0 + timedelta(minutes=30, seconds=5))
    assert tier == "pro"
    assert claim(T0 + timedelta(minutes=31)) == []  # the same slot again: nothing
    [run] = all_runs()
    assert run.id == run_id and run.slot_at == datetime(2026, 12, 2, 7, 0, tzinfo=UTC)
    with read_session() as session:
        assert session.get(SavedSearch, saved.id).next_run_at == datetime(2026, 12, 3, 7, 0, tzinfo=UTC)


def test_slots_missed_while_down_run_once_on_return(db):
    save(make_user(), schedule="hourly", minute=0, now=T0)
    back = T0 + timedelta(hours=6, minutes=10)  # six hourly slots went by unclaimed
    assert len(claim(back)) == 1
    [run] = all_runs()
    assert run.slot_at == datetime(2026, 12, 2, 12, 0, tzinfo=UTC)  # the latest one
    assert claim(back + timedelta(minutes=1)) == []


def test_two_workers_claiming_at_once_start_each_slot_once(db):
    owners = [make_user(f"user{index}@example.com") for index in range(10)]
    for owner in owners:
        save(owner, schedule="hourly", minute=0, now=T0)
    due = T0 + timedelta(minutes=31)
    results: list[list] = []
    start = threading.Barrier(2)

    def worker() -> None:
        start.wait()
        results.append(claim(due))

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sum(len(claimed) for claimed in results) == 10
    assert len(all_runs()) == 10


def test_an_owner_no_longer_on_pro_is_not_run_but_moves_on(db):
    saved = save(make_user(role=Role.FREE), schedule="hourly", now=T0)
    assert claim(T0 + timedelta(hours=1), tier_of=lambda _s, _u: Tier.FREE) == []
    assert all_runs() == []
    with read_session() as session:
        assert session.get(SavedSearch, saved.id).next_run_at > T0 + timedelta(hours=1)


def test_paused_searches_are_not_claimed(db):
    owner = make_user()
    saved = save(owner, schedule="hourly", now=T0)
    with write_session() as session:
        found = session.get(SavedSearch, saved.id)
        found.paused = True
        session.add(found)
    assert claim(T0 + timedelta(hours=2)) == []


def run_now(saved_id, owner, rows_for) -> object:
    with write_session() as session:
        run = runs.request_run(session=session, owner_id=owner, saved_search_id=saved_id)
    return asyncio.run(runs.execute_run(run.id, tier="pro", execute_search=storing(rows_for)))


def test_only_new_jobs_alert_and_a_repost_under_a_new_id_is_not_new(db):
    owner = make_user()
    saved = save(owner, search_terms=["python", "golang"], locations=["Austin, TX"], email_digest=False)
    first = [posting(1), posting(2)]
    first_alert = run_now(saved.id, owner, lambda _search: first)
    with read_session() as session:
        alert = session.get(Alert, first_alert)
        assert len(alert.job_ids) == 2 and alert.title.startswith("2 new jobs")
    # The same board reposts job 1 under a new id and URL; job 3 is really new.
    repost = {**posting(1), "id": "indeed-901", "job_url": "https://indeed.example/jobs/901"}
    second_alert = run_now(saved.id, owner, lambda _search: [repost, posting(2), posting(3)])
    with read_session() as session:
        alert = session.get(Alert, second_alert)
        [run] = session.exec(select(SavedSearchRun).where(SavedSearchRun.id == alert.run_id)).all()
    assert alert.title.startswith("1 new job:")
    assert run.status is RunStatus.COMPLETED and len(run.search_ids) == 2 and run.new_job_ids == alert.job_ids
    # Nothing new: no alert at all.
    assert run_now(saved.id, owner, lambda _search: [posting(2), posting(3)]) is None


def test_jobs_from_an_ordinary_search_count_as_shown(db):
    from jobspy_web.search import jobs, runner, seen
    from jobspy_web.search.params import parse_search_params

    owner = make_user()
    with write_session() as session:
        search = runner.create_search(session=session, params=parse_search_params({"search_term": "python"}), owner_id=owner)
        jobs.store_site_jobs(session=session, search_id=search.id, site="indeed", rows=[posting(7)])
        seen.record_shown(session=session, user_id=owner, search_ids=[search.id])
    saved = save(owner)
    alert_id = run_now(saved.id, owner, lambda _search: [posting(7), posting(8)])
    with read_session() as session:
        assert len(session.get(Alert, alert_id).job_ids) == 1


def test_a_run_plans_one_delivery_per_channel(db):
    owner = make_user()
    saved = save(owner, email_digest=True, apprise_urls=["json://127.0.0.1:9/a", "ntfy://topic"], push=True)
    alert_id = run_now(saved.id, owner, lambda _search: [posting(1)])
    with read_session() as session:
        channels = sorted(d.channel for d in session.exec(select(AlertDelivery).where(AlertDelivery.alert_id == alert_id)))
    assert channels == ["apprise:0", "apprise:1", "email", "push"]


def test_a_run_taken_back_by_the_queue_waits_for_its_retry_and_then_runs(db):
    owner = make_user()
    saved = save(owner, email_digest=False)
    with write_session() as session:
        run = runs.request_run(session=session, owner_id=owner, saved_search_id=saved.id)

    async def cancelled(_search_id, *, record_shown=True):
        raise asyncio.CancelledError  # the worker stops mid-run

    with contextlib.suppress(asyncio.CancelledError):
        asyncio.run(runs.execute_run(run.id, tier="pro", execute_search=cancelled))
    with read_session() as session:
        assert session.get(SavedSearchRun, run.id).status is RunStatus.QUEUED
    alert_id = asyncio.run(runs.execute_run(run.id, tier="pro", execute_search=storing(lambda _search: [posting(1)])))
    with read_session() as session:
        assert session.get(SavedSearchRun, run.id).status is RunStatus.COMPLETED and alert_id is not None
