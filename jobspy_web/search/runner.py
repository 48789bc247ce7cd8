"""Searches: create one, run it across sites concurrently, and report progress as events."""

from __future__ import annotations

import asyncio
import logging
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from opentelemetry import trace
from sqlalchemy import delete
from sqlmodel import Session, col, select

from jobspy_web.db import read_session, write_session
from jobspy_web.infra import metrics, tracing
from jobspy_web.models import Search, SearchJob, SearchStatus
from jobspy_web.models.base import utcnow
from jobspy_web.search import board_health, jobs, proxy_pool, scraping
from jobspy_web.search.outcomes import HINTS, FailureReason, SiteOutcome, SiteState, classify, redact
from jobspy_web.search.params import SearchParams, SearchParamsError
from jobspy_web.settings import get_settings

log = logging.getLogger(__name__)

# How often a running search proves it is alive and looks for a cancel request.
HEARTBEAT_SECONDS = 1.0
# How long a search may wait in the task queue for a free worker before it counts as lost.
QUEUED_PATIENCE = timedelta(minutes=15)


@dataclass(frozen=True)
class SearchEvent:
    """Something the person watching should see: one site moved, or the search ended."""

    search_id: uuid.UUID
    site: str | None
    outcome: SiteOutcome | None = None
    status: SearchStatus | None = None  # set on the final event only
    jobs_added: bool = False  # the site stored rows: the results table should refresh


def create_search(*, session: Session, params: SearchParams, owner_id: uuid.UUID | None = None) -> Search:
    search = Search(
        owner_id=owner_id,
        params=params.model_dump(),
        label=params.label[:300],
        warnings=params.warnings(),
        site_outcomes={site: SiteOutcome(SiteState.QUEUED).as_json() for site in params.site_name},
    )
    session.add(search)
    session.flush()
    return search


def request_cancel(*, session: Session, search_id: uuid.UUID, owner_id: uuid.UUID | None = None) -> bool:
    """Ask a running search to stop; it keeps what it found. False if it isn't running."""
    search = session.get(Search, search_id)
    if search is None or search.owner_id != owner_id or not search.status.is_active:
        return False
    search.cancel_requested = True
    session.add(search)
    return True


def mark_interrupted(*, session: Session, stale_after_s: float | None = None) -> int:
    """Searches whose runner went silent (server restart, crash) become 'interrupted'.

    A search still waiting in the task queue has no runner yet: it is given QUEUED_PATIENCE
    (busy queue workers) before it counts as lost.
    """
    stale_after = _stale_after(stale_after_s)
    cutoff = utcnow() - stale_after
    stale = session.exec(
        select(Search).where(
            ((col(Search.status) == SearchStatus.RUNNING) & ((col(Search.heartbeat_at) < cutoff) | col(Search.heartbeat_at).is_(None)))
            | ((col(Search.status) == SearchStatus.QUEUED) & (col(Search.created_at) < utcnow() - max(stale_after, QUEUED_PATIENCE)))
        )
    ).all()
    for search in stale:
        search.site_outcomes = _settle(search.site_outcomes, SiteState.INTERRUPTED)
        search.status = SearchStatus.INTERRUPTED
        search.finished_at = utcnow()
        session.add(search)
    return len(stale)


def _stale_after(stale_after_s: float | None) -> timedelta:
    return timedelta(seconds=stale_after_s or get_settings().search_heartbeat_timeout_seconds)


def looks_interrupted(search: Search, *, stale_after_s: float | None = None) -> bool:
    """Whether mark_interrupted would settle `search` now (the same rule, on a row already
    read): a reader that finds none among its rows has nothing to mark and needs no write."""
    stale_after = _stale_after(stale_after_s)
    if search.status == SearchStatus.RUNNING:
        return search.heartbeat_at is None or search.heartbeat_at < utcnow() - stale_after
    if search.status == SearchStatus.QUEUED:
        return search.created_at < utcnow() - max(stale_after, QUEUED_PATIENCE)
    return False


