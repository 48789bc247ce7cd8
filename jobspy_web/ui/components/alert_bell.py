"""The bell in the header: unread alerts, linking to the Alerts page."""

from __future__ import annotations

import reflex as rx

from jobspy_web.ui import routes
from jobspy_web.ui.state.alerts import AlertsState


def alert_bell() -> rx.Component:
    return rx.box(
        rx.link(
            rx.icon("bell", size=18),
            rx.cond(
                AlertsState.unread > 0,
                rx.badge(AlertsState.unread_label, color_scheme="red", variant="solid", radius="full", size="1", id="alert-count"),
            ),
            href=routes.ALERTS,
            aria_label=rx.cond(AlertsState.unread > 0, "Alerts: " + AlertsState.unread_label + " unread", "Alerts"),
            color_scheme="gray",
            high_contrast=True,
            id="alert-bell",
            style={"display": "inline-flex", "align_items": "center", "gap": "2px"},
        ),
        on_mount=AlertsState.load_unread,
    )
