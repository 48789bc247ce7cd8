"""Billing for people: start a Checkout, open the Customer Portal, start a one-off payment,
and read back what the webhooks recorded (receipts, the plan in force, a new key to show).

Every Stripe create call carries an idempotency key, so a retried request (by the SDK,
a double click, a reloaded page) never makes a second customer, session or charge.
Nothing here changes a user's plan: only a verified webhook does (billing.webhooks).
"""

from __future__ import annotations

import base64
import hashlib
import logging
import time
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, ClassVar

import stripe
from cryptography.fernet import Fernet, InvalidToken
from sqlmodel import Session, col, select

from jobspy_web.billing.plans import Plan, find_plan
from jobspy_web.billing.stripe_client import StripeNotConfigured, get_client
from jobspy_web.core.errors import DomainError
from jobspy_web.core.tiers import Tier
from jobspy_web.infra.local_secrets import secret_key
from jobspy_web.models import License, LicenseStatus, Payment, Subscription, User
from jobspy_web.models.base import utcnow
from jobspy_web.settings import get_settings

__all__ = [
    "ENTITLED_STATUSES",
    "BillingError",
    "BillingErrorCode",
    "BillingOverview",
    "CheckoutOutcome",
    "PaymentIntentCreated",
    "Receipt",
    "RevealedKey",
    "billing_overview",
    "checkout_outcome",
    "create_payment_intent",
    "open_portal",
    "paid_tiers",
    "receipts",
    "reveal_new_keys",
    "seal_key",
    "start_checkout",
]

log = logging.getLogger(__name__)

# Stripe keeps retrying a past_due subscription's payment; access stays until it gives up.
ENTITLED_STATUSES = ("active", "trialing", "past_due")
FAILED_PAYMENT_STATUSES = ("failed",)
# A key issued by a webhook waits (encrypted) this long for its owner to see it once.
SEALED_KEY_TTL_S = 30 * 86400


class BillingErrorCode(str, Enum):
    NOT_CONFIGURED = "PAYMENTS_NOT_CONFIGURED"
    UNKNOWN_PLAN = "UNKNOWN_PLAN"
    NOT_FOR_SALE = "PLAN_NOT_FOR_SALE"
    WRONG_KIND = "WRONG_PLAN_KIND"
    ALREADY_SUBSCRIBED = "ALREADY_SUBSCRIBED"
    NO_CUSTOMER = "NO_BILLING_ACCOUNT"
    STRIPE_UNAVAILABLE = "STRIPE_UNAVAILABLE"


class BillingError(DomainError):
    """A billing request that can't be done: a stable code and a sentence for people.
    `messages` are what a page shows when only the code came back (a form post's redirect)."""

    status = 409
    messages: ClassVar[Mapping[Any, str]] = {
        BillingErrorCode.NOT_CONFIGURED: "Payments are not configured on this server.",
        BillingErrorCode.UNKNOWN_PLAN: "That plan doesn't exist (any more). Pick one below.",
        BillingErrorCode.NOT_FOR_SALE: "That plan can't be bought yet.",
        BillingErrorCode.WRONG_KIND: "That plan is bought another way.",
        BillingErrorCode.ALREADY_SUBSCRIBED: "You already have a subscription: change its plan with Manage subscription.",
        BillingErrorCode.NO_CUSTOMER: "You have no billing account yet: pick a plan first.",
        BillingErrorCode.STRIPE_UNAVAILABLE: "We couldn't reach our payment provider. Please try again in a moment.",
    }
    statuses: ClassVar[Mapping[Any, int]] = {
        BillingErrorCode.NOT_CONFIGURED: 503,
        BillingErrorCode.UNKNOWN_PLAN: 404,
        BillingErrorCode.NOT_FOR_SALE: 409,
        BillingErrorCode.WRONG_KIND: 422,
        BillingErrorCode.ALREADY_SUBSCRIBED: 409,
        BillingErrorCode.NO_CUSTOMER: 409,
        BillingErrorCode.STRIPE_UNAVAILABLE: 502,
    }


