"""Stripe webhooks: each verified event applied exactly once, Stripe's current state winning.

Stripe is the source of truth
    An event says *that* something changed; what it changed to is fetched from Stripe
    (the subscription, invoice or PaymentIntent) before anything is written. So events
    arriving late, twice or out of order all converge on what Stripe holds now.

Exactly once
    One transaction per event: the `stripe_events` row (keyed by the event id) is
    inserted first, then the effects, then it commits. A redelivery finds the row and
    does nothing; two deliveries at once collide on the primary key and the loser does
    nothing; a crash before the commit leaves no row, so Stripe's retry does it all.
    Within the transaction the user's row is locked (SELECT ... FOR UPDATE), so two
    events about one person apply one after the other. A subscription snapshot is only
    written over an older one (`subscriptions.stripe_synced_at`, taken before fetching),
    and a payment's status only moves forward (pending, failed, succeeded, refunded).

Event -> effect
    checkout.session.completed      link the Stripe customer to the user; then as below
                                    for its subscription (or its one-off PaymentIntent)
    customer.subscription.created,  the subscriptions row (status, plan from the price,
      .updated, .deleted            period from its items); the user's tier follows it;
                                    its license issued (key sealed for one reveal),
                                    extended, retyped, suspended or expired
    invoice.paid,                   the payments row for the invoice (amount, status,
      invoice.payment_failed        hosted invoice link); then the subscription as above
    payment_intent.succeeded,       one-off plans only (metadata.plan_id): the payments
      .payment_failed               row; on success a license of the plan's tier
    anything else                   answered 200, nothing stored

Shapes
    Before anything is looked up, a handled event is checked against the shapes of the
    fields read from it (_Event, _Subject, _CheckoutSession): ids Stripe could make and
    our columns hold, epochs a datetime holds. Stripe signed it, so one that doesn't fit
    is answered "ignored" (a 2xx: a 4xx or 5xx would have Stripe retry it for days) and
    logged at info.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

import stripe
from pydantic import BaseModel, Field, StrictInt, StringConstraints, ValidationError
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlmodel import Session, select

from jobspy_web.billing.checkout import ENTITLED_STATUSES, seal_key
from jobspy_web.billing.plans import Plan, find_plan, plan_for_price
from jobspy_web.billing.stripe_client import get_client, to_dict
from jobspy_web.db import read_session, write_session
from jobspy_web.licensing import licenses
from jobspy_web.models import License, LicenseStatus, Payment, StripeEvent, Subscription, User
from jobspy_web.models.base import utcnow

__all__ = ["HANDLED_TYPES", "WebhookOutcome", "handle_event", "shape_problem"]

log = logging.getLogger(__name__)

# A renewal's webhook can lag the period's end; the license outlives it by this much.
LICENSE_GRACE = timedelta(days=2)
SUSPENDED_STATUSES = ("unpaid", "paused")
ENDED_STATUSES = ("canceled", "incomplete_expired")
# A payment's status only moves right: a stale snapshot never undoes a success.
PAYMENT_STATUS_RANK = {"pending": 0, "failed": 1, "canceled": 1, "void": 1, "succeeded": 2, "refunded": 3}
ATTEMPTS = 3  # a transaction that lost a race on a unique row or a lock is run again


class WebhookOutcome:
    APPLIED = "applied"
    DUPLICATE = "duplicate"  # this event id was already applied
    IGNORED = "ignored"  # a type or object we don't act on
    STALE = "stale"  # what it points at is older than what we hold


@dataclass
class _Truth:
    """What Stripe holds now about the objects an event concerns."""

    fetched_at: datetime
    checkout_session: dict[str, Any] | None = None
    subscription: dict[str, Any] | None = None
    invoice: dict[str, Any] | None = None
    payment_intent: dict[str, Any] | None = None


class _Duplicate(Exception):
    pass


# --- entry point ------------------------------------------------------------------------


def handle_event(event: dict[str, Any]) -> str:
    """Apply a verified Stripe event (as a dict) once; returns a WebhookOutcome value.

    Raises stripe.StripeError or a database error when it could not be applied now: the
    caller answers non-2xx and Stripe delivers it again later.
    """
    fetch = _FETCHERS.get(str(event.get("type")))
    if fetch is None:
        return WebhookOutcome.IGNORED
    if (problem := shape_problem(event)) is not None:
        log.info("stripe event %.80r %s ignored: %s", event.get("id"), event["type"], problem)
        return WebhookOutcome.IGNORED
    event_id, event_type = event["id"], event["type"]
    if _already_applied(event_id):
        return WebhookOutcome.DUPLICATE
    received_at = utcnow()
    truth = fetch(event["data"]["object"])
    for attempt in range(1, ATTEMPTS + 1):
        try:
            with write_session() as session:
                record = _record(session, event, received_at)
                record.outcome = _apply(session, truth)
                record.processed_at = utcnow()
                session.add(record)
            log.info("stripe event %s %s: %s", event_id, event_type, record.outcome)
            return record.outcome
        except _Duplicate:
            return WebhookOutcome.DUPLICATE
        except (IntegrityError, OperationalError) as error:
            # Another event about the same objects committed first (a unique row it also
            # created, or a deadlock): run again, seeing what it wrote.
            if attempt == ATTEMPTS:
                raise
            log.info("stripe event %s raced another (%s); again", event_id, type(error).__name__)
    raise AssertionError("unreachable")


HANDLED_TYPES = (
    "checkout.session.completed",
    "checkout.session.async_payment_succeeded",
    "checkout.session.async_payment_failed",
    "customer.subscription.created",
    "customer.subscription.updated",
    "customer.subscription.deleted",
    "customer.subscription.paused",
    "customer.subscription.resumed",
    "invoice.paid",
    "invoice.payment_succeeded",
    "invoice.payment_failed",
    "payment_intent.succeeded",
    "payment_intent.payment_failed",
    "payment_intent.processing",
    "payment_intent.canceled",
)


# --- the shapes read from an event -----------------------------------------------------

# Stripe's ids are a prefix, "_" and letters and digits; ours hold 255 (events) or 64.
StripeId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_]{1,255}$")]
ShortStripeId = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_]{1,64}$")]
Epoch = Annotated[StrictInt, Field(ge=0, le=253_402_300_799)]  # up to 9999-12-31: what a datetime holds


class _Id(BaseModel):
    id: ShortStripeId


class _Data(BaseModel):
    object: dict[str, Any]


class _Event(BaseModel):
    id: StripeId
    type: str
    created: Epoch | None = None
    data: _Data


class _Subject(BaseModel):
    """What _record reads from any event's object; the fetchers read its id."""

    id: ShortStripeId
    created: Epoch | None = None


