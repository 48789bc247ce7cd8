"""Saved searches sync for the desktop app and scripts, the tracker sync's shape (api/tracker.py);
Bearer: an access token from POST /auth/token, or a personal API token as is.

GET   /api/saved-searches/changes?since=   {items, next_since}: what changed here, tombstones included
POST  /api/saved-searches/changes          {items: [...]} applied last-writer-wins -> {results, server_time}

An item: {id, updated_at, created_at?, deleted, name, search_terms, locations, params,
schedule, hour, minute, weekday, timezone, paused, email_digest, push} (saved_searches.sync;
a tombstone is {id, updated_at, deleted: true}). Each result: {id, status: applied |
unchanged | conflict | refused, item, note}; the tier's limits refuse single items with a note.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from jobspy_web.api.auth_guard import require_bearer
from jobspy_web.api.errors import parse_body
from jobspy_web.api.tracker import _since as since_param  # the same ?since= rules as the tracker's
from jobspy_web.core.tiers import Tier
from jobspy_web.db import read_session, write_session
from jobspy_web.models.base import utcnow
from jobspy_web.saved_searches import sync

PUSH_BODY_BYTES = 1024 * 1024  # up to sync.MAX_PUSH_ITEMS saved searches


class SavedSearchPush(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[sync.SavedSearchSync] = Field(max_length=sync.MAX_PUSH_ITEMS)


def _changes(owner_id: uuid.UUID, since: datetime | None) -> dict[str, Any]:
    with read_session() as session:
        changes = sync.changes_since(session=session, owner_id=owner_id, since=since)
    return {"items": changes.items, "next_since": changes.next_since.isoformat()}


def _push(owner_id: uuid.UUID, tier: Tier, pushed: SavedSearchPush) -> dict[str, Any]:
    now = utcnow()
    with write_session() as session:
        results = sync.apply_changes(session=session, owner_id=owner_id, tier=tier, incoming=pushed.items, now=now)
    return {"results": [result.as_json() for result in results], "server_time": now.isoformat()}


async def list_changes(request: Request) -> JSONResponse:
    caller = await require_bearer(request)
    return JSONResponse(await run_in_threadpool(_changes, caller.user_id, since_param(request)))


async def push_changes(request: Request) -> JSONResponse:
    caller = await require_bearer(request)
    pushed = await parse_body(request, SavedSearchPush, limit=PUSH_BODY_BYTES)
    return JSONResponse(await run_in_threadpool(_push, caller.user_id, caller.tier, pushed))


routes = [
    Route("/api/saved-searches/changes", list_changes, methods=["GET"]),
    Route("/api/saved-searches/changes", push_changes, methods=["POST"]),
]
