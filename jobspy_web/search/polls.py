"""A search as the search API's pollers read it: one person's search by id, or their latest
searches, on the event loop over asyncpg on PostgreSQL (infra.pg_reads: the replica when it
serves reads). A client watching a search asks every second or so, so these are the search
API's busiest reads; on SQLite they run through a session in a worker thread, as before.

The searches come back as `SearchView`s: the columns a poll shows, read without the ORM.
"""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import bindparam, select
from sqlmodel import col

from jobspy_web.db import read_session
from jobspy_web.infra import pg_reads
from jobspy_web.models import Search, SearchStatus
from jobspy_web.search import runner

__all__ = ["RECENT_LIMIT", "SearchView", "owned_search", "recent_searches"]

RECENT_LIMIT = 50


@dataclass(frozen=True)
class SearchView:
    """What a poll shows of a search (and what runner.looks_interrupted reads)."""

    id: uuid.UUID
    label: str
    status: SearchStatus
    params: dict[str, Any]
    warnings: list[str]
    site_outcomes: dict[str, Any]
    job_count: int
    heartbeat_at: datetime | None
    created_at: datetime
    finished_at: datetime | None

    @classmethod
    def of(cls, search: Any) -> SearchView:
        return cls(**{name: getattr(search, name) for name in _FIELDS})


_FIELDS = list(SearchView.__dataclass_fields__)
_JSON_FIELDS = {"params", "warnings", "site_outcomes"}
_COLUMNS = [getattr(Search, name) for name in _FIELDS]
_OWNED = pg_reads.Statement(
    select(*_COLUMNS).where(col(Search.id) == bindparam("search_id"), col(Search.owner_id) == bindparam("owner_id"))
)
_RECENT = pg_reads.Statement(
    select(*_COLUMNS)
    .where(col(Search.owner_id) == bindparam("owner_id"))
    .order_by(col(Search.created_at).desc(), col(Search.id))
    .limit(RECENT_LIMIT)
)


def _view(row: Any) -> SearchView:
    values = dict(row)
    for name in _JSON_FIELDS:
        values[name] = orjson.loads(values[name]) if isinstance(values[name], str) else values[name]
    values["status"] = SearchStatus(values["status"])
    return SearchView(**values)


async def owned_search(*, search_id: uuid.UUID, owner_id: uuid.UUID) -> SearchView | None:
    """`owner_id`'s search `search_id`, or None (no such search, or someone else's)."""
    if pg_reads.on_postgresql():
        rows = await pg_reads.fetch(_OWNED, {"search_id": search_id, "owner_id": owner_id})
        return _view(rows[0]) if rows else None

    def read() -> SearchView | None:
        with read_session() as session:
            found = runner.get_search(session=session, search_id=search_id, owner_id=owner_id)
            return SearchView.of(found) if found is not None else None

    return await asyncio.to_thread(read)


async def recent_searches(*, owner_id: uuid.UUID) -> list[SearchView]:
    """`owner_id`'s latest RECENT_LIMIT searches, newest first, as they are stored (a caller
    finding one that runner.looks_interrupted settles it through runner.mark_interrupted)."""
    if pg_reads.on_postgresql():
        return [_view(row) for row in await pg_reads.fetch(_RECENT, {"owner_id": owner_id})]

    def read() -> list[SearchView]:
        with read_session() as session:
            return [SearchView.of(found) for found in runner.recent_searches(session=session, owner_id=owner_id, limit=RECENT_LIMIT)]

    return await asyncio.to_thread(read)