class _CheckoutSession(_Subject):
    """A checkout session is used as sent (it is final), so everything _apply reads of it."""

    id: StripeId  # cs_ ids run past 64 characters
    customer: ShortStripeId | _Id | None = None  # an id, or the object when expanded
    subscription: ShortStripeId | _Id | None = None
    payment_intent: ShortStripeId | _Id | None = None
    client_reference_id: str | None = None
    metadata: dict[str, Any] | None = None


def shape_problem(event: dict[str, Any]) -> str | None:
    """Why `event` (of a handled type) doesn't have the shape handle_event reads, or None."""
    shape = _CheckoutSession if str(event.get("type")).startswith("checkout.session.") else _Subject
    try:
        _Event.model_validate(event)
        shape.model_validate(event["data"]["object"])
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        where = first["loc"] if error.title == _Event.__name__ else ("data", "object", *first["loc"])
        return f"{'.'.join(map(str, where))}: {first['msg']}"
    return None


def _already_applied(event_id: str) -> bool:
    # A cheap look before asking Stripe anything; the insert in _record is what decides.
    with read_session() as session:
        return session.get(StripeEvent, event_id) is not None


def _record(session: Session, event: dict[str, Any], received_at: datetime) -> StripeEvent:
    subject = event["data"]["object"]
    record = StripeEvent(
        id=event["id"],
        type=event["type"],
        object_id=subject.get("id"),
        event_created=_moment(event.get("created")) or received_at,
        object_created=_moment(subject.get("created")),
        outcome="pending",
        received_at=received_at,
    )
    session.add(record)
    try:
        # First statement of the transaction: a concurrent delivery of the same event
        # waits here for ours to commit, then fails on the key.
        session.flush()
    except IntegrityError:
        raise _Duplicate from None
    return record


# --- fetching the truth (outside any transaction) ------------------------------------


