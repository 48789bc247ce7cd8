"""Pricing, Billing, the page Stripe sends people back to, and the one-off payment page.

Row functions take `Any`: rx.foreach hands them a Var whose fields mypy can't see.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from jobspy_web.ui import routes
from jobspy_web.ui.components.forms import NativeForm
from jobspy_web.ui.layout import page_shell
from jobspy_web.ui.state.billing import (
    FAILED_PAYMENT,
    BillingNoticeState,
    BillingState,
    CheckoutSuccessState,
    PayState,
    PricingState,
)

STATUS_COLORS = {"succeeded": "green", "pending": "gray", "failed": "red", "canceled": "gray", "void": "gray", "refunded": "amber"}


def billing_messages(state: type[BillingNoticeState]) -> rx.Component:
    return rx.fragment(
        rx.cond(state.billing_notice != "", rx.callout(state.billing_notice, icon="info", id="billing-notice")),
        rx.cond(state.billing_error != "", rx.callout(state.billing_error, icon="triangle_alert", color_scheme="red", id="billing-error")),
        rx.cond(state.payment_failed, rx.callout(FAILED_PAYMENT, icon="credit_card", color_scheme="red", id="payment-failed")),
    )


def _hidden(name: str, value: rx.Var | str) -> rx.Component:
    return rx.el.input(type="hidden", name=name, value=value)


def portal_form(label: str, attempt: rx.Var | str, **props: object) -> rx.Component:
    return NativeForm.create(
        _hidden("attempt", attempt),
        rx.button(label, type="submit", variant="soft", id="manage-subscription", **props),
        action="/billing/portal",
        method="post",
    )


# --- pricing ------------------------------------------------------------------------


def _buy_button(plan: Any) -> rx.Component:
    subscribe = NativeForm.create(
        _hidden("plan_id", plan.id),
        _hidden("attempt", PricingState.attempt),
        rx.button("Upgrade", type="submit", width="100%", disabled=~plan.purchasable, id="upgrade-" + plan.id.to(str)),
        action="/billing/checkout",
        method="post",
        width="100%",
    )
    return rx.cond(
        plan.current,
        rx.button("Current plan", variant="outline", disabled=True, width="100%"),
        rx.match(
            plan.kind,
            (
                "subscription",
                rx.cond(PricingState.has_subscription, portal_form("Change plan", PricingState.attempt, width="100%"), subscribe),
            ),
            (
                "one_time",
                rx.link(
                    rx.button("Buy", width="100%", disabled=~plan.purchasable, id="buy-" + plan.id.to(str)),
                    href=routes.BILLING_PAY + "?plan=" + plan.id.to(str),
                    width="100%",
                ),
            ),
            rx.fragment(),
        ),
    )


def _plan_card(plan: Any) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.heading(plan.name, size="4", as_="h2"), rx.cond(plan.current, rx.badge("current", color_scheme="green")), align="center"
            ),
            rx.hstack(rx.text(plan.price, size="7", weight="bold"), rx.text(plan.per, color_scheme="gray"), align="baseline", spacing="1"),
            rx.vstack(rx.foreach(plan.features, lambda feature: rx.text("✓ ", feature, size="2")), spacing="1"),
            rx.spacer(),
            _buy_button(plan),
            spacing="3",
            height="100%",
            width="100%",
        ),
        class_name="plan-card",
        id="plan-" + plan.id.to(str),
    )


@page_shell
def pricing_page() -> rx.Component:
    return rx.vstack(
        rx.heading("Plans", size="6", as_="h1"),
        billing_messages(PricingState),
        rx.cond(
            ~PricingState.payments_enabled,
            rx.callout(
                "Payments are not configured on this server: the plans are shown, but can't be bought here.",
                icon="info",
                color_scheme="amber",
                id="payments-off",
            ),
        ),
        rx.grid(rx.foreach(PricingState.plans, _plan_card), columns=rx.breakpoints(initial="1", sm="2", lg="5"), spacing="4", width="100%"),
        rx.cond(
            PricingState.has_subscription, rx.text("Change plan, card or cancel any time under Billing.", size="2", color_scheme="gray")
        ),
        spacing="4",
        width="100%",
    )


# --- billing ------------------------------------------------------------------------


def _receipt_row(receipt: Any) -> rx.Component:
    return rx.table.row(
        rx.table.cell(receipt["date"]),
        rx.table.cell(receipt["description"]),
        rx.table.cell(receipt["amount"]),
        rx.table.cell(rx.badge(receipt["status"], color_scheme=rx.match(receipt["status"], *STATUS_COLORS.items(), "gray"))),
        rx.table.cell(rx.cond(receipt["invoice_url"] != "", rx.link("Invoice", href=receipt["invoice_url"], is_external=True), "")),
        class_name="receipt-row",
    )


@page_shell
def billing_page() -> rx.Component:
    return rx.vstack(
        rx.heading("Billing", size="6", as_="h1"),
        billing_messages(BillingState),
        rx.card(
            rx.flex(
                rx.vstack(
                    rx.text("Plan", size="1", color_scheme="gray"),
                    rx.hstack(
                        rx.heading(BillingState.plan_name, size="5", id="billing-plan", as_="h2"),
                        rx.cond(BillingState.plan_status != "", rx.badge(BillingState.plan_status)),
                    ),
                    rx.text(BillingState.period_note, size="2", color_scheme="gray"),
                    spacing="1",
                ),
                rx.spacer(),
                rx.cond(BillingState.has_billing_account, portal_form("Manage subscription", BillingState.attempt)),
                rx.link(rx.button("See plans", variant="outline"), href=routes.PRICING),
                gap="3",
                align="center",
                wrap="wrap",
            ),
            width="100%",
        ),
        rx.heading("Receipts", size="4", as_="h2"),
        rx.cond(
            BillingState.receipts.length() > 0,
            rx.table.root(
                rx.table.header(rx.table.row(*(rx.table.column_header_cell(name) for name in ("Date", "What", "Amount", "Status", "")))),
                rx.table.body(rx.foreach(BillingState.receipts, _receipt_row)),
                width="100%",
            ),
            rx.text("No payments yet.", color_scheme="gray"),
        ),
        spacing="4",
        width="100%",
    )


# --- back from Stripe ---------------------------------------------------------------


def key_callout(item: Any) -> rx.Component:
    return rx.callout(
        rx.vstack(
            rx.text("Your ", item.license_type, " license key. Copy it now: it is shown only once.", size="2"),
            rx.code(item.key, class_name="new-license-key", size="4"),
            spacing="2",
        ),
        icon="key",
        color_scheme="amber",
        width="100%",
    )


@page_shell
def checkout_success_page() -> rx.Component:
    state = CheckoutSuccessState
    return rx.vstack(
        rx.heading("Thank you", size="6", as_="h1"),
        rx.cond(
            state.outcome == "pending",
            rx.cond(
                state.waited_too_long,
                rx.callout(
                    "Stripe hasn't confirmed the payment yet. This page will not update by itself: check Billing in a few minutes.",
                    icon="clock",
                    id="checkout-slow",
                ),
                rx.hstack(rx.spinner(), rx.text("Waiting for Stripe to confirm your payment…"), id="checkout-waiting"),
            ),
        ),
        rx.cond(
            state.outcome == "failed",
            rx.callout(
                "The payment did not go through. Nothing was charged; try another card.",
                icon="triangle_alert",
                color_scheme="red",
                id="checkout-failed",
            ),
        ),
        rx.cond(
            state.outcome == "completed",
            rx.vstack(
                rx.text("Payment confirmed. Your plan is now ", rx.badge(state.tier, size="3", id="success-tier"), "."),
                rx.foreach(state.new_keys, key_callout),
                rx.hstack(rx.link("Your licenses", href=routes.LICENSES), rx.link("Billing", href=routes.BILLING), spacing="4"),
                spacing="3",
                width="100%",
                id="checkout-done",
            ),
        ),
        spacing="4",
        width="100%",
    )


# --- one-off payments with Stripe.js ------------------------------------------------

# Two steps: ask our API for a PaymentIntent (the cookie signs the request; the amount is
# the plan's) and mount Stripe's card form; then confirm it. Stripe sends the person back
# to /billing/success?payment_intent=..., which waits for the webhook like a checkout.
_PAY_SCRIPT = """
window.jobspyPay = async function () {
  const box = document.getElementById("pay-box");
  const say = (text) => { document.getElementById("pay-message").textContent = text; };
  if (!window.Stripe) { say("Stripe.js could not be loaded. Check your connection and reload the page."); return; }
  window.jobspyStripe = window.jobspyStripe || window.Stripe(box.dataset.key);
  if (!window.jobspyElements) {
    const answer = await fetch("/create-payment-intent", {
      method: "POST", credentials: "same-origin", headers: {"Content-Type": "application/json"},
      body: JSON.stringify({plan_id: box.dataset.plan, attempt: box.dataset.attempt}),
    });
    const body = await answer.json();
    if (!answer.ok) { say(body.error ? body.error.message : "Something went wrong."); return; }
    window.jobspyElements = window.jobspyStripe.elements({clientSecret: body.client_secret});
    window.jobspyElements.create("payment").mount("#payment-element");
    document.getElementById("pay-button").textContent = "Pay";
    say("");
    return;
  }
  const result = await window.jobspyStripe.confirmPayment({
    elements: window.jobspyElements,
    confirmParams: {return_url: window.location.origin + "/billing/success"},
  });
  if (result.error) { say(result.error.message); }
};
"""


@page_shell
def pay_page() -> rx.Component:
    return rx.vstack(
        rx.heading("Buy ", PayState.plan_name, size="6", as_="h1"),
        rx.cond(
            PayState.unavailable != "",
            rx.callout(PayState.unavailable, icon="info", color_scheme="amber", id="pay-unavailable"),
            rx.vstack(
                rx.script(src="https://js.stripe.com/v3/"),
                rx.script(_PAY_SCRIPT),
                rx.text(PayState.price, " once. The license key appears as soon as Stripe confirms the payment.", size="2"),
                rx.box(
                    id="pay-box",
                    custom_attrs={"data-plan": PayState.plan_id, "data-attempt": PayState.attempt, "data-key": PayState.publishable_key},
                ),
                rx.box(id="payment-element", width="100%", max_width="480px"),
                rx.button("Continue to payment", id="pay-button", on_click=rx.call_script("window.jobspyPay()")),
                rx.text("", id="pay-message", color_scheme="red", size="2"),
                spacing="3",
                width="100%",
            ),
        ),
        spacing="4",
        width="100%",
    )
