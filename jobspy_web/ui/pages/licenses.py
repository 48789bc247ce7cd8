"""Your licenses: keys (shown once), type, status, expiry, and the machines each runs on."""

from __future__ import annotations

from typing import Any

import reflex as rx

from jobspy_web.ui import routes
from jobspy_web.ui.layout import page_shell
from jobspy_web.ui.pages.billing import billing_messages, key_callout
from jobspy_web.ui.state.licenses import LicensesState

STATUS_COLORS = {"active": "green", "suspended": "amber", "revoked": "red", "expired": "red"}


def _machine_row(license: Any, machine: Any) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.text(machine.name, weight="medium", size="2"),
            rx.text(
                machine.short_fingerprint,
                "… · app ",
                machine.app_version,
                " · last seen ",
                machine.last_seen,
                size="1",
                color_scheme="gray",
            ),
            spacing="1",
        ),
        rx.spacer(),
        rx.button(
            "Deactivate",
            size="1",
            variant="soft",
            color_scheme="red",
            on_click=LicensesState.deactivate_machine(license.id, machine.fingerprint),
        ),
        width="100%",
        align="center",
        gap="2",
        class_name="machine-row",
    )


def _license_card(license: Any) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.code(license.key_prefix, "…", size="3", class_name="license-prefix"),
                rx.badge(license.license_type, class_name="license-type"),
                rx.badge(
                    license.status, color_scheme=rx.match(license.status, *STATUS_COLORS.items(), "gray"), class_name="license-status"
                ),
                rx.spacer(),
                rx.button(
                    "Regenerate key",
                    size="1",
                    variant="soft",
                    on_click=LicensesState.regenerate_key(license.id),
                    class_name="regenerate-key",
                ),
                gap="2",
                align="center",
                wrap="wrap",
                width="100%",
            ),
            rx.text("Valid until: ", license.expires, " · machines: ", license.machines_used, size="2", color_scheme="gray"),
            rx.foreach(license.machines, lambda machine: _machine_row(license, machine)),
            spacing="2",
            width="100%",
        ),
        width="100%",
        class_name="license-card",
    )


@page_shell
def licenses_page() -> rx.Component:
    return rx.vstack(
        rx.heading("Your licenses", size="6", as_="h1"),
        billing_messages(LicensesState),
        rx.cond(
            LicensesState.licenses_message != "",
            rx.callout(LicensesState.licenses_message, icon="check", color_scheme="green", id="licenses-message"),
        ),
        rx.cond(
            LicensesState.licenses_error != "",
            rx.callout(LicensesState.licenses_error, icon="triangle_alert", color_scheme="red", id="licenses-error"),
        ),
        rx.foreach(LicensesState.shown_keys, key_callout),
        rx.cond(
            LicensesState.licenses.length() > 0,
            rx.vstack(rx.foreach(LicensesState.licenses, _license_card), spacing="3", width="100%"),
            rx.text("No licenses yet. ", rx.link("Pick a plan", href=routes.PRICING), " to get one.", color_scheme="gray"),
        ),
        rx.text("A key is shown once. Lost it? Regenerate it: the old key stops working at once.", size="1", color_scheme="gray"),
        spacing="4",
        width="100%",
    )