def _retrieve(kind: str, object_id: str, **params: Any) -> dict[str, Any] | None:
    """The object as Stripe holds it now; None if Stripe has no such object."""
    services = {
        "subscription": lambda client: client.v1.subscriptions,
        "invoice": lambda client: client.v1.invoices,
        "payment_intent": lambda client: client.v1.payment_intents,
    }
    try:
        return to_dict(services[kind](get_client()).retrieve(object_id, params or None))
    except stripe.InvalidRequestError as error:
        if error.http_status == 404:
            return None
        raise


def _fetch_subscription(truth: _Truth, subscription_id: str | None) -> None:
    if subscription_id:
        truth.subscription = _retrieve("subscription", subscription_id)


def _fetch_payment_intent(truth: _Truth, payment_intent_id: str | None) -> None:
    if payment_intent_id:
        truth.payment_intent = _retrieve("payment_intent", payment_intent_id, expand=["latest_charge"])


def _fetch_for_checkout(checkout: dict[str, Any]) -> _Truth:
    # The session itself is final once completed: the signed payload is enough.
    truth = _Truth(fetched_at=utcnow(), checkout_session=checkout)
    _fetch_subscription(truth, _id_of(checkout.get("subscription")))
    _fetch_payment_intent(truth, _id_of(checkout.get("payment_intent")))
    return truth


def _fetch_for_subscription(subscription: dict[str, Any]) -> _Truth:
    truth = _Truth(fetched_at=utcnow())
    _fetch_subscription(truth, subscription["id"])
    return truth


def _fetch_for_invoice(invoice: dict[str, Any]) -> _Truth:
    truth = _Truth(fetched_at=utcnow())
    truth.invoice = _retrieve("invoice", invoice["id"])
    if truth.invoice is not None:
        _fetch_subscription(truth, _invoice_subscription_id(truth.invoice))
    return truth


def _fetch_for_payment_intent(payment_intent: dict[str, Any]) -> _Truth:
    truth = _Truth(fetched_at=utcnow())
    _fetch_payment_intent(truth, payment_intent["id"])
    return truth


_FETCHERS: dict[str, Callable[[dict[str, Any]], _Truth]] = {
    **dict.fromkeys([t for t in HANDLED_TYPES if t.startswith("checkout.session.")], _fetch_for_checkout),
    **dict.fromkeys([t for t in HANDLED_TYPES if t.startswith("customer.subscription.")], _fetch_for_subscription),
    **dict.fromkeys([t for t in HANDLED_TYPES if t.startswith("invoice.")], _fetch_for_invoice),
    **dict.fromkeys([t for t in HANDLED_TYPES if t.startswith("payment_intent.")], _fetch_for_payment_intent),
}


# --- applying it (inside the event's transaction) ------------------------------------


def _apply(session: Session, truth: _Truth) -> str:
    user = _locked_owner(session, truth)
    if user is None:
        return WebhookOutcome.IGNORED
    checkout = truth.checkout_session
    if checkout and not user.stripe_customer_id and _id_of(checkout.get("customer")):
        user.stripe_customer_id = _id_of(checkout.get("customer"))
        session.add(user)
    outcomes = []
    subscription_row = None
    if truth.subscription is not None:
        checkout_id = checkout["id"] if checkout else None
        subscription_row, outcome = _sync_subscription(session, user, truth.subscription, truth.fetched_at, checkout_id)
        outcomes.append(outcome)
    if truth.invoice is not None:
        outcomes.append(_sync_invoice_payment(session, user, truth.invoice, subscription_row))
    if truth.payment_intent is not None:
        outcomes.append(_sync_one_time_payment(session, user, truth.payment_intent))
    if WebhookOutcome.APPLIED in outcomes:
        return WebhookOutcome.APPLIED
    return WebhookOutcome.STALE if WebhookOutcome.STALE in outcomes else WebhookOutcome.IGNORED


