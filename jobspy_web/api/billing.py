"""Plans, payments and Stripe's webhooks over HTTP.

  GET  /pricing-plans          public: {"payments_enabled", "plans": [plan, ...]}
  POST /billing/checkout       form {plan_id, attempt?} -> 303 to Stripe Checkout
  POST /billing/portal         form {attempt?}          -> 303 to the Stripe Customer Portal
  POST /create-payment-intent  {plan_id, attempt?}      -> {client_secret, payment_intent_id}
  POST /webhooks/stripe        Stripe's signed events   -> {"received": true, "outcome"}

The three POSTs a person makes need a sign-in: the session cookie (same-origin only) or
`Authorization: Bearer <jwt>`. With a bearer token, checkout and portal answer
{"url": ...} instead of redirecting. A form post that fails is sent back to its page
with ?error=<code>; a JSON request gets {"error": {"code", "message"}}.
"""

from __future__ import annotations

import logging
import time
import uuid
from typing import Any

import stripe
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.exc import SQLAlchemyError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from jobspy_web.accounts import login_sessions
from jobspy_web.api.auth_guard import require_jwt
from jobspy_web.api.auth_web import same_origin
from jobspy_web.api.errors import ApiError, decode_json, parse_body, read_body, read_form
from jobspy_web.billing import checkout, webhooks
from jobspy_web.billing.checkout import BillingError
from jobspy_web.billing.plans import all_plans
from jobspy_web.billing.stripe_client import payments_configured
from jobspy_web.db import write_session
from jobspy_web.infra import metrics
from jobspy_web.models import User
from jobspy_web.settings import get_settings

log = logging.getLogger(__name__)

SIGNATURE_TOLERANCE_S = 300  # both ways: an old signature is a replay, a future one a forgery or a broken clock
MAX_EVENT_BYTES = 1024 * 1024
MAX_EVENT_DEPTH = 64  # Stripe's objects nest under 10 deep
ATTEMPT_PATTERN = r"^[A-Za-z0-9_-]{0,64}$"


class PurchaseRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    plan_id: str = Field(min_length=1, max_length=64)
    # One per page visit, so a double click reuses Stripe's idempotency key.
    attempt: str = Field("", pattern=ATTEMPT_PATTERN)


class PortalRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    attempt: str = Field("", pattern=ATTEMPT_PATTERN)


# --- who is asking ------------------------------------------------------------------


def _user_for_cookie(secret: str) -> uuid.UUID | None:
    with write_session() as session:  # a read that may refresh the sign-in's last_seen_at
        user = login_sessions.user_for_secret(session=session, secret=secret)
        return user.id if user else None


async def _signed_in(request: Request) -> uuid.UUID:
    if request.headers.get("authorization"):
        return (await require_jwt(request)).user_id
    if not same_origin(request):
        raise ApiError(403, "CSRF", "That request came from another site, so we ignored it.")
    user_id = await run_in_threadpool(_user_for_cookie, request.cookies.get(login_sessions.COOKIE_NAME, ""))
    if user_id is None:
        raise ApiError(401, "NOT_SIGNED_IN", "Sign in first.")
    return user_id


def _as_user(user_id: uuid.UUID, action: Any, **arguments: Any) -> Any:
    """Run a billing verb for the user. A BillingError is returned, not raised, so the
    transaction still commits what came before it (a new Stripe customer's id)."""
    with write_session() as session:
        user = session.get(User, user_id)
        if user is None or not user.is_active:
            return ApiError(401, "NOT_SIGNED_IN", "Sign in first.")
        try:
            return action(session=session, user=user, **arguments)
        except BillingError as error:
            return error


async def _redirect_or_url(request: Request, action: Any, back_to: str, model: type[BaseModel]) -> Response:
    """Checkout and portal: a browser's form post is redirected; an API client gets JSON."""
    as_json = bool(request.headers.get("authorization"))
    if as_json:
        user_id = await _signed_in(request)
        fields = (await parse_body(request, model)).model_dump()
    else:
        try:
            user_id = await _signed_in(request)
        except ApiError as error:
            target = f"/login?next={back_to}" if error.status == 401 else f"{back_to}?error={error.code}"
            return RedirectResponse(target, status_code=303)
        form = await read_form(request)
        try:
            fields = model.model_validate({name: form.get(name, "") for name in model.model_fields}).model_dump()
        except ValueError:
            return RedirectResponse(f"{back_to}?error=INVALID_REQUEST", status_code=303)
    result = await run_in_threadpool(_as_user, user_id, action, **fields)
    if isinstance(result, ApiError):
        if as_json:
            raise result
        return RedirectResponse(f"/login?next={back_to}", status_code=303)
    if isinstance(result, BillingError):
        if as_json:
            raise result  # answered by api.errors, like every DomainError
        return RedirectResponse(f"{back_to}?error={result.code_text}", status_code=303)
    return JSONResponse({"url": result}) if as_json else RedirectResponse(result, status_code=303)


# --- routes ---------------------------------------------------------------------------


async def pricing_plans(_request: Request) -> Response:
    return Response(_pricing_body(), media_type="application/json", headers={"Cache-Control": "public, max-age=60"})


# The plans follow from the settings alone: rendered once per settings object (~50 us each
# time otherwise; the Pricing page and every client read them).
_rendered: tuple[object, bytes] | None = None


def _pricing_body() -> bytes:
    global _rendered
    settings, rendered = get_settings(), _rendered
    if rendered is None or rendered[0] is not settings:
        enabled = payments_configured()
        plans = [{**plan.as_json(), "purchasable": enabled and plan.for_sale} for plan in all_plans()]
        rendered = _rendered = (settings, bytes(JSONResponse({"payments_enabled": enabled, "plans": plans}).body))
    return rendered[1]


