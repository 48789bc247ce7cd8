"""Saved searches and alerts over HTTP (Bearer JWT), the digest's unsubscribe link (no sign-in:
the token is signed), and the PWA's push subscription."""

from __future__ import annotations

import html
import uuid
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse
from starlette.routing import Route

from jobspy_web.alerts import digest, inbox, webpush
from jobspy_web.api.auth_guard import require_jwt
from jobspy_web.api.errors import ApiError, read_json_object
from jobspy_web.db import read_session, write_session
from jobspy_web.models import Alert, SavedSearch
from jobspy_web.saved_searches import runs, store
from jobspy_web.saved_searches.schedules import Schedule


def saved_public(saved: SavedSearch) -> dict[str, Any]:
    rule = Schedule(saved.schedule, saved.hour, saved.minute, saved.weekday, saved.timezone)
    return {
        "id": str(saved.id),
        "name": saved.name,
        "search_terms": saved.search_terms,
        "locations": saved.locations,
        "params": saved.params,
        "schedule": saved.schedule.value,
        "hour": saved.hour,
        "minute": saved.minute,
        "weekday": saved.weekday,
        "timezone": saved.timezone,
        "schedule_text": rule.describe(),
        "paused": saved.paused,
        "next_run_at": saved.next_run_at.isoformat() if saved.next_run_at else None,
        "email_digest": saved.email_digest,
        "apprise_channels": [store.masked_channel(url) for url in saved.apprise_urls],  # never the tokens
        "push": saved.push,
    }


def alert_public(alert: Alert) -> dict[str, Any]:
    return {
        "id": str(alert.id),
        "title": alert.title,
        "body": alert.body,
        "job_ids": alert.job_ids,
        "saved_search_id": str(alert.saved_search_id) if alert.saved_search_id else None,
        "read": alert.read_at is not None,
        "created_at": alert.created_at.isoformat(),
    }


def _path_id(request: Request, name: str) -> uuid.UUID:
    try:
        return uuid.UUID(request.path_params[name])
    except ValueError:
        raise ApiError(404, "NOT_FOUND", "Not found.") from None


async def list_saved(request: Request) -> JSONResponse:
    claims = await require_jwt(request)

    def work() -> dict[str, Any]:
        with read_session() as session:
            return {
                "saved_searches": [saved_public(saved) for saved in store.list_saved_searches(session=session, owner_id=claims.user_id)]
            }

    return JSONResponse(await run_in_threadpool(work))


async def create_saved(request: Request) -> JSONResponse:
    claims = await require_jwt(request)
    data = store.parse_saved_search(await read_json_object(request))  # 422 naming fields

    def work() -> dict[str, Any]:
        with write_session() as session:
            return saved_public(store.create_saved_search(session=session, owner_id=claims.user_id, tier=claims.tier, data=data))

    return JSONResponse(await run_in_threadpool(work), status_code=201)


async def run_saved(request: Request) -> JSONResponse:
    claims = await require_jwt(request)
    saved_search_id = _path_id(request, "saved_search_id")

    def work() -> uuid.UUID:
        with write_session() as session:
            return runs.request_run(session=session, owner_id=claims.user_id, saved_search_id=saved_search_id).id

    run_id = await run_in_threadpool(work)
    await runs.enqueue_runs([(run_id, claims.tier.value)])
    return JSONResponse({"run_id": str(run_id)}, status_code=202)


async def list_alerts(request: Request) -> JSONResponse:
    claims = await require_jwt(request)

    def work() -> dict[str, Any]:
        with read_session() as session:
            return {
                "unread": inbox.unread_count(session=session, user_id=claims.user_id),
                "alerts": [alert_public(alert) for alert in inbox.list_alerts(session=session, user_id=claims.user_id)],
            }

    return JSONResponse(await run_in_threadpool(work))


async def push_subscribe(request: Request) -> JSONResponse:
    claims = await require_jwt(request)
    body = await read_json_object(request)
    keys = body.get("keys")
    if not isinstance(body.get("endpoint"), str) or not isinstance(keys, dict) or not {"p256dh", "auth"} <= set(keys):
        raise ApiError(422, "INVALID_SUBSCRIPTION", "Send the browser's PushSubscription: endpoint and keys.p256dh, keys.auth.")

    def work() -> None:
        with write_session() as session:
            webpush.subscribe(session=session, user_id=claims.user_id, subscription=body)

    await run_in_threadpool(work)
    return JSONResponse({"subscribed": True}, status_code=201)


async def push_key(_request: Request) -> JSONResponse:
    return JSONResponse({"application_server_key": await run_in_threadpool(webpush.application_server_key)})


async def unsubscribe(request: Request) -> HTMLResponse:
    """The digest's link: works signed out; a bad token is a 400 page saying so."""
    token = request.path_params["token"]

    def work() -> str | None:
        with write_session() as session:
            saved = digest.unsubscribe(session=session, token=token)
            return saved.name if saved is not None else None

    try:
        name = await run_in_threadpool(work)
    except digest.UnsubscribeError as error:
        return HTMLResponse(_page("Link not valid", error.message), status_code=400)
    said = f"You will no longer get email digests for “{html.escape(name)}”." if name else "That saved search no longer exists."
    return HTMLResponse(_page("Unsubscribed", said + " Other channels and the in-app alerts are unchanged."))


def _page(title: str, sentence: str) -> str:
    return (
        f"<!doctype html><html lang='en'><meta charset='utf-8'><title>{title} · JobSpy Web</title>"
        f"<main style='font-family:sans-serif;max-width:36rem;margin:3rem auto'><h1>{title}</h1><p>{sentence}</p>"
        "<p><a href='/saved-searches'>Your saved searches</a></p></main></html>"
    )


routes = [
    Route("/api/saved-searches", list_saved, methods=["GET"]),
    Route("/api/saved-searches", create_saved, methods=["POST"]),
    Route("/api/saved-searches/{saved_search_id}/run", run_saved, methods=["POST"]),
    Route("/api/alerts", list_alerts, methods=["GET"]),
    Route("/api/alerts/unsubscribe/{token}", unsubscribe, methods=["GET"]),
    Route("/api/push/key", push_key, methods=["GET"]),
    Route("/api/push/subscriptions", push_subscribe, methods=["POST"]),
]