def _locked_owner(session: Session, truth: _Truth) -> User | None:
    """The user these objects belong to, row-locked for the rest of the transaction.

    Our own metadata names them (we set user_id on every customer, session, subscription
    and PaymentIntent we create); failing that, the Stripe customer they are linked to.
    """
    objects = [item for item in (truth.checkout_session, truth.subscription, truth.invoice, truth.payment_intent) if item]
    candidates: list[Any] = []
    for item in objects:
        candidates += [item.get("client_reference_id"), (item.get("metadata") or {}).get("user_id")]
    user_id = next((value for value in candidates if value and _is_uuid(value)), None)
    customer_id = next((_id_of(item.get("customer")) for item in objects if item.get("customer")), None)
    statement = select(User).with_for_update().execution_options(populate_existing=True)
    user = None
    if user_id is not None:
        user = session.exec(statement.where(User.id == uuid.UUID(user_id))).one_or_none()
    if user is None and customer_id:
        user = session.exec(statement.where(User.stripe_customer_id == customer_id)).one_or_none()
    if user is None:
        log.warning("stripe objects %s belong to no user here; ignored", [item.get("id") for item in objects])
    return user


def _sync_subscription(
    session: Session, user: User, snapshot: dict[str, Any], fetched_at: datetime, checkout_id: str | None
) -> tuple[Subscription, str]:
    row = session.exec(select(Subscription).where(Subscription.stripe_subscription_id == snapshot["id"]).with_for_update()).one_or_none()
    if row is not None and row.stripe_synced_at is not None and row.stripe_synced_at >= fetched_at:
        if checkout_id and row.checkout_session_id != checkout_id:
            row.checkout_session_id = checkout_id
            session.add(row)
        return row, WebhookOutcome.STALE
    items = (snapshot.get("items") or {}).get("data") or []
    price_id = _id_of(items[0].get("price") if items else None)
    plan = plan_for_price(price_id) or find_plan((snapshot.get("metadata") or {}).get("plan_id", ""))
    if plan is None:
        log.error("subscription %s has price %s, which no plan in BILLING_PLANS uses", snapshot["id"], price_id)
    if row is None:
        row = Subscription(user_id=user.id, stripe_subscription_id=snapshot["id"], plan_id="", status="")
    row.stripe_customer_id = _id_of(snapshot.get("customer"))
    row.plan_id = plan.id if plan else (price_id or "unknown")[:64]
    row.status = snapshot["status"]
    # Since API version 2025-03-31 the billing period lives on each subscription item.
    row.current_period_start = _moment(min((item["current_period_start"] for item in items), default=None))
    row.current_period_end = _moment(max((item["current_period_end"] for item in items), default=None))
    row.cancel_at_period_end = bool(snapshot.get("cancel_at_period_end") or snapshot.get("cancel_at"))
    row.stripe_synced_at = fetched_at
    if checkout_id:
        row.checkout_session_id = checkout_id
    session.add(row)
    session.flush()
    _sync_subscription_license(session, user, row, plan, ended_at=_moment(snapshot.get("ended_at")))
    return row, WebhookOutcome.APPLIED


def _sync_subscription_license(session: Session, user: User, row: Subscription, plan: Plan | None, *, ended_at: datetime | None) -> None:
    """The subscription's license (external_ref stripe:<subscription id>) follows it."""
    reference = f"stripe:{row.stripe_subscription_id}"
    license = session.exec(select(License).where(License.external_ref == reference)).one_or_none()
    if license is not None and license.status is LicenseStatus.REVOKED:
        return  # revoked by an operator (or the account was deleted): billing can't undo that
    if row.status in ENTITLED_STATUSES and plan is not None and plan.tier.value in licenses.LICENSE_TYPES:
        until = (row.current_period_end or utcnow()) + LICENSE_GRACE
        if license is None:
            issued = licenses.issue_license(
                session=session, license_type=plan.tier.value, user_id=user.id, expires_at=until, external_ref=reference
            )
            if issued.key is not None:
                seal_key(issued.license, issued.key)
                session.add(issued.license)
            return
        if license.status is LicenseStatus.SUSPENDED:
            licenses.reinstate_license(session=session, license_id=license.id, reason="subscription paid")
        licenses.change_license_type(session=session, license_id=license.id, license_type=plan.tier.value)
        licenses.extend_license(session=session, license_id=license.id, until=until)
    elif license is None:
        return
    elif row.status in ENDED_STATUSES:
        licenses.expire_license(session=session, license_id=license.id, at=ended_at or utcnow())
    elif row.status in SUSPENDED_STATUSES and license.status is LicenseStatus.ACTIVE:
        licenses.suspend_license(session=session, license_id=license.id, reason=f"subscription {row.status}")