@dataclass(frozen=True)
class PaymentIntentCreated:
    client_secret: str
    payment_intent_id: str


@dataclass(frozen=True)
class Receipt:
    amount_cents: int
    currency: str
    status: str
    description: str
    billed_at: datetime
    invoice_url: str | None


@dataclass(frozen=True)
class BillingOverview:
    plan_id: str | None  # of the subscription in force; None: no subscription
    plan_name: str | None
    status: str | None
    current_period_end: datetime | None
    cancel_at_period_end: bool
    has_billing_account: bool
    payment_failed: bool  # the latest payment failed, or Stripe is retrying one


class CheckoutOutcome(str, Enum):
    PENDING = "pending"  # the webhook hasn't landed yet
    COMPLETED = "completed"
    FAILED = "failed"


@dataclass(frozen=True)
class RevealedKey:
    license_id: uuid.UUID
    license_type: str
    key: str


# --- paying ----------------------------------------------------------------------------


def start_checkout(*, session: Session, user: User, plan_id: str, attempt: str = "") -> str:
    """The URL of a Stripe Checkout page for subscribing `user` to the plan."""
    plan = _plan_for_sale(plan_id, kind="subscription")
    if _subscription_in_force(session, user.id) is not None:
        raise BillingError(BillingErrorCode.ALREADY_SUBSCRIBED, "You already have a subscription; change its plan from the billing page.")
    public_url = get_settings().public_url.rstrip("/")
    customer_id = _customer_for(session, user)
    metadata = {"user_id": str(user.id), "plan_id": plan.id}
    checkout = _call(
        lambda client: client.v1.checkout.sessions.create(
            {
                "mode": "subscription",
                "customer": customer_id,
                "client_reference_id": str(user.id),
                "line_items": [{"price": plan.stripe_price_id, "quantity": 1}],
                "metadata": metadata,
                "subscription_data": {"metadata": metadata},
                "success_url": f"{public_url}/billing/success?session_id={{CHECKOUT_SESSION_ID}}",
                "cancel_url": f"{public_url}/pricing?notice=checkout_cancelled",
            },
            {"idempotency_key": _idempotency_key("checkout", user.id, attempt, plan.id)},
        )
    )
    if not checkout.url:
        raise BillingError(BillingErrorCode.STRIPE_UNAVAILABLE, "Stripe did not return a checkout page; please try again.")
    return checkout.url


def open_portal(*, session: Session, user: User, attempt: str = "") -> str:
    """The URL of the Stripe Customer Portal: change plan or card, cancel, see invoices."""
    if not user.stripe_customer_id:
        raise BillingError(BillingErrorCode.NO_CUSTOMER)
    customer_id = user.stripe_customer_id
    portal = _call(
        lambda client: client.v1.billing_portal.sessions.create(
            {"customer": customer_id, "return_url": get_settings().public_url.rstrip("/") + "/billing"},
            {"idempotency_key": _idempotency_key("portal", user.id, attempt)},
        )
    )
    return portal.url


def create_payment_intent(*, session: Session, user: User, plan_id: str, attempt: str = "") -> PaymentIntentCreated:
    """A PaymentIntent for a one-off plan; the browser confirms it with Stripe.js.

    The amount is the plan's: a client never names a price.
    """
    plan = _plan_for_sale(plan_id, kind="one_time")
    customer_id = _customer_for(session, user)
    intent = _call(
        lambda client: client.v1.payment_intents.create(
            {
                "amount": plan.price_cents,
                "currency": plan.currency,
                "customer": customer_id,
                "description": plan.name,
                "metadata": {"user_id": str(user.id), "plan_id": plan.id},
                "automatic_payment_methods": {"enabled": True},
            },
            {"idempotency_key": _idempotency_key("payment-intent", user.id, attempt, plan.id)},
        )
    )
    if not intent.client_secret:
        raise BillingError(BillingErrorCode.STRIPE_UNAVAILABLE, "Stripe did not return a payment to confirm; please try again.")
    return PaymentIntentCreated(client_secret=intent.client_secret, payment_intent_id=intent.id)


