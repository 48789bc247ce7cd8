"""Running saved searches: claiming due schedule slots, and one run from searches to alerts.

One run per slot across any number of workers: `claim_due` moves a saved search's
`next_run_at` on with a conditional UPDATE (only the worker that read the old value wins)
and inserts the run under a unique (saved search, slot). A slot missed while nothing was
running is claimed once when the dispatcher comes back, not once per missed slot.

A run searches every term in every location, then computes what is new for the owner
(`search.seen`: never shown to them, by dedupe identity), marks it all as shown, and leaves
an alert with the new jobs (none when nothing is new) for the channels to deliver.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable, Iterable
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from jobspy_web.alerts import delivery, inbox
from jobspy_web.core import tiers
from jobspy_web.db import write_session
from jobspy_web.infra import queue
from jobspy_web.models import RunStatus, SavedSearch, SavedSearchRun, Search, SearchStatus, User
from jobspy_web.models.base import utcnow
from jobspy_web.saved_searches.schedules import latest_slot, next_slot
from jobspy_web.saved_searches.store import SCHEDULED_FEATURE, SavedSearchError, SavedSearchInput, schedule_of
from jobspy_web.search import runner, seen, tasks

log = logging.getLogger(__name__)

RUN_JOB = "saved_searches.run"
TierOf = Callable[[Session, User], tiers.Tier]
SearchExecutor = Callable[..., Awaitable[SearchStatus]]


def claim_due(*, session: Session, now: datetime, tier_of: TierOf) -> list[tuple[uuid.UUID, str]]:
    """Claim every slot due at `now`: [(run id, owner's tier)] for the runs to start.

    A saved search whose owner is no longer on a plan with scheduled runs moves on without
    running (it runs again once they are).
    """
    due = session.exec(select(SavedSearch).where(col(SavedSearch.next_run_at) <= now, col(SavedSearch.paused).is_(False))).all()
    claimed = []
    for saved in due:
        rule = schedule_of(saved)
        slot, following = latest_slot(rule, now), next_slot(rule, now)
        won = session.execute(
            update(SavedSearch)
            .where(col(SavedSearch.id) == saved.id, col(SavedSearch.next_run_at) == saved.next_run_at)
            # Claiming a slot is no edit of the person's: updated_at (sync's last-writer-wins) stays.
            .values(next_run_at=following, updated_at=col(SavedSearch.updated_at), changed_at=col(SavedSearch.changed_at))
        )
        if not won.rowcount or slot is None:  # type: ignore[attr-defined]
            continue  # another worker claimed it first
        owner = session.get(User, saved.owner_id)
        tier = tier_of(session, owner) if owner is not None else tiers.Tier.FREE
        if owner is None or not owner.is_active or SCHEDULED_FEATURE not in tiers.rules_for(tier).features:
            continue
        run = _insert_run(session, saved.id, slot, manual=False)
        if run is not None:
            claimed.append((run.id, tier.value))
    return claimed


def _insert_run(session: Session, saved_search_id: uuid.UUID, slot: datetime, *, manual: bool) -> SavedSearchRun | None:
    run = SavedSearchRun(saved_search_id=saved_search_id, slot_at=slot, manual=manual)
    try:
        with session.begin_nested():
            session.add(run)
    except IntegrityError:  # this slot ran already (the unique constraint is the last word)
        return None
    return run


def request_run(*, session: Session, owner_id: uuid.UUID, saved_search_id: uuid.UUID, now: datetime | None = None) -> SavedSearchRun:
    """'Run now': a run outside the schedule, owned by the caller."""
    saved = session.get(SavedSearch, saved_search_id)
    if saved is None or saved.owner_id != owner_id:
        raise SavedSearchError("NOT_FOUND")
    run = _insert_run(session, saved.id, now or utcnow(), manual=True)
    assert run is not None  # a fresh instant
    return run


async def enqueue_runs(runs: Iterable[tuple[uuid.UUID, str]]) -> int:
    started = 0
    for run_id, tier in runs:
        started += await queue.get_queue().enqueue(RUN_JOB, key=f"run:{run_id}", run_id=str(run_id), tier=tier)
    return started


async def dispatch_due(*, tier_of: TierOf, now: datetime | None = None) -> int:
    """Claim the due slots and queue their runs: what the per-minute cron job does."""

    def claim() -> list[tuple[uuid.UUID, str]]:
        with write_session() as session:
            return claim_due(session=session, now=now or utcnow(), tier_of=tier_of)

    return await enqueue_runs(await asyncio.to_thread(claim))


def _begin(run_id: uuid.UUID, tier: str) -> tuple[list[uuid.UUID], uuid.UUID] | None:
    """Mark the run running and create its searches (every term in every location)."""
    with write_session() as session:
        run = session.get(SavedSearchRun, run_id)
        saved = session.get(SavedSearch, run.saved_search_id) if run else None
        if run is None or saved is None or run.status is not RunStatus.QUEUED:
            return None
        data = SavedSearchInput.model_validate({name: getattr(saved, name) for name in SavedSearchInput.model_fields})
        search_ids = []
        for term in data.search_terms:
            for location in data.locations or [""]:
                params = data.search_params(term, location)
                if denial := tiers.search_denial(tier, sites=params.site_name, results_wanted=params.results_wanted):
                    run.status, run.error, run.finished_at = RunStatus.FAILED, denial[:600], utcnow()
                    session.add(run)
                    return None
                search_ids.append(runner.create_search(session=session, params=params, owner_id=saved.owner_id).id)
        run.status, run.started_at, run.search_ids = RunStatus.RUNNING, utcnow(), [str(i) for i in search_ids]
        session.add(run)
        return search_ids, saved.owner_id


def _finish(run_id: uuid.UUID, search_ids: list[uuid.UUID], owner_id: uuid.UUID) -> uuid.UUID | None:
    """What is new for the owner, now shown; the alert for it (None when nothing is new)."""
    with write_session() as session:
        run = session.get(SavedSearchRun, run_id)
        saved = session.get(SavedSearch, run.saved_search_id) if run else None
        assert run is not None and saved is not None
        new_jobs = seen.take_unseen(session=session, user_id=owner_id, search_ids=search_ids)
        run.new_job_ids = [str(job_id) for job_id in new_jobs]
        run.job_count = sum(search.job_count for search in (session.get(Search, search_id) for search_id in search_ids) if search)
        run.status, run.finished_at = RunStatus.COMPLETED, utcnow()
        session.add(run)
        if not new_jobs:
            return None
        count = len(new_jobs)
        alert = inbox.create_alert(
            session=session,
            user_id=owner_id,
            title=f"{count} new job{'s' if count != 1 else ''}: {saved.name}"[:200],
            body=f"Your saved search “{saved.name}” found {count} job{'s' if count != 1 else ''} you haven't seen.",
            job_ids=new_jobs,
            saved_search_id=saved.id,
            run_id=run.id,
        )
        delivery.plan_deliveries(session=session, alert=alert, saved=saved)
        return alert.id


def _requeue(run_id: uuid.UUID) -> None:
    with write_session() as session:
        run = session.get(SavedSearchRun, run_id)
        if run is not None and run.status is RunStatus.RUNNING:
            run.status, run.started_at, run.search_ids = RunStatus.QUEUED, None, []
            session.add(run)


def _fail(run_id: uuid.UUID, error: BaseException) -> None:
    with write_session() as session:
        run = session.get(SavedSearchRun, run_id)
        if run is not None:
            run.status, run.finished_at = RunStatus.FAILED, utcnow()
            run.error = f"The run stopped because of an error on our side ({type(error).__name__})."
            session.add(run)


async def execute_run(run_id: uuid.UUID, *, tier: str, execute_search: SearchExecutor | None = None) -> uuid.UUID | None:
    """One run from start to alert; the alert's id when something was new."""
    begun = await asyncio.to_thread(_begin, run_id, tier)
    if begun is None:
        return None
    search_ids, owner_id = begun
    try:
        for search_id in search_ids:  # one at a time: the boards see one person searching
            await (execute_search or tasks.execute)(search_id, record_shown=False)
        alert_id = await asyncio.to_thread(_finish, run_id, search_ids, owner_id)
    except asyncio.CancelledError:
        # The queue took the job back (its worker stopping, or SAQ's sweep): the run waits
        # for its retry instead of staying "running" for ever.
        await asyncio.shield(asyncio.to_thread(_requeue, run_id))
        raise
    except Exception as error:
        log.exception("saved search run %s failed", run_id)
        await asyncio.to_thread(_fail, run_id, error)
        return None
    if alert_id is not None:
        await queue.get_queue().enqueue("alerts.deliver", key=f"alert:{alert_id}", alert_id=str(alert_id))
    return alert_id


@queue.register(RUN_JOB, heartbeat_s=tasks.HEARTBEAT_S, retries=3)
async def run_job(run_id: str, tier: str) -> str | None:
    alert_id = await execute_run(uuid.UUID(run_id), tier=tier)
    return str(alert_id) if alert_id else None