def _settle(outcomes: dict[str, Any], state: SiteState, settled: SiteOutcome | None = None) -> dict[str, Any]:
    """Sites still queued or running take `state` (or `settled`); finished ones keep their outcome."""
    return {
        site: outcome
        if outcome["state"] not in (SiteState.QUEUED.value, SiteState.RUNNING.value)
        else (settled or SiteOutcome(state, message=f"search {state.value}")).as_json()
        for site, outcome in outcomes.items()
    }


def recent_searches(*, session: Session, owner_id: uuid.UUID | None = None, limit: int = 20, offset: int = 0) -> list[Search]:
    statement = select(Search).where(Search.owner_id == owner_id).order_by(col(Search.created_at).desc(), col(Search.id))
    return list(session.exec(statement.offset(offset).limit(limit)))


# A new tab (or window) of the search page shows the person's current search: their newest
# search if it is still queued or running (followed live), or if it finished within this
# long (its results). Older than that, the page opens on an empty form: an hour is "what I
# was just doing", while yesterday's search is one click away in History.
CURRENT_SEARCH_WINDOW = timedelta(hours=1)


def current_search(*, session: Session, owner_id: uuid.UUID, now: datetime | None = None) -> Search | None:
    """The owner's search a newly opened search page should show, by the rule above."""
    newest = recent_searches(session=session, owner_id=owner_id, limit=1)
    if not newest:
        return None
    search = newest[0]
    if search.status.is_active:
        return search
    ended = search.finished_at or search.updated_at or search.created_at
    return search if ended >= (now or utcnow()) - CURRENT_SEARCH_WINDOW else None


MAX_LABEL = 300  # searches.label


def rename_search(*, session: Session, search_id: uuid.UUID, owner_id: uuid.UUID, label: str) -> Search | None:
    """Give one of the owner's searches a name of their own; None when it isn't theirs."""
    name = " ".join(label.split())
    if not name or len(name) > MAX_LABEL:
        raise SearchParamsError({"label": f"Name: use 1 to {MAX_LABEL} characters."})
    search = get_search(session=session, search_id=search_id, owner_id=owner_id)
    if search is not None:
        search.label = name
        session.add(search)
    return search


def delete_search(*, session: Session, search_id: uuid.UUID, owner_id: uuid.UUID) -> bool:
    """Forget one of the owner's finished searches and its list of jobs (the jobs stay for
    other searches that found them). False when it isn't theirs or is still running."""
    search = get_search(session=session, search_id=search_id, owner_id=owner_id)
    if search is None or search.status.is_active:
        return False
    session.execute(delete(SearchJob).where(col(SearchJob.search_id) == search_id))
    session.delete(search)
    return True


def get_search(*, session: Session, search_id: uuid.UUID, owner_id: uuid.UUID | None = None) -> Search | None:
    search = session.get(Search, search_id)
    return search if search is not None and search.owner_id == owner_id else None


