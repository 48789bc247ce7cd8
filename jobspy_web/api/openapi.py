"""The public JSON API as one OpenAPI 3.1 document (GET /openapi.json) and its docs page
(GET /docs: Swagger UI, served from the swagger-ui-bundle-v2 package's files, no CDN).

Request bodies and query parameters come from the pydantic models the routes parse with,
so the document can't drift from what they accept; answers are described by the fields
clients read. Every error is `{"error": {"code", "message", "fields"?}}` (api.errors).
"""

from __future__ import annotations

import copy
from functools import lru_cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from jobspy_web.api.auth_tokens import TokenRequest
from jobspy_web.api.billing import PortalRequest, PurchaseRequest
from jobspy_web.api.licenses import ActivateRequest
from jobspy_web.api.saved_search_sync import SavedSearchPush
from jobspy_web.api.tracker import CONTENT_TYPES, SyncPush
from jobspy_web.insights.query import InsightsQuery
from jobspy_web.licensing.validate import DeactivateRequest, ValidateRequest
from jobspy_web.models import TrackerStage
from jobspy_web.saved_searches.store import SavedSearchInput
from jobspy_web.search.params import SearchParams
from jobspy_web.tracker.inputs import TrackedJobCreate, TrackedJobUpdate

__all__ = ["openapi_document", "routes"]

OPENAPI_VERSION = "3.1.0"
DOCS_ASSETS = "/docs/assets"

_OBJECT: dict[str, Any] = {"type": "object"}
_ERROR = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["code", "message"],
            "properties": {
                "code": {"type": "string"},
                "message": {"type": "string"},
                "fields": {"type": "object", "additionalProperties": {"type": "string"}},
                "upgrade_url": {"type": "string"},
            },
        }
    },
}
_TEXT_OR_NULL = {"type": ["string", "null"]}
_STAGES = [stage.value for stage in TrackerStage]
_YEARLY = {
    "type": "object",
    "properties": {name: {"type": ["number", "null"]} for name in ("p10", "p25", "p50", "p75", "p90", "mean")},
}
_SCHEMAS: dict[str, Any] = {
    "Error": _ERROR,
    "LicenseAnswer": {
        "type": "object",
        "required": ["valid", "hardware_fp", "checked_at"],
        "properties": {
            "valid": {"type": "boolean"},
            "code": {"type": "string"},
            "reason": {"type": "string"},
            "license_type": {"type": ["string", "null"]},
            "features": {"type": "array", "items": {"type": "string"}},
            "expires_at": {"type": ["string", "null"]},
            "hardware_fp": {"type": "string"},
            "checked_at": {"type": "string"},
        },
    },
    "AccessToken": {
        "type": "object",
        "required": ["access_token", "token_type", "expires_in", "tier"],
        "properties": {
            "access_token": {"type": "string"},
            "token_type": {"const": "Bearer"},
            "expires_in": {"type": "integer"},
            "tier": {"enum": ["free", "pro", "team", "admin"]},
        },
    },
    "Me": {
        "type": "object",
        "required": ["id", "email", "tier"],
        "properties": {"id": {"type": "string"}, "email": {"type": "string"}, "tier": {"type": "string"}},
    },
    "Search": {
        "type": "object",
        "required": ["id", "status", "params", "job_count", "created_at"],
        "properties": {
            "id": {"type": "string"},
            "label": {"type": "string"},
            "status": {"enum": ["queued", "running", "completed", "failed", "cancelled", "interrupted"]},
            "params": _OBJECT,
            "warnings": {"type": "array"},
            "sites": _OBJECT,
            "job_count": {"type": "integer"},
            "created_at": {"type": "string"},
            "finished_at": {"type": ["string", "null"]},
        },
    },
    "SalaryInsights": {
        "type": "object",
        "required": ["query", "as_of", "window", "currency", "yearly", "sample_size", "confidence", "sources", "ignored_params"],
        "properties": {
            "query": _OBJECT,
            "as_of": {"type": "string"},
            "window": {
                "type": "object",
                "properties": {"from": {"type": "string"}, "to": {"type": "string"}, "months": {"type": "integer"}},
            },
            "currency": {"type": "string"},
            "yearly": _YEARLY,
            "sample_size": {"type": "integer"},
            "postings": {"type": "integer"},
            "companies": {"type": "integer"},
            "share_with_pay": {"type": ["number", "null"]},
            "pay_source": {"type": "object", "additionalProperties": {"type": "integer"}},
            "confidence": {"enum": ["high", "medium", "low"]},
            "other_currencies": {"type": "array"},
            "breakdowns": _OBJECT,
            "trend": {"type": "array"},
            "histogram": {"type": "array"},
            "benchmark": {"type": ["object", "null"]},
            "market_vs_benchmark": {"type": ["object", "null"]},
            "providers": {"type": "array"},
            "sources": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["name", "status"],
                    "properties": {"name": {"type": "string"}, "status": {"type": "string"}},
                },
            },
            "ignored_params": {"type": "array", "items": {"type": "string"}},
        },
    },
}


