"""A search as a queue job: started by name from any web worker, run by whichever worker takes it.

`follow_search` starts (or rejoins) a search and yields its events as they are published on
the broadcast; the job (`run_search_job`) runs `runner.run_search`, publishes each event,
keeps SAQ's heartbeat alive and, when it ends, records the jobs as shown to the owner. A
watcher that hears nothing for a while reads the database: a search whose worker died is
settled as interrupted there (`runner.mark_interrupted`), with the results it had stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import AsyncIterator
from typing import Any

from jobspy_web.db import read_session, write_session
from jobspy_web.infra import queue
from jobspy_web.infra.broadcast import get_broadcast
from jobspy_web.models import Search, SearchStatus
from jobspy_web.search import runner, seen
from jobspy_web.search.outcomes import SiteOutcome

log = logging.getLogger(__name__)

JOB_NAME = "search.run"
# SAQ sweeps a search job silent this long: its worker was killed.
HEARTBEAT_S = 30
# A watcher that has heard nothing this long checks the database.
RECHECK_S = 5.0


def channel(search_id: uuid.UUID) -> str:
    return f"search:{search_id}"


def encode(event: runner.SearchEvent) -> dict[str, Any]:
    return {
        "search_id": str(event.search_id),
        "site": event.site,
        "outcome": event.outcome.as_json() if event.outcome is not None else None,
        "status": event.status.value if event.status is not None else None,
        "jobs_added": event.jobs_added,
    }


def decode(message: dict[str, Any]) -> runner.SearchEvent:
    return runner.SearchEvent(
        uuid.UUID(message["search_id"]),
        message["site"],
        SiteOutcome.from_json(message["outcome"]) if message["outcome"] else None,
        SearchStatus(message["status"]) if message["status"] else None,
        bool(message["jobs_added"]),
    )


async def start_search(search_id: uuid.UUID) -> bool:
    """Queue the search; False when it is already queued or running."""
    return await queue.get_queue().enqueue(JOB_NAME, key=f"search:{search_id}", search_id=str(search_id))


async def follow_search(search_id: uuid.UUID, *, start: bool = True, recheck_s: float = RECHECK_S) -> AsyncIterator[runner.SearchEvent]:
    """Start the search (unless `start` is False) and yield its events until its final one."""
    async with get_broadcast().subscribe(channel(search_id)) as inbox:
        if start:
            await start_search(search_id)
        while True:
            try:
                event = decode(await asyncio.wait_for(inbox.get(), recheck_s))
            except TimeoutError:
                settled = await asyncio.to_thread(_settled_status, search_id)
                if settled is not None:  # finished unheard, or its worker went silent
                    yield runner.SearchEvent(search_id, None, status=settled, jobs_added=True)
                    return
                continue
            yield event
            if event.status is not None:
                return


def _settled_status(search_id: uuid.UUID) -> SearchStatus | None:
    with write_session() as session:
        runner.mark_interrupted(session=session)
    with read_session() as session:
        found = session.get(Search, search_id)
    return None if found is not None and found.status.is_active else (found.status if found else SearchStatus.FAILED)


async def execute(search_id: uuid.UUID, *, record_shown: bool = True) -> SearchStatus:
    """Run a created search to its end, publishing every event; its final status."""
    broadcast = get_broadcast()
    alive = asyncio.create_task(_keep_alive())
    status = SearchStatus.FAILED
    try:
        async for event in runner.run_search(search_id):
            await broadcast.publish(channel(search_id), encode(event))
            if event.status is not None:
                status = event.status
    except Exception:
        log.exception("search %s: the job failed", search_id)
        settled = await asyncio.to_thread(_settled_status, search_id)
        status = settled or SearchStatus.FAILED
        await broadcast.publish(channel(search_id), encode(runner.SearchEvent(search_id, None, status=status, jobs_added=True)))
    finally:
        alive.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await alive
    if record_shown:
        await asyncio.to_thread(_record_shown, search_id)
    return status


def _record_shown(search_id: uuid.UUID) -> None:
    with write_session() as session:
        owner_id = session.get(Search, search_id).owner_id  # type: ignore[union-attr]
        if owner_id is not None:
            seen.record_shown(session=session, user_id=owner_id, search_ids=[search_id])


async def _keep_alive() -> None:
    while True:
        await asyncio.sleep(HEARTBEAT_S / 3)
        try:
            await queue.touch()
        except Exception:  # a Redis blip must not stop the search; the next beat retries
            log.warning("search job heartbeat failed", exc_info=True)


@queue.register(JOB_NAME, heartbeat_s=HEARTBEAT_S)
async def run_search_job(search_id: str) -> str:
    try:
        return (await execute(uuid.UUID(search_id))).value
    except ValueError as error:  # not waiting to run (a retry after a sweep, a duplicate)
        log.warning("search %s: %s", search_id, error)
        return "skipped"