async def start_checkout(request: Request) -> Response:
    return await _redirect_or_url(request, checkout.start_checkout, "/pricing", PurchaseRequest)


async def portal(request: Request) -> Response:
    return await _redirect_or_url(request, checkout.open_portal, "/billing", PortalRequest)


async def create_payment_intent(request: Request) -> JSONResponse:
    user_id = await _signed_in(request)
    body = await parse_body(request, PurchaseRequest)
    result = await run_in_threadpool(_as_user, user_id, checkout.create_payment_intent, plan_id=body.plan_id, attempt=body.attempt)
    if isinstance(result, ApiError | BillingError):
        raise result
    return JSONResponse(
        {"client_secret": result.client_secret, "payment_intent_id": result.payment_intent_id}, headers={"Cache-Control": "no-store"}
    )


def _signed_at(header: str) -> int:
    """The `t=` of a Stripe-Signature header that stripe.WebhookSignature already verified
    (read the way it reads it: the first `t`)."""
    return int(next(item.split("=", 2)[1] for item in header.split(",") if item.split("=", 2)[0] == "t"))


def _is_event(body: Any) -> bool:
    """An event's envelope: an id, a type and data.object (its fields are handle_event's)."""
    data = body.get("data") if isinstance(body, dict) else None
    return (
        isinstance(data, dict) and isinstance(data.get("object"), dict) and all(isinstance(body.get(name), str) for name in ("id", "type"))
    )


def _verified_event(payload: bytes, header: str | None, secret: str) -> dict[str, Any]:
    """The event Stripe signed, as a dict: 400 if the signature is wrong, older or newer
    than SIGNATURE_TOLERANCE_S, or the body is not an event's envelope."""
    try:
        text = payload.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, "MALFORMED_EVENT", "The body is not a Stripe event: it is not UTF-8.") from None
    try:
        stripe.WebhookSignature.verify_header(text, header, secret, tolerance=SIGNATURE_TOLERANCE_S)
    except stripe.SignatureVerificationError:
        raise ApiError(400, "BAD_SIGNATURE", "The Stripe-Signature header is missing, wrong or too old.") from None
    assert header is not None  # verify_header refuses a missing one
    # The SDK only refuses old timestamps; one from the future is as suspect.
    if _signed_at(header) > time.time() + SIGNATURE_TOLERANCE_S:
        raise ApiError(400, "BAD_SIGNATURE", "The Stripe-Signature header is dated in the future.")
    try:
        # Our bounded parser, not the SDK's json.loads: no RecursionError, no 4,300-digit ints.
        body = decode_json(payload, max_depth=MAX_EVENT_DEPTH)
    except ApiError:
        raise ApiError(400, "MALFORMED_EVENT", "The body is not a Stripe event: it is not JSON we can read.") from None
    if not _is_event(body):
        raise ApiError(400, "MALFORMED_EVENT", "The body is not a Stripe event.")
    return body


async def stripe_webhook(request: Request) -> JSONResponse:
    secret = get_settings().stripe_webhook_secret.get_secret_value()
    if not secret:
        # Not 2xx: Stripe keeps the event and retries once the secret is configured.
        raise ApiError(503, "WEBHOOKS_NOT_CONFIGURED", "STRIPE_WEBHOOK_SECRET is not set on this server.")
    payload = await read_body(request, limit=MAX_EVENT_BYTES)
    body = _verified_event(payload, request.headers.get("stripe-signature"), secret)
    # Signed by Stripe, so any shape it has is answered 2xx (else Stripe retries it for
    # days): handle_event checks the fields it reads and ignores an event they don't fit.
    if body.get("type") not in webhooks.HANDLED_TYPES:
        # Most of what Stripe sends: handle_event would ignore it at once, so no worker
        # thread for it (a thread's hand-over costs more than the rest of the request).
        metrics.count_webhook("other", webhooks.WebhookOutcome.IGNORED)
        return JSONResponse({"received": True, "outcome": webhooks.WebhookOutcome.IGNORED})
    try:
        outcome = await run_in_threadpool(webhooks.handle_event, body)
    except stripe.StripeError as error:
        metrics.count_webhook(_event_type(body), "failed")
        log.warning("stripe event %s: Stripe unreachable (%s); it will be retried", body["id"], type(error).__name__)
        raise ApiError(503, "STRIPE_UNAVAILABLE", "Could not reach Stripe; deliver this event again.") from None
    except SQLAlchemyError as error:
        metrics.count_webhook(_event_type(body), "failed")
        log.warning("stripe event %s: database busy (%s); it will be retried", body["id"], type(error).__name__)
        raise ApiError(503, "TRY_AGAIN", "The event could not be stored now; deliver it again.") from None
    metrics.count_webhook(_event_type(body), outcome)
    return JSONResponse({"received": True, "outcome": outcome})


def _event_type(body: dict[str, Any]) -> str:
    # Types we don't handle share one series: the label stays a short, known list.
    event_type = body.get("type")
    return event_type if event_type in webhooks.HANDLED_TYPES else "other"


routes = [
    Route("/pricing-plans", pricing_plans, methods=["GET"]),
    Route("/billing/checkout", start_checkout, methods=["POST"]),
    Route("/billing/portal", portal, methods=["POST"]),
    Route("/create-payment-intent", create_payment_intent, methods=["POST"]),
    Route("/webhooks/stripe", stripe_webhook, methods=["POST"]),
]