def _plan_for_sale(plan_id: str, *, kind: str) -> Plan:
    plan = find_plan(plan_id)
    if plan is None:
        raise BillingError(BillingErrorCode.UNKNOWN_PLAN, f"There is no plan {plan_id!r}.")
    if plan.kind != kind:
        how = "Checkout" if plan.kind == "subscription" else "a one-off payment" if plan.kind == "one_time" else "nothing"
        raise BillingError(BillingErrorCode.WRONG_KIND, f"{plan.name} is bought through {how}.")
    if not plan.for_sale:
        raise BillingError(BillingErrorCode.NOT_FOR_SALE, f"{plan.name} can't be bought yet: its Stripe price isn't set up.")
    return plan


def _customer_for(session: Session, user: User) -> str:
    """The user's Stripe customer id, created on their first purchase.

    Created with a per-user idempotency key, so two first purchases at once share one
    customer; the id is saved with the caller's transaction.
    """
    if user.stripe_customer_id:
        return user.stripe_customer_id
    customer = _call(
        lambda client: client.v1.customers.create(
            {"email": user.email, "name": user.full_name or "", "metadata": {"user_id": str(user.id)}},
            {"idempotency_key": f"customer-{user.id}"},
        )
    )
    user.stripe_customer_id = customer.id
    session.add(user)
    return customer.id


def _idempotency_key(action: str, user_id: uuid.UUID, attempt: str, *names: str) -> str:
    # `attempt` comes from the page (one per visit), so a double click or a retry reuses
    # its key; without one, a ten-minute window does the same job.
    window = attempt or f"t{int(time.time() // 600)}"
    digest = hashlib.sha256("|".join([action, str(user_id), window, *names]).encode()).hexdigest()[:40]
    return f"{action}-{digest}"


def _call(request: Any) -> Any:
    try:
        return request(get_client())
    except StripeNotConfigured:
        raise BillingError(BillingErrorCode.NOT_CONFIGURED) from None
    except stripe.StripeError as error:
        # The SDK's message can name our account's objects: log it, tell people less.
        log.warning("stripe request failed: %s %s", type(error).__name__, error.code or "")
        raise BillingError(BillingErrorCode.STRIPE_UNAVAILABLE, "Stripe could not be reached; please try again.") from None


def cancel_subscriptions(*, session: Session, user_id: uuid.UUID) -> int:
    """Cancel at Stripe, at once, every subscription of the user still in force (an account
    being deleted must stop being charged). Stripe's webhook then records the end."""
    live = session.exec(
        select(Subscription.stripe_subscription_id).where(Subscription.user_id == user_id, col(Subscription.status).in_(ENTITLED_STATUSES))
    ).all()
    for subscription_id in live:
        _call(lambda client, sid=subscription_id: client.v1.subscriptions.cancel(sid))
    return len(live)


# --- reading what the webhooks wrote ------------------------------------------------


def _subscription_in_force(session: Session, user_id: uuid.UUID) -> Subscription | None:
    return session.exec(
        select(Subscription)
        .where(Subscription.user_id == user_id, col(Subscription.status).in_(ENTITLED_STATUSES))
        .order_by(col(Subscription.current_period_end).desc())
    ).first()


def paid_tiers(*, session: Session, user_id: uuid.UUID, now: datetime | None = None) -> list[Tier]:
    """The tiers the user has paid for: subscriptions in force and licenses in force."""
    now = now or utcnow()
    subscriptions = session.exec(
        select(Subscription.plan_id).where(Subscription.user_id == user_id, col(Subscription.status).in_(ENTITLED_STATUSES))
    ).all()
    tiers = [plan.tier for plan_id in subscriptions if (plan := find_plan(plan_id)) is not None]
    license_types = session.exec(
        select(License.license_type, License.expires_at).where(License.user_id == user_id, License.status == LicenseStatus.ACTIVE)
    ).all()
    tiers += [Tier(license_type) for license_type, expires_at in license_types if expires_at is None or expires_at > now]
    return tiers