async def run_search(search_id: uuid.UUID, *, site_timeout_s: float | None = None) -> AsyncIterator[SearchEvent]:
    """Scrape every site of a created search at once, storing jobs as each site answers.

    Yields an event whenever a site starts, finishes or fails, and a last one with the
    search's final status. Closing the iterator early cancels the remaining sites.
    """
    settings = get_settings()
    timeout_s = site_timeout_s or settings.jobspy_site_timeout_seconds
    with write_session() as session:
        search = session.get(Search, search_id)
        if search is None or search.status != SearchStatus.QUEUED:
            raise ValueError(f"search {search_id} is not waiting to run")
        params = SearchParams.model_validate(search.params)
        search.status, search.started_at, search.heartbeat_at = SearchStatus.RUNNING, utcnow(), utcnow()
        session.add(search)

    events: asyncio.Queue[SearchEvent] = asyncio.Queue()
    slots = asyncio.Semaphore(settings.jobspy_max_concurrent_sites)
    # One write at a time from this runner: site outcomes share one JSON column (SQLite has
    # no row locks), and one site's upsert at a time keeps the merge of sources simple.
    write_lock = asyncio.Lock()

    def publish(site: str, outcome: SiteOutcome, *, jobs_added: bool = False) -> None:
        events.put_nowait(SearchEvent(search_id, site, outcome, jobs_added=jobs_added))

    async def run_site(site: str) -> None:
        # Each site a child of the search's span, current in this task so the database and
        # HTTP spans made meanwhile nest under it.
        site_span = tracing.tracer().start_span("search.site", context=search_context, attributes={"search.site": site})
        started = time.monotonic()
        with trace.use_span(site_span, end_on_exit=True):
            try:
                async with slots:
                    outcome = await scrape_and_store(site)
                publish(site, outcome, jobs_added=True)
            except asyncio.CancelledError:
                raise
            except Exception as error:  # a bug of ours: this site fails visibly, the others go on
                log.exception("search %s: the %s runner failed", search_id, site)
                outcome = runner_failure(error)
                async with write_lock:
                    await asyncio.to_thread(_save_outcome, search_id, site, outcome)
                publish(site, outcome)
            reason = outcome.reason.value if outcome.reason else outcome.state.value
            site_span.set_attribute("search.site.outcome", reason)
            metrics.count_site_outcome(site, reason, None if outcome.state == SiteState.SKIPPED else time.monotonic() - started)

    async def scrape_and_store(site: str) -> SiteOutcome:
        if site in refusing and (notice := await asyncio.to_thread(_back_off, site)):
            skipped = SiteOutcome(SiteState.SKIPPED, message=notice, hint=HINTS[FailureReason.BLOCKED])
            async with write_lock:
                await asyncio.to_thread(_save_outcome, search_id, site, skipped)
            return skipped
        kwargs = params.scrape_kwargs(site)
        proxies = await asyncio.to_thread(proxy_pool.usable, site, settings.jobspy_proxies)
        kwargs.update(proxies=proxies or None, ca_cert=settings.jobspy_ca_cert)
        stored = 0

        async def store_page(rows: list[dict[str, Any]]) -> None:
            nonlocal stored
            async with write_lock:
                stored = await asyncio.to_thread(_store_page, search_id, site, rows)
            publish(site, SiteOutcome(SiteState.RUNNING, count=stored), jobs_added=True)

        # The scrape starts first; saying "running" must not delay the results.
        scrape_task = asyncio.create_task(scraping.scrape_site(kwargs, timeout_s=timeout_s, on_page=store_page))
        try:
            async with write_lock:
                await asyncio.to_thread(_save_outcome, search_id, site, SiteOutcome(SiteState.RUNNING))
            publish(site, SiteOutcome(SiteState.RUNNING))
            scrape = await scrape_task
        finally:
            scrape_task.cancel()
        tallies = {proxy: (tally.ok, tally.failed) for proxy, tally in scrape.seen.proxies.items()}
        await asyncio.to_thread(proxy_pool.record, site, tallies)
        async with write_lock:
            return await asyncio.to_thread(_store_and_record, search_id, site, scrape, timeout_s)

    refusing = await asyncio.to_thread(_refusing_sites)  # one query; usually empty
    # Not made current: this generator yields, and a context attached here would be
    # detached in another. The site tasks name it as their parent instead.
    search_span = tracing.tracer().start_span("search", attributes={"search.id": str(search_id), "search.sites": len(params.site_name)})
    search_context = trace.set_span_in_context(search_span)
    tasks = [asyncio.create_task(run_site(site)) for site in params.site_name]
    final_status: SearchStatus | None = None
    settled = 0  # sites done, failed or skipped
    try:
        while final_status is None:
            try:
                event = await asyncio.wait_for(events.get(), HEARTBEAT_SECONDS)
            except TimeoutError:
                if await asyncio.to_thread(_beat, search_id):
                    final_status = await asyncio.to_thread(_finish, search_id, SearchStatus.CANCELLED)
                continue
            yield event
            settled += event.outcome is not None and event.outcome.state in (SiteState.DONE, SiteState.FAILED, SiteState.SKIPPED)
            if settled == len(tasks):
                final_status = await asyncio.to_thread(_finish, search_id, None)
        yield SearchEvent(search_id, None, status=final_status)
    except Exception as error:  # the runner itself broke: say so, never leave it "running"
        log.exception("search %s: the runner failed", search_id)
        final_status = await asyncio.to_thread(_finish, search_id, SearchStatus.FAILED, runner_failure(error))
        raise
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if final_status is None:  # the consumer went away: don't leave it "running"
            # Nobody asked to cancel: it was cut off, so it reads "interrupted" in History.
            final_status = await asyncio.to_thread(_finish, search_id, SearchStatus.INTERRUPTED)
        search_span.set_attribute("search.status", final_status.value)
        search_span.end()
        metrics.count_search(final_status.value)


