"""The Saved searches page: save one (several terms and places, a schedule, its channels), and
pause, resume, run now or delete the saved ones."""

from __future__ import annotations

import reflex as rx

from jobspy_web.saved_searches.schedules import WEEKDAYS
from jobspy_web.ui.layout import page_shell
from jobspy_web.ui.state.saved_searches import SCHEDULES, SavedSearchesState

_BROWSER_ZONE = "Intl.DateTimeFormat().resolvedOptions().timeZone"


def _set(name: str):  # type: ignore[no-untyped-def]
    return lambda value: SavedSearchesState.set_form(name, value)


def _field(label: str, control: rx.Component) -> rx.Component:
    return rx.el.label(rx.text(label, size="2", weight="medium"), control, style={"display": "grid", "gap": "4px", "width": "100%"})


def _form() -> rx.Component:
    state = SavedSearchesState
    return rx.card(
        rx.vstack(
            rx.heading("Save a search", size="4", as_="h2"),
            _field("Name", rx.input(value=state.name, on_change=_set("name"), id="saved-name")),
            rx.grid(
                _field(
                    "Search terms (one per line)",
                    rx.text_area(value=state.terms, on_change=_set("terms"), id="saved-terms", rows="3"),
                ),
                _field(
                    "Locations (one per line; empty: anywhere)",
                    rx.text_area(value=state.locations, on_change=_set("locations"), id="saved-locations", rows="3"),
                ),
                columns=rx.breakpoints(initial="1", sm="2"),
                gap="3",
                width="100%",
            ),
            rx.grid(
                _field(
                    "Schedule",
                    rx.el.select(
                        *[rx.el.option(kind, value=kind) for kind in SCHEDULES],
                        value=state.schedule,
                        on_change=_set("schedule"),
                        id="saved-schedule",
                    ),
                ),
                _field(
                    "At",
                    rx.input(type="time", value=state.at_time, on_change=_set("at_time"), id="saved-time"),
                ),
                _field(
                    "On (weekly)",
                    rx.el.select(
                        *[rx.el.option(day, value=day) for day in WEEKDAYS],
                        value=state.weekday,
                        on_change=_set("weekday"),
                        id="saved-weekday",
                    ),
                ),
                _field(
                    "Time zone",
                    rx.input(value=state.timezone, on_change=_set("timezone"), id="saved-timezone"),
                ),
                columns=rx.breakpoints(initial="2", sm="4"),
                gap="3",
                width="100%",
            ),
            rx.checkbox(
                "Email digest when something is new",
                checked=state.email_digest,
                on_change=_set("email_digest"),
            ),
            _field(
                "Other channels: one Apprise URL per line (ntfy://topic, slack://…, discord://…, json://host/path)",
                rx.text_area(value=state.apprise, on_change=_set("apprise"), id="saved-apprise", rows="2"),
            ),
            rx.flex(
                rx.checkbox("Web Push", checked=state.push, on_change=_set("push")),
                rx.button("Turn on push in this browser", variant="soft", size="1", on_click=state.turn_on_push),
                gap="3",
                align="center",
                wrap="wrap",
            ),
            rx.cond(state.form_error != "", rx.callout(state.form_error, color_scheme="red", role="alert", id="saved-error")),
            rx.button("Save", on_click=state.save, id="saved-save"),
            spacing="3",
            width="100%",
        ),
        width="100%",
    )


def _saved_card(saved: rx.Var) -> rx.Component:
    state = SavedSearchesState
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.text(saved["name"], weight="bold"),
                rx.spacer(),
                rx.text(saved["schedule"], size="2", color_scheme="gray"),
                width="100%",
                wrap="wrap",
                gap="2",
            ),
            rx.text(saved["what"], size="2"),
            rx.cond(saved["channels"] != "", rx.text("Alerts: ", saved["channels"], size="1", color_scheme="gray")),
            rx.cond(saved["failing"] != "", rx.callout(saved["failing"], color_scheme="orange", size="1")),
            rx.flex(
                rx.button(
                    rx.cond(state.running.contains(saved["id"]), "Running…", "Run now"),
                    size="1",
                    on_click=state.run_now(saved["id"]),
                    disabled=state.running.contains(saved["id"]),
                    class_name="run-now",
                ),
                rx.cond(
                    saved["paused"] == "yes",
                    rx.button("Resume", size="1", variant="soft", on_click=state.set_paused(saved["id"], False)),
                    rx.button("Pause", size="1", variant="soft", on_click=state.set_paused(saved["id"], True)),
                ),
                rx.button("Delete", size="1", variant="ghost", color_scheme="red", on_click=state.delete(saved["id"])),
                gap="2",
                wrap="wrap",
            ),
            spacing="2",
            width="100%",
        ),
        width="100%",
        class_name="saved-search",
    )


@page_shell
def saved_searches_page() -> rx.Component:
    state = SavedSearchesState
    return rx.vstack(
        rx.heading("Saved searches", size="6", as_="h1"),
        rx.cond(state.message != "", rx.callout(state.message, id="saved-message", role="status")),
        rx.cond(
            state.saved.length() > 0,
            rx.vstack(rx.foreach(state.saved, _saved_card), width="100%", spacing="2"),
            rx.text("Nothing saved yet. Save a search to run it again, or on a schedule with alerts of new jobs.", color_scheme="gray"),
        ),
        _form(),
        spacing="4",
        width="100%",
        on_mount=rx.call_script(_BROWSER_ZONE, callback=SavedSearchesState.browser_timezone),
    )