def billing_overview(*, session: Session, user_id: uuid.UUID) -> BillingOverview:
    user = session.get(User, user_id)
    subscription = _subscription_in_force(session, user_id)
    latest = session.exec(
        select(Payment.status).where(Payment.user_id == user_id).order_by(col(Payment.billed_at).desc(), col(Payment.created_at).desc())
    ).first()
    plan = find_plan(subscription.plan_id) if subscription else None
    return BillingOverview(
        plan_id=subscription.plan_id if subscription else None,
        plan_name=(plan.name if plan else subscription.plan_id) if subscription else None,
        status=subscription.status if subscription else None,
        current_period_end=subscription.current_period_end if subscription else None,
        cancel_at_period_end=bool(subscription and subscription.cancel_at_period_end),
        has_billing_account=bool(user and user.stripe_customer_id),
        payment_failed=latest in FAILED_PAYMENT_STATUSES or bool(subscription and subscription.status == "past_due"),
    )


def receipts(*, session: Session, user_id: uuid.UUID, limit: int = 100) -> list[Receipt]:
    """The user's payments, newest first."""
    payments = session.exec(
        select(Payment)
        .where(Payment.user_id == user_id)
        .order_by(col(Payment.billed_at).desc(), col(Payment.created_at).desc())
        .limit(limit)
    ).all()
    return [
        Receipt(
            amount_cents=payment.amount_cents,
            currency=payment.currency,
            status=payment.status,
            description=payment.description or "",
            billed_at=payment.billed_at or payment.created_at,
            invoice_url=payment.invoice_url,
        )
        for payment in payments
    ]


def checkout_outcome(
    *, session: Session, user_id: uuid.UUID, checkout_session_id: str = "", payment_intent_id: str = ""
) -> CheckoutOutcome:
    """Whether the webhook for the user's checkout (or one-off payment) has landed."""
    if checkout_session_id:
        landed = session.exec(
            select(Subscription.id).where(Subscription.user_id == user_id, Subscription.checkout_session_id == checkout_session_id)
        ).first()
        return CheckoutOutcome.COMPLETED if landed is not None else CheckoutOutcome.PENDING
    if payment_intent_id:
        status = session.exec(
            select(Payment.status).where(Payment.user_id == user_id, Payment.stripe_payment_intent_id == payment_intent_id)
        ).first()
        if status == "succeeded":
            return CheckoutOutcome.COMPLETED
        return CheckoutOutcome.FAILED if status in FAILED_PAYMENT_STATUSES else CheckoutOutcome.PENDING
    return CheckoutOutcome.PENDING


# --- keys issued while their owner wasn't looking -----------------------------------


def _fernet() -> Fernet:
    derived = hashlib.sha256(b"jobspy-web sealed license keys|" + secret_key().encode()).digest()
    return Fernet(base64.urlsafe_b64encode(derived))


def seal_key(license: License, key: str) -> None:
    """Keep `key` encrypted on the license until its owner has seen it once."""
    license.sealed_key = _fernet().encrypt(key.encode()).decode()


def reveal_new_keys(*, session: Session, user_id: uuid.UUID) -> list[RevealedKey]:
    """The user's keys not shown yet, decrypted, and erased: each is revealed only once.

    A key left unseen for SEALED_KEY_TTL_S is erased unshown (the owner can regenerate it).
    """
    sealed = session.exec(
        select(License)
        .where(License.user_id == user_id, col(License.sealed_key).is_not(None))
        .with_for_update()
        .order_by(col(License.created_at))
    ).all()
    revealed = []
    for license in sealed:
        try:
            key = _fernet().decrypt((license.sealed_key or "").encode(), ttl=SEALED_KEY_TTL_S).decode()
            if license.status is not LicenseStatus.REVOKED:
                revealed.append(RevealedKey(license_id=license.id, license_type=license.license_type, key=key))
        except InvalidToken:
            log.warning("sealed key of license %s expired or unreadable; erased", license.id)
        license.sealed_key = None
        session.add(license)
    return revealed
