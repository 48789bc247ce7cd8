"""Pricing, billing and the pages around a payment. The states only show what the billing
service answers; payments themselves go through HTML form posts (/billing/checkout,
/billing/portal) and Stripe.js, never through these handlers."""

from __future__ import annotations

import asyncio
import dataclasses
import uuid
from collections.abc import AsyncIterator, Iterator

import reflex as rx

from jobspy_web.billing import checkout
from jobspy_web.billing.checkout import BillingError, BillingErrorCode, CheckoutOutcome
from jobspy_web.billing.plans import all_plans
from jobspy_web.billing.stripe_client import payments_configured
from jobspy_web.db import read_session, write_session
from jobspy_web.settings import get_settings
from jobspy_web.ui.state.auth import ERRORS, AuthState

_DAY = "%Y-%m-%d"
_SYMBOLS = {"usd": "$", "eur": "€", "gbp": "£"}
POLL_EVERY_S = 1.0
POLL_FOR_S = 90.0

# What the billing routes themselves refuse; billing's own refusals (?error=UNKNOWN_PLAN,
# ...) are shown in the sentence billing.checkout gives their code (billing_error_sentence).
BILLING_ERRORS = {
    "INVALID_REQUEST": "That request wasn't valid. Please try again.",
    "CSRF": ERRORS["CSRF"],
}
BILLING_NOTICES = {"checkout_cancelled": "Checkout cancelled: nothing was charged."}
FAILED_PAYMENT = "Your last payment failed. Update your card under Manage subscription so your plan keeps working."


def billing_error_sentence(code: str) -> str:
    return BILLING_ERRORS.get(code) or BillingError.sentence_for(code) or ""


def money(amount_cents: int, currency: str) -> str:
    symbol = _SYMBOLS.get(currency.lower())
    amount = f"{amount_cents / 100:,.2f}"
    return f"{symbol}{amount}" if symbol else f"{amount} {currency.upper()}"


TIER_NAMES = {"free": "Free", "pro": "Pro", "team": "Team", "admin": "Admin (every limit lifted)"}


@dataclasses.dataclass
class PlanCard:
    id: str
    name: str
    kind: str
    price: str
    per: str  # "/ month", "/ year", "once", ""
    features: list[str]
    purchasable: bool
    current: bool


@dataclasses.dataclass
class RevealedKeyRow:
    license_type: str
    key: str


class BillingNoticeState(AuthState):
    """Messages every billing page shows: ?error=, ?notice=, and a failed payment."""

    billing_error: str = ""
    billing_notice: str = ""
    payment_failed: bool = False

    def _read_billing_messages(self, user_id: uuid.UUID | None) -> None:
        query = self.router.url.query_parameters
        self.billing_error = billing_error_sentence(query.get("error", ""))
        self.billing_notice = BILLING_NOTICES.get(query.get("notice", ""), "")
        self.payment_failed = False
        if user_id is not None:
            with read_session() as session:
                self.payment_failed = checkout.billing_overview(session=session, user_id=user_id).payment_failed


class PricingState(BillingNoticeState):
    plans: list[PlanCard] = []
    payments_enabled: bool = False
    has_subscription: bool = False
    # One per visit: a double click on Upgrade reuses Stripe's idempotency key.
    attempt: str = ""

    @rx.event
    def load(self) -> None:
        self._read_messages()
        user = self._current_user()
        self.attempt = uuid.uuid4().hex
        self.payments_enabled = payments_configured()
        current_plan = None
        if user is not None:
            with read_session() as session:
                overview = checkout.billing_overview(session=session, user_id=user.id)
            current_plan = overview.plan_id
            self.has_subscription = overview.plan_id is not None
        else:
            self.has_subscription = False
        self._read_billing_messages(user.id if user else None)
        self.plans = [
            PlanCard(
                id=plan.id,
                name=plan.name,
                kind=plan.kind,
                price="Free" if plan.kind == "free" else money(plan.price_cents, plan.currency),
                per={"month": "/ month", "year": "/ year"}.get(plan.interval or "", "once" if plan.kind == "one_time" else ""),
                features=plan.promises(),
                purchasable=self.payments_enabled and plan.for_sale,
                # The tier in force (tier_for_user: role, subscription or license) marks the plan
                # that gives it when no subscription names one.
                current=plan.id == current_plan
                or (user is not None and current_plan is None and plan.kind != "one_time" and plan.tier.value == self.tier),
            )
            for plan in all_plans()
        ]