def _refusing_sites() -> set[str]:
    with read_session() as session:
        return set(board_health.blocked_notices(session=session))


def _back_off(site: str) -> str | None:
    """The sentence to show when `site` has been refusing this server and is left alone for now."""
    with read_session() as session:
        notice = board_health.should_back_off(session=session, site=site)
    return notice.full_text() if notice is not None else None


def runner_failure(error: BaseException) -> SiteOutcome:
    """A site (or the whole search) stopped by a bug in our runner, not by the site."""
    return SiteOutcome(
        SiteState.FAILED,
        reason=FailureReason.ERROR,
        message="The search stopped because of an error on our side.",
        hint=HINTS[FailureReason.ERROR],
        detail=redact(f"{type(error).__name__}: {error}")[:600],
    )


def _save_outcome(search_id: uuid.UUID, site: str, outcome: SiteOutcome, session: Session | None = None) -> None:
    if session is None:
        with write_session() as session:
            return _save_outcome(search_id, site, outcome, session)
    search = session.get(Search, search_id, with_for_update=True)
    assert search is not None
    search.site_outcomes = {**search.site_outcomes, site: outcome.as_json()}
    search.heartbeat_at = utcnow()
    session.add(search)
    return None


def _store_page(search_id: uuid.UUID, site: str, rows: list[dict[str, Any]]) -> int:
    """One page of a site's jobs, visible at once; returns how many the site has linked so far."""
    with write_session() as session:
        jobs.store_site_jobs(session=session, search_id=search_id, site=site, rows=rows)
        linked = _site_job_count(session, search_id, site)
        _save_outcome(search_id, site, SiteOutcome(SiteState.RUNNING, count=linked), session)
    return linked


def _store_and_record(search_id: uuid.UUID, site: str, scrape: scraping.SiteScrape, timeout_s: float) -> SiteOutcome:
    """One transaction: the site's last jobs and its outcome become visible together."""
    with write_session() as session:
        jobs.store_site_jobs(session=session, search_id=search_id, site=site, rows=scrape.rows)
        stored = _site_job_count(session, search_id, site)
        outcome = classify(scrape, stored=stored, timeout_s=timeout_s)
        _save_outcome(search_id, site, outcome, session)
    return outcome


def _site_job_count(session: Session, search_id: uuid.UUID, site: str) -> int:
    links = session.exec(select(SearchJob.sites).where(SearchJob.search_id == search_id))
    return sum(site in sites for sites in links)


def _beat(search_id: uuid.UUID) -> bool:
    """Record that the runner is alive; True when the owner asked to cancel."""
    with write_session() as session:
        search = session.get(Search, search_id)
        assert search is not None
        search.heartbeat_at = utcnow()
        session.add(search)
        return search.cancel_requested


def _finish(search_id: uuid.UUID, forced: SearchStatus | None, failure: SiteOutcome | None = None) -> SearchStatus:
    with write_session() as session:
        search = session.get(Search, search_id, with_for_update=True)
        assert search is not None
        if not search.status.is_active:  # already settled (e.g. by mark_interrupted)
            return search.status
        outcomes = [SiteOutcome.from_json(raw) for raw in search.site_outcomes.values()]
        search.job_count = jobs.count_search_jobs(session=session, search_id=search_id)
        if failure is not None:
            search.status = SearchStatus.FAILED
            search.site_outcomes = _settle(search.site_outcomes, SiteState.FAILED, failure)
        elif forced is not None:
            search.status = forced
            unfinished = SiteState.CANCELLED if forced is SearchStatus.CANCELLED else SiteState.INTERRUPTED
            search.site_outcomes = _settle(search.site_outcomes, unfinished)
        elif search.job_count == 0 and any(o.state in (SiteState.FAILED, SiteState.SKIPPED) for o in outcomes):
            search.status = SearchStatus.FAILED
        else:
            search.status = SearchStatus.COMPLETED
        search.finished_at = utcnow()
        session.add(search)
        return search.status
