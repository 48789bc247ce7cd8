"""The search API for desktop clients and scripts (Bearer JWT): start, watch, read, cancel.

A search started here goes to the task queue, exactly as one started from the page; its
progress is read back from the database, so any worker can answer.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from anyio import CapacityLimiter, to_thread
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from jobspy_web.accounts.jwt_tokens import AccessClaims
from jobspy_web.api.auth_guard import require_jwt
from jobspy_web.api.errors import ApiError, raise_if_limited, read_json_object
from jobspy_web.api.usage_logging import logged
from jobspy_web.core import tiers
from jobspy_web.db import read_session, write_session
from jobspy_web.infra import rate_limits
from jobspy_web.infra.connection_sets import PerLoop
from jobspy_web.models import Search
from jobspy_web.search import jobs, polls, runner, tasks
from jobspy_web.search.params import SearchParams, parse_search_params

log = logging.getLogger(__name__)


def _public(found: Search | polls.SearchView) -> dict[str, Any]:
    return {
        "id": str(found.id),
        "label": found.label,
        "status": found.status.value,
        "params": found.params,
        "warnings": found.warnings,
        "sites": found.site_outcomes,
        "job_count": found.job_count,
        "created_at": found.created_at.isoformat(),
        "finished_at": found.finished_at.isoformat() if found.finished_at else None,
    }


def _search_id(request: Request) -> uuid.UUID:
    try:
        return uuid.UUID(request.path_params["search_id"])
    except ValueError:
        raise ApiError(404, "NOT_FOUND", "No such search.") from None


def _owned(session: Any, request: Request, owner_id: uuid.UUID) -> Search:
    found = runner.get_search(session=session, search_id=_search_id(request), owner_id=owner_id)
    if found is None:  # someone else's search looks exactly like a missing one
        raise ApiError(404, "NOT_FOUND", "No such search.")
    return found


async def _caller(request: Request, *, starting: bool = False) -> AccessClaims:
    """The verified caller, counted against their tier's search API limits (429 past them)."""
    claims = await require_jwt(request)
    tier = tiers.Tier(claims.tier)
    checks = [rate_limits.Check(f"{tiers.SEARCH_API_CALLS_PER_MINUTE[tier]}/minute", ("search-api", str(claims.user_id)))]
    if starting:
        checks.append(rate_limits.Check(f"{tiers.SEARCH_API_STARTS_PER_HOUR[tier]}/hour", ("search-api-start", str(claims.user_id))))
    raise_if_limited((await rate_limits.hit_each(checks))[0], what="search API calls")
    return claims


async def start_search(request: Request) -> JSONResponse:
    claims = await _caller(request, starting=True)
    params = parse_search_params(await read_json_object(request))  # SearchParamsError: a 422 naming fields
    if denial := tiers.search_denial(claims.tier, sites=params.site_name, results_wanted=params.results_wanted):
        raise ApiError(403, "TIER_LIMIT", denial)
    created = await _in_thread(_create, params, claims.user_id)
    await tasks.start_search(created.id)  # a queue worker runs it (in-process without Redis)
    return JSONResponse(_public(created), status_code=202, headers={"Location": f"/api/searches/{created.id}"})


# Each database call below runs in a worker thread: the sessions are synchronous, and on
# the event loop they would stall every other request (and running search) meanwhile. At
# most DATABASE_THREADS of them at once per worker, fewer than the engine's pool keeps
# (db.make_engine: 10): with anyio's 40 threads, a burst of polls overflowed the pool, and
# each overflow connection was opened for one read and closed again (bench/load.py: a poll
# cost ~2.4 ms of CPU), the threads fighting for the GIL meanwhile.
DATABASE_THREADS = 8
_database_threads = PerLoop(lambda: CapacityLimiter(DATABASE_THREADS))


async def _in_thread(work: Any, *args: Any) -> Any:
    return await to_thread.run_sync(work, *args, limiter=_database_threads.get())


def _create(params: SearchParams, owner_id: uuid.UUID) -> Search:
    with write_session() as session:
        return runner.create_search(session=session, params=params, owner_id=owner_id)


def _settled_recent(owner_id: uuid.UUID) -> list[Search]:
    # Searches whose runner went silent are shown settled: marked (a write on the primary)
    # only when the list holds one, not on every call, then read again from the primary.
    with write_session() as session:
        runner.mark_interrupted(session=session)
    with read_session(fresh=True) as session:
        return runner.recent_searches(session=session, owner_id=owner_id, limit=polls.RECENT_LIMIT)


def _jobs(request: Request, owner_id: uuid.UUID) -> dict[str, Any]:
    with read_session() as session:
        found = _owned(session, request, owner_id)
        rows = jobs.search_rows(session=session, search_id=found.id)
        return {"search_id": str(found.id), "status": found.status.value, "jobs": [row.as_json() for row in rows]}


def _cancel(request: Request, owner_id: uuid.UUID) -> dict[str, Any]:
    with write_session() as session:
        found = _owned(session, request, owner_id)
        if not runner.request_cancel(session=session, search_id=found.id, owner_id=owner_id):
            raise ApiError(409, "NOT_RUNNING", "This search has already finished.")
    return {"id": str(found.id), "cancelling": True}


async def list_searches(request: Request) -> JSONResponse:
    claims = await _caller(request)
    found: list[Any] = await polls.recent_searches(owner_id=claims.user_id)
    if any(runner.looks_interrupted(item) for item in found):
        found = await _in_thread(_settled_recent, claims.user_id)
    return JSONResponse({"searches": [_public(item) for item in found]})


async def show_search(request: Request) -> JSONResponse:
    claims = await _caller(request)
    found = await polls.owned_search(search_id=_search_id(request), owner_id=claims.user_id)
    if found is None:  # someone else's search looks exactly like a missing one
        raise ApiError(404, "NOT_FOUND", "No such search.")
    return JSONResponse(_public(found))


async def search_jobs(request: Request) -> JSONResponse:
    claims = await _caller(request)
    return JSONResponse(await _in_thread(_jobs, request, claims.user_id))


async def cancel_search(request: Request) -> JSONResponse:
    claims = await _caller(request)
    return JSONResponse(await _in_thread(_cancel, request, claims.user_id), status_code=202)


# Each call is logged to api_usage (api.usage_logging).
routes = [
    Route("/api/searches", start_search, methods=["POST"]),
    Route("/api/searches", list_searches, methods=["GET"]),
    Route("/api/searches/{search_id}", show_search, methods=["GET"]),
    Route("/api/searches/{search_id}/jobs", search_jobs, methods=["GET"]),
    Route("/api/searches/{search_id}/cancel", cancel_search, methods=["POST"]),
]
routes = [logged(route) for route in routes]
