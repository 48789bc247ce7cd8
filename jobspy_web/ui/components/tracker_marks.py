"""The tracker in the search results: a row's stage badge (beside "Seen") or its Save
button, and Save to tracker in the job's detail dialog."""

from __future__ import annotations

import reflex as rx

from jobspy_web.ui import routes
from jobspy_web.ui.state.search import SearchState


def row_stage(row: rx.Var) -> rx.Component:
    return rx.cond(
        row["stage"] != "",
        rx.badge(row["stage"], color_scheme="blue", variant="soft", class_name="tracker-stage-badge"),
        rx.icon_button(
            rx.icon("bookmark-plus", size=14),
            on_click=SearchState.save_to_tracker(row["id"]),
            variant="ghost",
            size="1",
            aria_label="Save " + row["title"].to(str) + " to the tracker",
            title="Save to tracker",
            class_name="save-to-tracker",
        ),
    )


def detail_save(detail: rx.Var) -> rx.Component:
    return rx.cond(
        detail["tracker_stage"] != "",
        rx.link("In your tracker: ", detail["tracker_stage"], href=routes.TRACKER, id="detail-tracker-stage", size="2"),
        rx.button("Save to tracker", on_click=SearchState.save_to_tracker(detail["id"]), variant="soft", id="detail-save-to-tracker"),
    )


def stage_refresher() -> rx.Component:
    """Nothing to see: on showing the results, it asks for their current tracker stages."""
    return rx.box(on_mount=SearchState.refresh_tracker_stages, display="none")