_SCHEMAS |= {
    "TrackedJob": {
        "type": "object",
        "required": ["id", "url", "site", "title", "stage", "stage_dates", "notes", "postings", "created_at", "updated_at", "deleted"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "url": {"type": "string"},
            "site": {"type": "string"},
            "title": {"type": "string"},
            "company": _TEXT_OR_NULL,
            "location": _TEXT_OR_NULL,
            "salary_text": _TEXT_OR_NULL,
            "description": _TEXT_OR_NULL,
            "stage": {"enum": _STAGES},
            "stage_dates": {"type": "object", "additionalProperties": _TEXT_OR_NULL},
            "notes": {"type": "string"},
            "follow_up_on": _TEXT_OR_NULL,
            "job_id": _TEXT_OR_NULL,
            "postings": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["site", "url"],
                    "properties": {"site": {"type": "string"}, "url": {"type": "string"}},
                },
            },
            "created_at": _TEXT_OR_NULL,
            "updated_at": _TEXT_OR_NULL,
            "deleted": {"type": "boolean"},
        },
    },
    "SavedSearch": {
        "type": "object",
        "required": ["id", "name", "search_terms", "locations", "params", "schedule", "schedule_text", "paused", "push"],
        "properties": {
            "id": {"type": "string", "format": "uuid"},
            "name": {"type": "string"},
            "search_terms": {"type": "array", "items": {"type": "string"}},
            "locations": {"type": "array", "items": {"type": "string"}},
            "params": _OBJECT,
            "schedule": {"type": "string"},
            "hour": {"type": "integer"},
            "minute": {"type": "integer"},
            "weekday": {"type": "integer"},
            "timezone": {"type": "string"},
            "schedule_text": {"type": "string"},
            "paused": {"type": "boolean"},
            "next_run_at": _TEXT_OR_NULL,
            "email_digest": {"type": "boolean"},
            "apprise_channels": {"type": "array", "items": {"type": "string"}, "description": "Masked: never the tokens"},
            "push": {"type": "boolean"},
        },
    },
    "Alert": {
        "type": "object",
        "required": ["id", "title", "body", "job_ids", "read", "created_at"],
        "properties": {
            "id": {"type": "string"},
            "title": {"type": "string"},
            "body": {"type": "string"},
            "job_ids": {"type": "array", "items": {"type": "string"}},
            "saved_search_id": _TEXT_OR_NULL,
            "read": {"type": "boolean"},
            "created_at": {"type": "string"},
        },
    },
    "Machines": {
        "type": "object",
        "required": ["max_machines", "machines"],
        "properties": {
            "max_machines": {"type": "integer"},
            "machines": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "name": _TEXT_OR_NULL,
                        "short_fingerprint": {"type": "string"},
                        "app_version": _TEXT_OR_NULL,
                        "first_seen_at": _TEXT_OR_NULL,
                        "last_seen_at": _TEXT_OR_NULL,
                        "this_machine": {"type": "boolean"},
                    },
                },
            },
        },
    },
    "Readiness": {
        "type": "object",
        "required": ["status", "checks", "down"],
        "properties": {
            "status": {"enum": ["ok", "degraded"]},
            "checks": {"type": "object", "additionalProperties": {"type": "string"}},
            "down": {"type": "array", "items": {"type": "string"}},
        },
    },
}


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _answer(**properties: dict[str, Any]) -> dict[str, Any]:
    """A JSON object answer whose every property is always there."""
    return {"type": "object", "required": list(properties), "properties": properties}