class BillingState(BillingNoticeState):
    plan_name: str = ""
    plan_status: str = ""
    period_note: str = ""
    has_billing_account: bool = False
    receipts: list[dict[str, str]] = []
    attempt: str = ""

    @rx.event
    def load(self) -> rx.event.EventSpec | None:
        redirect = self.require_user()
        if redirect is not None:
            return redirect
        user_id = uuid.UUID(self.user_id)
        self.attempt = uuid.uuid4().hex
        self._read_billing_messages(user_id)
        with read_session() as session:
            overview = checkout.billing_overview(session=session, user_id=user_id)
            found = checkout.receipts(session=session, user_id=user_id)
        # The tier in force (tier_for_user: role, subscription or license), not only a subscription's.
        self.plan_name = overview.plan_name or TIER_NAMES.get(self.tier, self.tier.title())
        self.plan_status = overview.status or ""
        self.has_billing_account = overview.has_billing_account
        end = overview.current_period_end.strftime(_DAY) if overview.current_period_end else ""
        self.period_note = (f"Ends on {end}" if overview.cancel_at_period_end else f"Renews on {end}") if end else ""
        if not overview.plan_name and self.tier != "free":
            self.period_note = "From your account's role or a license in force, not a subscription."
        self.receipts = [
            {
                "date": receipt.billed_at.strftime(_DAY),
                "description": receipt.description,
                "amount": money(receipt.amount_cents, receipt.currency),
                "status": receipt.status,
                "invoice_url": receipt.invoice_url or "",
            }
            for receipt in found
        ]
        return None


class CheckoutSuccessState(AuthState):
    """Back from Stripe: wait until the webhook has landed, then show the tier and new keys."""

    outcome: str = CheckoutOutcome.PENDING.value
    waited_too_long: bool = False
    new_keys: list[RevealedKeyRow] = []
    _polled_user_id: str = ""

    @rx.event
    def load(self) -> rx.event.EventSpec | list[rx.event.EventSpec] | None:
        redirect = self.require_user()
        if redirect is not None:
            return redirect
        self.outcome, self.waited_too_long, self.new_keys = CheckoutOutcome.PENDING.value, False, []
        self._polled_user_id = self.user_id
        return CheckoutSuccessState.wait_for_webhook

    @rx.event(background=True)
    async def wait_for_webhook(self) -> AsyncIterator[rx.event.EventSpec]:
        async with self:
            query = self.router.url.query_parameters
            checkout_session_id = query.get("session_id", "")[:255]
            payment_intent_id = query.get("payment_intent", "")[:255]
            user_id = self._require_user_id()  # the cookie again, not what load saw
        outcome = CheckoutOutcome.PENDING
        deadline = asyncio.get_running_loop().time() + POLL_FOR_S
        while outcome is CheckoutOutcome.PENDING and asyncio.get_running_loop().time() < deadline:
            outcome = await asyncio.to_thread(_outcome, user_id, checkout_session_id, payment_intent_id)
            if outcome is CheckoutOutcome.PENDING:
                await asyncio.sleep(POLL_EVERY_S)
        async with self:
            self.outcome = outcome.value
            self.waited_too_long = outcome is CheckoutOutcome.PENDING
            self._current_user()  # the header's tier badge and this page's tier
        if outcome is CheckoutOutcome.COMPLETED:
            yield CheckoutSuccessState.show_new_keys

    @rx.event
    def show_new_keys(self) -> Iterator[None]:
        """The keys this purchase issued, sent once: a foreground event, so they can be
        blanked after delivery and the state manager never stores them."""
        user_id = self._require_user_id()
        self.new_keys = _reveal(user_id)
        yield
        self._forget_shown("new_keys")


def _outcome(user_id: uuid.UUID, checkout_session_id: str, payment_intent_id: str) -> CheckoutOutcome:
    # The primary: right after checkout the webhook's rows may not have reached a replica.
    with read_session(fresh=True) as session:
        return checkout.checkout_outcome(
            session=session, user_id=user_id, checkout_session_id=checkout_session_id, payment_intent_id=payment_intent_id
        )


def _reveal(user_id: uuid.UUID) -> list[RevealedKeyRow]:
    with write_session() as session:
        return [
            RevealedKeyRow(license_type=item.license_type, key=item.key)
            for item in checkout.reveal_new_keys(session=session, user_id=user_id)
        ]


class PayState(AuthState):
    """A one-off plan paid with Stripe.js: the page asks our API for a PaymentIntent, then
    Stripe.js collects the card and confirms it; the key arrives like any other."""

    plan_id: str = ""
    plan_name: str = ""
    price: str = ""
    publishable_key: str = ""
    attempt: str = ""
    # Not empty until load has checked payments: the page (and Stripe.js with it) renders
    # only once they are on, never before hydration on a server without them.
    unavailable: str = "Checking whether payments are set up…"

    @rx.event
    def load(self) -> rx.event.EventSpec | None:
        redirect = self.require_user()
        if redirect is not None:
            return redirect
        wanted = self.router.url.query_parameters.get("plan", "")
        plan = next((plan for plan in all_plans() if plan.id == wanted and plan.kind == "one_time"), None)
        self.attempt = uuid.uuid4().hex
        self.plan_id, self.plan_name = (plan.id, plan.name) if plan else ("", "")
        self.price = money(plan.price_cents, plan.currency) if plan else ""
        # Publishable by design: Stripe.js needs it in the browser. The secret key never is.
        self.publishable_key = get_settings().stripe_publishable_key
        if plan is None:
            self.unavailable = "There is no such one-off plan."
        elif not payments_configured() or not self.publishable_key:
            self.unavailable = BillingError.messages[BillingErrorCode.NOT_CONFIGURED]
        else:
            self.unavailable = ""
        return None
