"""The tracker page: a board with a column per stage (drag a card with the mouse; on a phone
each card's stage select and arrows move it), a list with sort and filter, and exports."""

from __future__ import annotations

import reflex as rx

from jobspy_web.ui.components.drag import draggable, drop_zone
from jobspy_web.ui.layout import page_shell
from jobspy_web.ui.state.tracker import STAGE_LABELS, STAGE_ORDER, TrackerState

STAGE_COLORS = {"saved": "gray", "applied": "blue", "interviewing": "violet", "offer": "green", "rejected": "red", "withdrawn": "amber"}


def stage_badge(stage: rx.Var, label: rx.Var) -> rx.Component:
    return rx.badge(label, color_scheme=rx.match(stage, *STAGE_COLORS.items(), "gray"), variant="soft", class_name="stage-badge")


def _stage_select(card: rx.Var) -> rx.Component:
    """A native select: the dependable touch path (a phone shows its own picker)."""
    return rx.el.select(
        *[rx.el.option(label, value=stage) for stage, label in STAGE_LABELS.items()],
        value=card["stage"],
        on_change=lambda stage: TrackerState.move(card["id"], stage),
        aria_label="Move " + card["title"].to(str) + " to stage",
        class_name="stage-select",
        style={"font_size": "14px", "padding": "4px", "min_height": "32px", "max_width": "100%"},
    )


def _card(card: rx.Var) -> rx.Component:
    return draggable(
        rx.card(
            rx.vstack(
                rx.link(
                    card["title"],
                    on_click=TrackerState.open_item(card["id"]),
                    weight="medium",
                    cursor="pointer",
                    class_name="card-title",
                ),
                rx.text(
                    card["company"], rx.cond(card["location"] != "", " · " + card["location"].to(str), ""), size="1", color_scheme="gray"
                ),
                rx.cond(card["follow_up_on"] != "", rx.text("Follow up ", card["follow_up_on"], size="1", color_scheme="amber")),
                rx.hstack(
                    rx.icon_button(
                        rx.icon("chevron-left", size=16),
                        on_click=TrackerState.step(card["id"], -1),
                        variant="soft",
                        size="1",
                        aria_label="Move to the previous stage",
                        class_name="move-back",
                        disabled=card["stage"] == STAGE_ORDER[0],
                    ),
                    _stage_select(card),
                    rx.icon_button(
                        rx.icon("chevron-right", size=16),
                        on_click=TrackerState.step(card["id"], 1),
                        variant="soft",
                        size="1",
                        aria_label="Move to the next stage",
                        class_name="move-on",
                        disabled=card["stage"] == STAGE_ORDER[-1],
                    ),
                    align="center",
                    spacing="1",
                    width="100%",
                ),
                spacing="1",
                width="100%",
            ),
            size="1",
            width="100%",
        ),
        on_drag_start=TrackerState.start_drag(card["id"]),
        class_name="tracker-card",
        data_item_id=card["id"],
        data_stage=card["stage"],
        style={"cursor": "grab"},
    )


def _column(stage: str) -> rx.Component:
    return drop_zone(
        rx.vstack(
            rx.hstack(
                rx.heading(STAGE_LABELS[stage], size="3", as_="h2"),
                rx.badge(TrackerState.column_counts[stage], variant="outline", radius="full"),
                align="center",
                spacing="2",
            ),
            rx.foreach(TrackerState.columns[stage], _card),
            spacing="2",
            width="100%",
        ),
        on_drop=TrackerState.drop_on(stage),
        class_name="tracker-column",
        data_stage=stage,
        id=f"column-{stage}",
        style={
            "background": "var(--gray-a2)",
            "border_radius": "8px",
            "padding": "8px",
            "min_height": "120px",
            # Side by side on wide screens, one under another on a phone.
            "flex": "1 1 180px",
            "min_width": "180px",
        },
    )


def board() -> rx.Component:
    return rx.flex(*[_column(stage) for stage in STAGE_ORDER], gap="3", wrap="wrap", width="100%", id="tracker-board")


def _list_row(card: rx.Var) -> rx.Component:
    hide_on_phone = {"display": ["none", "none", "table-cell"]}
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.link(card["title"], on_click=TrackerState.open_item(card["id"]), weight="medium", cursor="pointer"),
                rx.text(card["company"], " · ", card["location"], size="1", color_scheme="gray", display=["block", "block", "none"]),
                spacing="0",
            )
        ),
        rx.table.cell(card["company"], **hide_on_phone),
        rx.table.cell(stage_badge(card["stage"], card["stage_label"]), rx.text(card["since"], size="1", color_scheme="gray")),
        rx.table.cell(card["follow_up_on"], **hide_on_phone),
        rx.table.cell(card["updated"], white_space="nowrap", **hide_on_phone),
        class_name="tracker-row",
        data_item_id=card["id"],
    )