def _sync_invoice_payment(session: Session, user: User, invoice: dict[str, Any], subscription: Subscription | None) -> str:
    status = {"paid": "succeeded", "void": "void", "uncollectible": "failed"}.get(
        invoice.get("status") or "", "failed" if invoice.get("attempted") and invoice.get("attempt_count") else "pending"
    )
    paid_at = (invoice.get("status_transitions") or {}).get("paid_at")
    lines = (invoice.get("lines") or {}).get("data") or []
    return _upsert_payment(
        session,
        select(Payment).where(Payment.stripe_invoice_id == invoice["id"]),
        lambda: Payment(stripe_invoice_id=invoice["id"], amount_cents=0, currency="usd", status="pending"),
        user=user,
        subscription_id=subscription.id if subscription else None,
        amount_cents=invoice["amount_paid"] if status == "succeeded" else invoice["amount_due"],
        currency=invoice["currency"],
        status=status,
        description=(lines[0].get("description") if lines else None) or invoice.get("description") or "Subscription",
        invoice_url=invoice.get("hosted_invoice_url"),
        billed_at=_moment(paid_at or invoice.get("created")),
    )


def _sync_one_time_payment(session: Session, user: User, payment_intent: dict[str, Any]) -> str:
    # Subscription invoices make PaymentIntents too; those are recorded by their invoice.
    plan = find_plan((payment_intent.get("metadata") or {}).get("plan_id", ""))
    if plan is None or plan.kind != "one_time":
        return WebhookOutcome.IGNORED
    raw_status = payment_intent["status"]
    status = {"succeeded": "succeeded", "canceled": "canceled"}.get(
        raw_status, "failed" if raw_status == "requires_payment_method" and payment_intent.get("last_payment_error") else "pending"
    )
    charge = payment_intent.get("latest_charge")
    outcome = _upsert_payment(
        session,
        select(Payment).where(Payment.stripe_payment_intent_id == payment_intent["id"]),
        lambda: Payment(stripe_payment_intent_id=payment_intent["id"], amount_cents=0, currency="usd", status="pending"),
        user=user,
        subscription_id=None,
        amount_cents=payment_intent["amount"],
        currency=payment_intent["currency"],
        status=status,
        description=plan.name,
        invoice_url=charge.get("receipt_url") if isinstance(charge, dict) else None,
        billed_at=_moment(payment_intent.get("created")),
        metadata={"plan_id": plan.id},
    )
    if status == "succeeded" and plan.tier.value in licenses.LICENSE_TYPES:
        issued = licenses.issue_license(
            session=session,
            license_type=plan.tier.value,
            user_id=user.id,
            days=plan.license_days,
            external_ref=f"stripe:{payment_intent['id']}",
        )
        if issued.key is not None:
            seal_key(issued.license, issued.key)
            session.add(issued.license)
    return outcome


def _upsert_payment(
    session: Session,
    find: Any,
    make: Callable[[], Payment],
    *,
    user: User,
    status: str,
    metadata: dict[str, Any] | None = None,
    **values: Any,
) -> str:
    payment = session.exec(find.with_for_update()).one_or_none()
    if payment is not None and PAYMENT_STATUS_RANK.get(payment.status, 0) > PAYMENT_STATUS_RANK.get(status, 0):
        return WebhookOutcome.STALE
    payment = payment or make()
    payment.user_id, payment.status = user.id, status
    for name, value in values.items():
        setattr(payment, name, value)
    if metadata:
        payment.extra_metadata = {**payment.extra_metadata, **metadata}
    session.add(payment)
    session.flush()
    return WebhookOutcome.APPLIED


# --- reading Stripe's shapes ------------------------------------------------------------


def _id_of(value: Any) -> str | None:
    """An expandable field's id, whether Stripe sent the id or the whole object."""
    if isinstance(value, dict):
        return value.get("id")
    return value or None


def _invoice_subscription_id(invoice: dict[str, Any]) -> str | None:
    # Since API version 2025-03-31 an invoice names its subscription under parent.
    details = (invoice.get("parent") or {}).get("subscription_details") or {}
    return _id_of(details.get("subscription"))


def _moment(epoch_seconds: Any) -> datetime | None:
    return datetime.fromtimestamp(int(epoch_seconds), tz=UTC) if epoch_seconds is not None else None


def _is_uuid(value: Any) -> bool:
    try:
        uuid.UUID(str(value))
    except ValueError:
        return False
    return True