_STRING: dict[str, Any] = {"type": "string"}
_SINCE = {"name": "since", "in": "query", "required": False, "schema": _STRING, "description": "ISO 8601 with offset"}


def _changes_path(
    what: str, *, items: dict[str, Any], results: dict[str, Any], push: dict[str, Any], pushed: str, **tag: Any
) -> dict[str, Any]:
    """A syncing client's path (the desktop app's): GET what changed since a time, POST its own changes."""
    return {
        "get": _operation(
            f"What changed in your {what} since a time, tombstones included",
            (200, _answer(items=items, next_since=_STRING)),
            parameters=[_SINCE],
            **tag,
        ),
        "post": _operation(pushed, (200, _answer(results=results, server_time=_STRING)), requestBody=push, **tag),
    }


def _json(schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _body(model: type[BaseModel] | None, defs: dict[str, Any]) -> dict[str, Any]:
    if model is None:
        return {"required": True, "content": {"application/json": {"schema": _OBJECT}}}
    schema = model.model_json_schema(ref_template="#/components/schemas/{model}")
    defs.update(schema.pop("$defs", {}))
    defs[model.__name__] = schema
    return {"required": True, "content": {"application/json": {"schema": _ref(model.__name__)}}}


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema()
    required = set(schema.get("required", ()))
    return [
        {
            "name": name,
            "in": "query",
            "required": name in required,
            "schema": _nullable_removed(prop),
            "description": prop.get("description", ""),
        }
        for name, prop in schema["properties"].items()
    ]


def _nullable_removed(prop: dict[str, Any]) -> dict[str, Any]:
    # A query parameter is absent or a value: `anyOf [X, null]` becomes X.
    prop = {key: value for key, value in prop.items() if key not in ("title", "description", "default")}
    options = [option for option in prop.pop("anyOf", []) if option.get("type") != "null"]
    return {**options[0], **prop} if len(options) == 1 else prop


def _operation(summary: str, ok: tuple[int, dict[str, Any]], *, secured: bool = False, **extra: Any) -> dict[str, Any]:
    status, schema = ok
    operation: dict[str, Any] = {
        "summary": summary,
        "responses": {str(status): _json(schema, summary), "default": _json(_ref("Error"), "A refusal: its code and a sentence")},
        **extra,
    }
    if secured:
        operation["security"] = [{"bearer": []}]
    return operation


def _paths(defs: dict[str, Any]) -> dict[str, Any]:
    search_id = [{"name": "search_id", "in": "path", "required": True, "schema": {"type": "string"}}]
    license_tag, token_tag, search_tag = ["Licenses"], ["Access tokens"], ["Searches"]
    return {
        "/licenses/validate": {
            "post": _operation(
                "Validate a license key on a machine (signed answer)",
                (200, _ref("LicenseAnswer")),
                requestBody=_body(ValidateRequest, defs),
                tags=license_tag,
            )
        },
        "/licenses/activate": {
            "post": _operation(
                "Activate a machine on a license", (200, _ref("LicenseAnswer")), requestBody=_body(ActivateRequest, defs), tags=license_tag
            )
        },
        "/licenses/deactivate": {
            "post": _operation(
                "Free the slot a machine holds", (200, _OBJECT), requestBody=_body(DeactivateRequest, defs), tags=license_tag
            )
        },
        "/licenses/machines": {
            "post": _operation(
                "The machines bound to a license (asked by one of them)",
                (200, _ref("Machines")),
                requestBody=_body(DeactivateRequest, defs),
                tags=license_tag,
            )
        },
        "/licenses/public-key": {"get": _operation("The key license answers are signed with", (200, _OBJECT), tags=license_tag)},
        "/auth/token": {
            "post": _operation(
                "Exchange an API token, email and password, or a license key for an access token",
                (200, _ref("AccessToken")),
                requestBody=_body(TokenRequest, defs),
                tags=token_tag,
            )
        },
        "/.well-known/jwks.json": {"get": _operation("The public keys access tokens verify with", (200, _OBJECT), tags=token_tag)},
        "/auth/me": {"get": _operation("Who the bearer token speaks for", (200, _ref("Me")), secured=True, tags=token_tag)},
        "/api/searches": {
            "post": _operation(
                "Start a search", (202, _ref("Search")), secured=True, requestBody=_body(SearchParams, defs), tags=search_tag
            ),
            "get": _operation(
                "Your recent searches",
                (200, _answer(searches={"type": "array", "items": _ref("Search")})),
                secured=True,
                tags=search_tag,
            ),
        },
        "/api/searches/{search_id}": {
            "get": _operation("One search", (200, _ref("Search")), secured=True, parameters=search_id, tags=search_tag)
        },
        "/api/searches/{search_id}/jobs": {
            "get": _operation(
                "The jobs a search found",
                (200, {"type": "object", "required": ["search_id", "status", "jobs"]}),
                secured=True,
                parameters=search_id,
                tags=search_tag,
            )
        },
        "/api/searches/{search_id}/cancel": {
            "post": _operation("Cancel a running search", (202, _OBJECT), secured=True, parameters=search_id, tags=search_tag)
        },
        "/premium/salary-insights": {
            "get": _operation(
                "Salary insights for a title and place: our postings against the BLS OEWS benchmark",
                (200, _ref("SalaryInsights")),
                secured=True,
                parameters=_query_parameters(InsightsQuery),
                tags=["Premium"],
                description="Pro and Team. Rate limited per person (RateLimit-* headers); cached 24 h by the normalised query "
                "(ETag, If-None-Match: 304). Unknown parameters are refused (422) naming them.",
            )
        },
        "/pricing-plans": {
            "get": _operation("The plans and what each unlocks", (200, {"type": "object", "required": ["plans"]}), tags=["Billing"])
        },
        "/api/boards/health": {"get": _operation("How each job board has been doing", (200, _OBJECT), secured=True, tags=["Searches"])},
        "/webhooks/stripe": {
            "post": _operation("Stripe events (Stripe-Signature checked)", (200, _OBJECT), requestBody=_body(None, defs), tags=["Billing"])
        },
        "/health": {"get": _operation("Liveness", (200, _OBJECT), tags=["Operations"])},
    }


def _item(status: int = 200) -> tuple[int, dict[str, Any]]:
    return status, _answer(item=_ref("TrackedJob"))


def _tracker_paths(defs: dict[str, Any]) -> dict[str, Any]:
    item_id = [{"name": "item_id", "in": "path", "required": True, "schema": {"type": "string"}}]
    stage = {
        "name": "stage",
        "in": "query",
        "required": False,
        "schema": {"type": "string"},
        "description": f"Comma-separated stages: {', '.join(_STAGES)}",
    }
    items = {"type": "array", "items": _ref("TrackedJob")}
    tag: dict[str, Any] = {"secured": True, "tags": ["Tracker"]}
    save = _operation(
        "Save a job to your tracker (201 new, 200 already tracked)", _item(201), requestBody=_body(TrackedJobCreate, defs), **tag
    )
    save["responses"]["200"] = _json(_item()[1], "Already tracked: the item as it is")
    export_formats = {
        CONTENT_TYPES["csv"]: {"schema": {"type": "string"}},
        CONTENT_TYPES["xlsx"]: {"schema": {"type": "string", "format": "binary"}},
    }
    export = _operation("The tracker as a file (one of the day's exports)", (200, _OBJECT), parameters=[stage, _EXPORT_FORMAT], **tag)
    export["responses"]["200"] = {
        "description": "The file",
        "content": {**export_formats, CONTENT_TYPES["json"]: {"schema": {"type": "array", "items": _OBJECT}}},
    }
    sync_result = {
        "type": "object",
        "required": ["id", "status", "item", "note"],
        "properties": {
            "id": {"type": "string"},
            "status": {"enum": ["applied", "unchanged", "conflict", "refused"]},
            "item": {"anyOf": [_ref("TrackedJob"), {"type": "null"}]},
            "note": _TEXT_OR_NULL,
        },
    }
    return {
        "/api/tracker/jobs": {
            "post": save,
            "get": _operation(
                "Your tracked jobs, most recently changed first",
                (200, _answer(items=items)),
                parameters=[stage],
                **tag,
            ),
        },
        "/api/tracker/jobs/{item_id}": {
            "get": _operation("One tracked job", _item(), parameters=item_id, **tag),
            "patch": _operation(
                "Change a tracked job's stage, notes or follow-up date",
                _item(),
                parameters=item_id,
                requestBody=_body(TrackedJobUpdate, defs),
                **tag,
            ),
            "delete": _operation("Remove a tracked job (kept as a tombstone for syncing)", _item(), parameters=item_id, **tag),
        },
        "/api/tracker/lookup": {
            "get": _operation(
                "Is this posting's address in your tracker?",
                (200, _answer(found={"type": "boolean"}, item={"anyOf": [_ref("TrackedJob"), {"type": "null"}]})),
                parameters=[{"name": "url", "in": "query", "required": True, "schema": _STRING}],
                **tag,
            )
        },
        "/api/tracker/export": {"get": export},
        "/api/tracker/changes": _changes_path(
            "tracker",
            items=items,
            results={"type": "array", "items": sync_result},
            push=_body(SyncPush, defs),
            pushed="Push a syncing client's items (last writer wins)",
            **tag,
        ),
    }


_EXPORT_FORMAT = {"name": "format", "in": "query", "required": False, "schema": {"enum": ["csv", "xlsx", "json"]}}


def _alert_paths(defs: dict[str, Any]) -> dict[str, Any]:
    tag: dict[str, Any] = {"secured": True, "tags": ["Saved searches and alerts"]}
    subscription = {
        "type": "object",
        "required": ["endpoint", "keys"],
        "properties": {
            "endpoint": {"type": "string"},
            "keys": {
                "type": "object",
                "required": ["p256dh", "auth"],
                "properties": {"p256dh": {"type": "string"}, "auth": {"type": "string"}},
            },
        },
    }
    return {
        "/api/saved-searches": {
            "get": _operation("Your saved searches", (200, _answer(saved_searches={"type": "array", "items": _ref("SavedSearch")})), **tag),
            "post": _operation(
                "Save a search (a schedule needs Pro)", (201, _ref("SavedSearch")), requestBody=_body(SavedSearchInput, defs), **tag
            ),
        },
        "/api/saved-searches/{saved_search_id}/run": {
            "post": _operation(
                "Run a saved search now",
                (202, _answer(run_id=_STRING)),
                parameters=[{"name": "saved_search_id", "in": "path", "required": True, "schema": _STRING}],
                **tag,
            )
        },
        "/api/saved-searches/changes": _changes_path(  # the desktop app's sync (api/saved_search_sync.py)
            "saved searches",
            items={"type": "array", "items": _OBJECT},
            results={"type": "array", "items": _OBJECT},
            push=_body(SavedSearchPush, defs),
            pushed="Push a syncing client's saved searches (last writer wins; over the plan's limits refused per item)",
            **tag,
        ),
        "/api/alerts": {
            "get": _operation(
                "Your alerts, newest first, and how many are unread",
                (200, _answer(unread={"type": "integer"}, alerts={"type": "array", "items": _ref("Alert")})),
                **tag,
            )
        },
        "/api/push/key": {
            "get": _operation(
                "The VAPID key a browser subscribes to push with",
                (200, _answer(application_server_key=_STRING)),
                tags=tag["tags"],
            )
        },
        "/api/push/subscriptions": {
            "post": _operation(
                "Store the browser's PushSubscription",
                (201, _answer(subscribed={"const": True})),
                requestBody={"required": True, "content": {"application/json": {"schema": subscription}}},
                **tag,
            )
        },
    }


def _more_paths(defs: dict[str, Any]) -> dict[str, Any]:
    billing = ["Billing"]
    url_answer = (200, _answer(url=_STRING))
    checkout = _operation(
        "A Stripe Checkout page for a plan", url_answer, secured=True, requestBody=_body(PurchaseRequest, defs), tags=billing
    )
    portal = _operation("The Stripe billing portal", url_answer, secured=True, requestBody=_body(PortalRequest, defs), tags=billing)
    for operation in (checkout, portal):
        operation["description"] = "With a bearer token the answer is JSON; a browser's form post (session cookie) is redirected (303)."
    ready = _operation("Readiness: the database, Redis and the queue", (200, _ref("Readiness")), tags=["Operations"])
    ready["responses"]["503"] = _json(_ref("Readiness"), "Something it needs is down (named in `down`)")
    return {
        "/ready": {"get": ready},
        "/billing/checkout": {"post": checkout},
        "/billing/portal": {"post": portal},
        "/create-payment-intent": {
            "post": _operation(
                "A PaymentIntent for the pay page (Stripe Elements)",
                (200, _answer(client_secret=_STRING, payment_intent_id=_STRING)),
                secured=True,
                requestBody=_body(PurchaseRequest, defs),
                tags=billing,
            )
        },
    }


@lru_cache(maxsize=1)
def _document() -> dict[str, Any]:
    defs: dict[str, Any] = {}
    paths = _paths(defs) | _tracker_paths(defs) | _alert_paths(defs) | _more_paths(defs)
    return {
        "openapi": OPENAPI_VERSION,
        "info": {
            "title": "JobSpy Web API",
            "version": "1",
            "description": "Licenses for the desktop app, access tokens, searches, the Premium API and billing.",
        },
        "paths": paths,
        "components": {
            "schemas": {**defs, **_SCHEMAS},
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
        },
    }


def openapi_document() -> dict[str, Any]:
    """A copy of the document (callers may change theirs)."""
    return copy.deepcopy(_document())


async def openapi_json(_request: Request) -> JSONResponse:
    return JSONResponse(_document(), headers={"Cache-Control": "public, max-age=300"})


_DOCS_PAGE = f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>JobSpy Web API</title>
<link rel="stylesheet" href="{DOCS_ASSETS}/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="{DOCS_ASSETS}/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script></body></html>
"""
_DOCS_INIT = 'window.ui = SwaggerUIBundle({url: "/openapi.json", dom_id: "#swagger-ui"});\n'


async def docs(_request: Request) -> HTMLResponse:
    return HTMLResponse(_DOCS_PAGE)


async def docs_init(_request: Request) -> Response:
    # A file of our own rather than an inline script: a strict CSP needs no 'unsafe-inline'.
    return Response(_DOCS_INIT, media_type="text/javascript")


def _swagger_folder() -> Path | None:
    try:
        from swagger_ui_bundle import swagger_ui_path
    except ImportError:  # the docs page is optional; the document is not
        return None
    return Path(swagger_ui_path)


def _routes() -> list[BaseRoute]:
    found: list[BaseRoute] = [
        Route("/openapi.json", openapi_json, methods=["GET"]),
        Route("/docs", docs, methods=["GET"]),
        Route("/docs/init.js", docs_init, methods=["GET"]),
    ]
    folder = _swagger_folder()
    if folder is not None:
        found.append(Mount(DOCS_ASSETS, app=StaticFiles(directory=folder)))
    return found


routes = _routes()
