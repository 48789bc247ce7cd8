"""Settings (desktop app): license, proxies and timeout, data folder and backup."""

from __future__ import annotations

from typing import Any

import reflex as rx

from jobspy_web.ui.layout import page_shell
from jobspy_web.ui.state.desktop_settings import DesktopSettingsState as State

_LICENSE_COLORS = {"licensed": "green", "free": "gray", "unset": "gray", "not_licensed": "red", "unverified": "amber"}


def _messages() -> rx.Component:
    return rx.fragment(
        rx.cond(State.settings_notice != "", rx.callout(State.settings_notice, icon="check", color_scheme="green", id="settings-notice")),
        rx.cond(
            State.settings_problem != "",
            rx.callout(State.settings_problem, icon="triangle_alert", color_scheme="red", id="settings-problem"),
        ),
    )


def _key_form() -> rx.Component:
    return rx.form(
        rx.flex(
            rx.input(name="license_key", placeholder="JSW-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX-XXXXX", aria_label="License key", width="100%"),
            rx.button("Activate", type="submit", loading=State.busy),
            gap="2",
            width="100%",
        ),
        on_submit=State.enter_key,
        reset_on_submit=True,
        width="100%",
    )


def _license_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("License", size="4"),
            rx.flex(
                rx.badge(
                    State.headline,
                    color_scheme=rx.match(State.license_state, *_LICENSE_COLORS.items(), "gray"),
                    size="3",
                    id="license-headline",
                ),
                rx.cond(State.offline, rx.badge("offline: last verified answer", color_scheme="amber")),
                gap="2",
                wrap="wrap",
            ),
            rx.cond(
                State.fell_back,
                rx.callout(
                    "Your license is no longer valid, so the app went back to free: " + State.license_message,
                    icon="triangle_alert",
                    color_scheme="red",
                    id="license-fell-back",
                ),
                rx.cond(State.license_message != "", rx.text(State.license_message, color_scheme="red", size="2", id="license-message")),
            ),
            rx.cond(
                State.license_state == "licensed",
                rx.vstack(
                    rx.text("Key JSW-", State.key_hint, "-… · expires ", State.expires, size="2"),
                    rx.text(
                        "Unlocked: ",
                        rx.foreach(State.features, lambda name: rx.badge(name, variant="soft", margin_right="4px")),
                        size="2",
                        id="license-features",
                    ),
                    spacing="2",
                ),
            ),
            rx.text("This machine: ", State.machine_name, " (", State.fingerprint, "…)", size="2", color_scheme="gray"),
            rx.cond(
                State.machines.length() > 0,  # type: ignore[attr-defined]
                rx.vstack(
                    rx.text("Activated on", size="2", weight="medium"),
                    rx.foreach(State.machines, _machine_line),
                    spacing="1",
                    id="license-machines",
                ),
            ),
            rx.cond(State.machines_problem != "", rx.text(State.machines_problem, size="1", color_scheme="gray")),
            rx.cond(State.checked != "", rx.text("Last checked ", State.checked, size="1", color_scheme="gray")),
            rx.cond(
                State.license_state == "unset",
                rx.text("Enter your license key, or run the free version.", size="2"),
            ),
            _key_form(),
            rx.flex(
                rx.cond(State.license_state == "unset", rx.button("Run free", variant="soft", on_click=State.run_free)),
                rx.cond(State.key_hint != "", rx.button("Check now", variant="soft", on_click=State.check_now, loading=State.busy)),
                rx.cond(
                    State.key_hint != "",
                    rx.button("Deactivate this machine", variant="soft", color_scheme="red", on_click=State.deactivate),
                ),
                gap="2",
                wrap="wrap",
            ),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _machine_line(machine: Any) -> rx.Component:
    return rx.text(
        machine["name"],
        " (",
        machine["short_fingerprint"],
        "…) · last seen ",
        machine["last_seen"],
        rx.cond(machine["this_machine"] != "", " · this machine", ""),
        size="2",
        class_name="license-machine",
    )


def _search_card() -> rx.Component:
    return rx.card(
        rx.form(
            rx.vstack(
                rx.heading("Searching from this machine", size="4"),
                rx.text("Proxies (one per line, user:password@host:port)", size="2", weight="medium"),
                rx.text_area(name="proxies", default_value=State.proxies_text, aria_label="Proxies", width="100%", rows="3"),
                rx.text("Per-site timeout (seconds)", size="2", weight="medium"),
                rx.input(name="site_timeout", default_value=State.site_timeout_text, aria_label="Per-site timeout", width="120px"),
                rx.button("Save", type="submit", variant="soft"),
                spacing="2",
                width="100%",
            ),
            on_submit=State.save_preferences,
            width="100%",
        ),
        width="100%",
    )


def _data_card() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Your data", size="4"),
            rx.text("Everything stays in this folder on this machine:", size="2"),
            rx.code(State.data_folder, id="data-folder"),
            rx.button("Download a backup", variant="soft", on_click=State.download_backup),
            spacing="2",
        ),
        width="100%",
    )


def _premium_cards() -> rx.Component:
    insights = rx.card(
        rx.vstack(
            rx.heading("Salary insights", size="4"),
            rx.form(
                rx.flex(
                    rx.input(name="title", placeholder="Job title", aria_label="Job title", required=True),
                    rx.input(name="location", placeholder="City, state or Remote", aria_label="Location"),
                    rx.button("Show pay", type="submit", variant="soft", loading=State.busy),
                    gap="2",
                    wrap="wrap",
                ),
                on_submit=State.show_insights,
            ),
            rx.cond(State.insight_band != "", rx.text(State.insight_band, weight="bold", id="insight-band")),
            rx.cond(State.insight_detail != "", rx.text(State.insight_detail, size="1", color_scheme="gray")),
            rx.cond(State.insight_problem != "", rx.text(State.insight_problem, color_scheme="red", size="2")),
            spacing="2",
        ),
        width="100%",
    )
    syncing = rx.card(
        rx.vstack(
            rx.heading("Tracker and saved searches on your account", size="4"),
            rx.text("Sync this computer's tracker and saved searches with your account, so the web app shows the same.", size="2"),
            rx.button("Sync now", variant="soft", on_click=State.sync_now, loading=State.busy),
            rx.cond(State.synced_at != "", rx.text("Last synced ", State.synced_at, ": ", State.sync_counts, size="2", id="sync-summary")),
            rx.foreach(
                State.sync_notes, lambda note: rx.callout(note, icon="info", color_scheme="amber", size="1", class_name="sync-note")
            ),
            rx.cond(State.sync_problem != "", rx.text(State.sync_problem, color_scheme="red", size="2", id="sync-problem")),
            spacing="2",
        ),
        width="100%",
    )
    return rx.cond(State.features.contains("salary_insights"), rx.fragment(insights, syncing))


@page_shell
def settings_page() -> rx.Component:
    return rx.vstack(
        rx.heading("Settings", size="6"),
        _messages(),
        _license_card(),
        _premium_cards(),
        _search_card(),
        _data_card(),
        spacing="4",
        max_width="720px",
        width="100%",
    )