def _list_filters() -> rx.Component:
    return rx.flex(
        rx.input(
            value=TrackerState.filter_text,
            on_change=lambda value: TrackerState.set_list_filter("filter_text", value),
            placeholder="Filter title, company, notes",
            id="tracker-filter-text",
            aria_label="Filter title, company, notes",
            min_width="200px",
        ),
        rx.el.select(
            rx.el.option("Every stage", value="all"),
            *[rx.el.option(label, value=stage) for stage, label in STAGE_LABELS.items()],
            value=TrackerState.filter_stage,
            on_change=lambda value: TrackerState.set_list_filter("filter_stage", value),
            aria_label="Stage",
            id="tracker-filter-stage",
            style={"padding": "6px", "min_height": "32px"},
        ),
        rx.el.select(
            rx.el.option("Recently changed", value="updated"),
            rx.el.option("Title A–Z", value="title"),
            rx.el.option("Company A–Z", value="company"),
            rx.el.option("Stage", value="stage"),
            rx.el.option("Follow-up soonest", value="follow_up"),
            value=TrackerState.sort,
            on_change=lambda value: TrackerState.set_list_filter("sort", value),
            aria_label="Sort",
            id="tracker-sort",
            style={"padding": "6px", "min_height": "32px"},
        ),
        gap="2",
        wrap="wrap",
        align="center",
        width="100%",
    )


def list_view() -> rx.Component:
    hide_on_phone = {"display": ["none", "none", "table-cell"]}
    return rx.vstack(
        _list_filters(),
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Job"),
                    rx.table.column_header_cell("Company", **hide_on_phone),
                    rx.table.column_header_cell("Stage"),
                    rx.table.column_header_cell("Follow up", **hide_on_phone),
                    rx.table.column_header_cell("Changed", **hide_on_phone),
                )
            ),
            rx.table.body(rx.foreach(TrackerState.rows, _list_row)),
            width="100%",
            size="1",
            variant="surface",
            id="tracker-list",
        ),
        spacing="3",
        width="100%",
    )


def _edit_dialog() -> rx.Component:
    editing = TrackerState.editing
    errors = TrackerState.edit_errors
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(editing["title"]),
            rx.dialog.description(rx.text(editing["company"], " · ", editing["location"], " · ", editing["salary"], size="2")),
            rx.form(
                rx.vstack(
                    rx.el.label("Stage", html_for="edit-stage", style={"font_size": "14px"}),
                    rx.el.select(
                        *[rx.el.option(label, value=stage) for stage, label in STAGE_LABELS.items()],
                        default_value=editing["stage"],
                        name="stage",
                        id="edit-stage",
                        key=editing["id"].to(str) + editing["stage"].to(str),
                        style={"padding": "6px", "min_height": "32px"},
                    ),
                    rx.el.label("Follow up on", html_for="edit-follow-up", style={"font_size": "14px"}),
                    rx.input(
                        type="date", name="follow_up_on", id="edit-follow-up", default_value=editing["follow_up_on"], key=editing["id"]
                    ),
                    rx.cond(errors.contains("follow_up_on"), rx.text(errors["follow_up_on"], color_scheme="red", size="1")),
                    rx.el.label("Notes", html_for="edit-notes", style={"font_size": "14px"}),
                    rx.text_area(name="notes", id="edit-notes", default_value=editing["notes"], key=editing["id"], rows="5", width="100%"),
                    rx.cond(errors.contains("notes"), rx.text(errors["notes"], color_scheme="red", size="1")),
                    rx.cond(errors.contains("form"), rx.text(errors["form"], color_scheme="red", size="2")),
                    rx.text("Postings", size="2", weight="medium"),
                    rx.foreach(
                        TrackerState.editing_postings,
                        lambda posting: rx.link(posting["site"], ": ", posting["url"], href=posting["url"], is_external=True, size="1"),
                    ),
                    rx.flex(
                        rx.button("Save", type="submit", id="edit-save"),
                        rx.button(
                            "Remove from tracker", type="button", variant="soft", color_scheme="red", on_click=TrackerState.delete_item
                        ),
                        rx.spacer(),
                        rx.dialog.close(rx.button("Close", type="button", variant="soft", color_scheme="gray")),
                        gap="2",
                        wrap="wrap",
                        width="100%",
                    ),
                    spacing="2",
                    width="100%",
                ),
                on_submit=TrackerState.save_item,
                reset_on_submit=False,
            ),
            max_width="560px",
        ),
        open=TrackerState.edit_open,
        on_open_change=TrackerState.set_edit_open,
    )


def _toolbar() -> rx.Component:
    return rx.flex(
        rx.heading("Job tracker", size="6", as_="h1"),
        rx.spacer(),
        rx.segmented_control.root(
            rx.segmented_control.item("Board", value="board"),
            rx.segmented_control.item("List", value="list"),
            value=TrackerState.view,
            on_change=TrackerState.show_view,
            id="tracker-view",
        ),
        rx.hstack(
            rx.text("Export", size="2", color_scheme="gray"),
            *[
                rx.button(fmt.upper(), size="1", variant="outline", on_click=TrackerState.export(fmt), id=f"tracker-export-{fmt}")
                for fmt in ("csv", "xlsx")
            ],
            align="center",
            spacing="2",
        ),
        gap="3",
        align="center",
        wrap="wrap",
        width="100%",
    )


@page_shell
def tracker_page() -> rx.Component:
    return rx.vstack(
        _toolbar(),
        rx.cond(
            TrackerState.total > 0,
            rx.cond(TrackerState.view == "board", board(), list_view()),
            rx.text(
                "Nothing tracked yet. Open a job in your search results and choose Save to tracker, or use the browser extension.",
                color_scheme="gray",
            ),
        ),
        _edit_dialog(),
        spacing="4",
        width="100%",
    )
