"""The Alerts page (every alert, newest first) and one alert's new jobs."""

from __future__ import annotations

import reflex as rx

from jobspy_web.ui import routes
from jobspy_web.ui.layout import page_shell
from jobspy_web.ui.state.alerts import AlertsState


def _alert_card(alert: rx.Var) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.link(alert["title"], href=routes.ALERTS + "/" + alert["id"], weight="medium", class_name="alert-link"),
                rx.text(alert["created_at"], " · ", alert["body"], size="1", color_scheme="gray"),
                spacing="1",
            ),
            rx.spacer(),
            rx.cond(alert["read"] == "unread", rx.badge("new", color_scheme="blue")),
            gap="2",
            align="center",
            wrap="wrap",
        ),
        width="100%",
        class_name="alert-item",
    )


@page_shell
def alerts_page() -> rx.Component:
    return rx.vstack(
        rx.flex(
            rx.heading("Alerts", size="6", as_="h1"),
            rx.spacer(),
            rx.cond(AlertsState.unread > 0, rx.button("Mark all read", variant="soft", on_click=AlertsState.mark_all_read)),
            width="100%",
            align="center",
        ),
        rx.cond(
            AlertsState.alerts.length() > 0,
            rx.vstack(rx.foreach(AlertsState.alerts, _alert_card), width="100%", spacing="2"),
            rx.text("No alerts yet. A saved search run that finds jobs you haven't seen leaves one here.", color_scheme="gray"),
        ),
        spacing="4",
        width="100%",
    )


def _job_card(job: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.link(job["title"], href=job["job_url"], is_external=True, weight="medium"),
            rx.text(job["company"], " · ", job["location"], size="2", color_scheme="gray"),
            rx.cond(job["salary"] != "", rx.text(job["salary"], size="2")),
            spacing="1",
        ),
        width="100%",
        class_name="alert-job",
    )


@page_shell
def alert_page() -> rx.Component:
    return rx.vstack(
        rx.link("← All alerts", href=routes.ALERTS, size="2"),
        rx.cond(
            AlertsState.opened_error != "",
            rx.callout(AlertsState.opened_error, color_scheme="red", role="alert"),
            rx.vstack(
                rx.heading(AlertsState.opened_title, size="6", as_="h1"),
                rx.text(AlertsState.opened_body, color_scheme="gray"),
                rx.vstack(rx.foreach(AlertsState.opened_jobs, _job_card), width="100%", spacing="2"),
                width="100%",
                spacing="3",
            ),
        ),
        spacing="4",
        width="100%",
    )
