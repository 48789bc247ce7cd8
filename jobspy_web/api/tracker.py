"""The tracker API for the browser extension, the desktop app and scripts (Bearer: an access
token from POST /auth/token, or a personal API token as is).

POST   /api/tracker/jobs               save a job: 201 {item} new, 200 {item} already tracked
GET    /api/tracker/jobs?stage=a,b     the live items, most recently changed first: {items}
GET    /api/tracker/jobs/{id}          {item}
PATCH  /api/tracker/jobs/{id}          {stage?, notes?, follow_up_on?} -> {item}
DELETE /api/tracker/jobs/{id}          soft delete -> {item} (deleted: true)
GET    /api/tracker/lookup?url=        {found, item | null}, by any of the job's postings' addresses
GET    /api/tracker/export?format=     the tracker as csv | xlsx | json (one of the day's exports)
GET    /api/tracker/changes?since=     {items, next_since}: what changed here, tombstones included
POST   /api/tracker/changes            {items: [...]} applied last-writer-wins -> {results, server_time}

Someone else's item is answered exactly like a missing one: 404 NOT_FOUND.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from jobspy_web.api.auth_guard import require_bearer
from jobspy_web.api.errors import ApiError, parse_body
from jobspy_web.db import read_session, write_session
from jobspy_web.models import TrackerStage
from jobspy_web.models.base import utcnow
from jobspy_web.search.jobs import EXPORT_FORMATS
from jobspy_web.tracker import export, items, sync
from jobspy_web.tracker.inputs import MAX_URL_CHARS, TrackedJobCreate, TrackedJobSync, TrackedJobUpdate

SAVE_BODY_BYTES = 256 * 1024  # a posting's description can run long
PUSH_BODY_BYTES = 4 * 1024 * 1024  # up to sync.MAX_PUSH_ITEMS whole items
STAGE_NAMES = ", ".join(stage.value for stage in TrackerStage)
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "json": "application/json",
}


class SyncPush(BaseModel):
    model_config = ConfigDict(extra="forbid")

    items: list[TrackedJobSync] = Field(max_length=sync.MAX_PUSH_ITEMS)


def _invalid(field: str, sentence: str) -> ApiError:
    return ApiError(422, "INVALID_REQUEST", "Some fields are missing or invalid.", fields={field: sentence})


def _item_id(request: Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.path_params["item_id"])
    except ValueError:
        raise ApiError(404, "NOT_FOUND", "No such job in your tracker.") from None


def _stages(request: Request) -> list[TrackerStage]:
    wanted = [part.strip() for part in request.query_params.get("stage", "").split(",") if part.strip()]
    try:
        return [TrackerStage(stage) for stage in wanted]
    except ValueError:
        raise _invalid("stage", f"Use one or more of: {STAGE_NAMES} (comma-separated).") from None


def _since(request: Request) -> datetime | None:
    text = request.query_params.get("since", "").strip()
    if not text:
        return None
    # An unescaped "+01:00" in a query string arrives as " 01:00".
    text = re.sub(r" (\d{2}:?\d{2})$", r"+\1", text)
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _invalid("since", "Give an ISO 8601 time with its offset, e.g. 2026-12-02T09:30:00Z.") from None
    if moment.tzinfo is None:
        raise _invalid("since", "Give the time's offset too, e.g. 2026-12-02T09:30:00Z.")
    return moment


# Each database call runs in a worker thread: the sessions are synchronous.


def _save(owner_id: uuid.UUID, posting: TrackedJobCreate) -> tuple[dict[str, Any], bool]:
    with write_session() as session:
        outcome = items.save_job(session=session, owner_id=owner_id, posting=posting)
        return {"item": items.public_items(session=session, items=[outcome.item])[0]}, outcome.created


def _list(owner_id: uuid.UUID, stages: list[TrackerStage]) -> dict[str, Any]:
    with read_session() as session:
        found = items.list_items(session=session, owner_id=owner_id, stages=stages)
        return {"items": items.public_items(session=session, items=found)}


def _shown(owner_id: uuid.UUID, item_id: uuid.UUID) -> dict[str, Any]:
    with read_session() as session:
        found = items.get_item(session=session, owner_id=owner_id, item_id=item_id)
        return {"item": items.public_items(session=session, items=[found])[0]}


def _update(owner_id: uuid.UUID, item_id: uuid.UUID, changes: TrackedJobUpdate) -> dict[str, Any]:
    with write_session() as session:
        found = items.update_item(session=session, owner_id=owner_id, item_id=item_id, changes=changes)
        return {"item": items.public_items(session=session, items=[found])[0]}


def _delete(owner_id: uuid.UUID, item_id: uuid.UUID) -> dict[str, Any]:
    with write_session() as session:
        found = items.delete_item(session=session, owner_id=owner_id, item_id=item_id)
        return {"item": items.public_items(session=session, items=[found])[0]}


def _lookup(owner_id: uuid.UUID, url: str) -> dict[str, Any]:
    with read_session() as session:
        found = items.lookup(session=session, owner_id=owner_id, url=url)
        if found is None:
            return {"found": False, "item": None}
        return {"found": True, "item": items.public_items(session=session, items=[found])[0]}


def _changes(owner_id: uuid.UUID, since: datetime | None) -> dict[str, Any]:
    with read_session() as session:
        changes = sync.changes_since(session=session, owner_id=owner_id, since=since)
    return {"items": changes.items, "next_since": changes.next_since.isoformat()}


def _push(owner_id: uuid.UUID, pushed: SyncPush) -> dict[str, Any]:
    now = utcnow()
    with write_session() as session:
        results = sync.apply_changes(session=session, owner_id=owner_id, incoming=pushed.items, now=now)
    return {"results": [result.as_json() for result in results], "server_time": now.isoformat()}


# --- routes ---------------------------------------------------------------------------


async def save_job(request: Request) -> JSONResponse:
    caller = await require_bearer(request)
    posting = await parse_body(request, TrackedJobCreate, limit=SAVE_BODY_BYTES)
    body, created = await run_in_threadpool(_save, caller.user_id, posting)
    headers = {"Location": f"/api/tracker/jobs/{body['item']['id']}"}
    return JSONResponse(body, status_code=201 if created else 200, headers=headers)


async def list_jobs(request: Request) -> JSONResponse:
    caller = await require_bearer(request)
    return JSONResponse(await run_in_threadpool(_list, caller.user_id, _stages(request)))


async def show_job(request: Request) -> JSONResponse:
    caller = await require_bearer(request)
    return JSONResponse(await run_in_threadpool(_shown, caller.user_id, _item_id(request)))


async def update_job(request: Request) -> JSONResponse:
    caller = await require_bearer(request)
    item_id = _item_id(request)
    changes = await parse_body(request, TrackedJobUpdate)
    if not changes.model_fields_set:
        raise _invalid("body", "Send at least one of stage, notes, follow_up_on.")
    return JSONResponse(await run_in_threadpool(_update, caller.user_id, item_id, changes))


async def delete_job(request: Request) -> JSONResponse:
    caller = await require_bearer(request)
    return JSONResponse(await run_in_threadpool(_delete, caller.user_id, _item_id(request)))


async def lookup(request: Request) -> JSONResponse:
    caller = await require_bearer(request)
    url = request.query_params.get("url", "").strip()
    if not url.lower().startswith(("http://", "https://")) or len(url) > MAX_URL_CHARS:
        raise _invalid("url", "Give the posting's full web address (http:// or https://), URL-encoded.")
    return JSONResponse(await run_in_threadpool(_lookup, caller.user_id, url))


async def export_file(request: Request) -> Response:
    caller = await require_bearer(request)
    export_format = request.query_params.get("format", "csv").lower()
    if export_format not in EXPORT_FORMATS:
        raise _invalid("format", f"Use one of: {', '.join(EXPORT_FORMATS)}.")
    data = await export.export_tracker(user_id=caller.user_id, tier=caller.tier, export_format=export_format, stages=_stages(request))
    disposition = f'attachment; filename="tracker.{export_format}"'
    return Response(data, media_type=CONTENT_TYPES[export_format], headers={"Content-Disposition": disposition})


async def list_changes(request: Request) -> JSONResponse:
    caller = await require_bearer(request)
    return JSONResponse(await run_in_threadpool(_changes, caller.user_id, _since(request)))


async def push_changes(request: Request) -> JSONResponse:
    caller = await require_bearer(request)
    pushed = await parse_body(request, SyncPush, limit=PUSH_BODY_BYTES)
    return JSONResponse(await run_in_threadpool(_push, caller.user_id, pushed))


routes = [
    Route("/api/tracker/jobs", save_job, methods=["POST"]),
    Route("/api/tracker/jobs", list_jobs, methods=["GET"]),
    Route("/api/tracker/jobs/{item_id}", show_job, methods=["GET"]),
    Route("/api/tracker/jobs/{item_id}", update_job, methods=["PATCH"]),
    Route("/api/tracker/jobs/{item_id}", delete_job, methods=["DELETE"]),
    Route("/api/tracker/lookup", lookup, methods=["GET"]),
    Route("/api/tracker/export", export_file, methods=["GET"]),
    Route("/api/tracker/changes", list_changes, methods=["GET"]),
    Route("/api/tracker/changes", push_changes, methods=["POST"]),
]
