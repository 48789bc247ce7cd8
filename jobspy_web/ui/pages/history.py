"""Search history: reopen a past search with its results, run it again, refill the form,
rename or delete it; twenty a page."""

from __future__ import annotations

import reflex as rx

from jobspy_web.ui.components.forms import field_error, label
from jobspy_web.ui.layout import page_shell
from jobspy_web.ui.state.history import HistoryState
from jobspy_web.ui.state.search import SearchState

STATUS_COLORS = {"completed": "green", "running": "blue", "queued": "gray", "failed": "red", "cancelled": "amber", "interrupted": "orange"}


def _rename_form(item: rx.Var) -> rx.Component:
    input_id = "rename-" + item["id"].to(str)
    return rx.form(
        rx.flex(
            rx.vstack(
                label("Name", "rename-input"),
                rx.input(
                    name="label",
                    id="rename-input",
                    default_value=item["label"],
                    max_length=300,
                    auto_focus=True,
                    aria_invalid=rx.cond(HistoryState.rename_error != "", "true", "false"),
                    aria_describedby="rename-input-error",
                ),
                field_error(HistoryState.rename_error, "rename-input"),
                spacing="1",
                flex_grow="1",
            ),
            rx.button("Save", type="submit", size="2"),
            rx.button("Cancel", type="button", size="2", variant="soft", color_scheme="gray", on_click=HistoryState.cancel_rename),
            gap="2",
            align="end",
            wrap="wrap",
            width="100%",
        ),
        on_submit=HistoryState.rename,
        id=input_id,
        width="100%",
    )


def _actions(item: rx.Var) -> rx.Component:
    label_text = item["label"].to(str)
    return rx.flex(
        rx.button("Open", size="1", variant="soft", on_click=SearchState.open_search(item["id"]), aria_label="Open " + label_text),
        rx.button(
            "Run again",
            size="1",
            variant="soft",
            on_click=SearchState.rerun(item["id"]),
            class_name="history-rerun",
            aria_label="Run again: " + label_text,
        ),
        rx.button(
            "Edit and search",
            size="1",
            variant="soft",
            on_click=SearchState.refill_from(item["id"]),
            class_name="history-refill",
            aria_label="Edit and search: " + label_text,
        ),
        rx.button(
            "Rename",
            size="1",
            variant="soft",
            color_scheme="gray",
            on_click=HistoryState.start_rename(item["id"]),
            class_name="history-rename",
            aria_label="Rename " + label_text,
        ),
        rx.cond(
            item["active"] == "",
            rx.button(
                "Delete",
                size="1",
                variant="soft",
                color_scheme="red",
                on_click=HistoryState.delete(item["id"]),
                class_name="history-delete",
                aria_label="Delete " + label_text,
            ),
        ),
        gap="2",
        wrap="wrap",
    )


def _search_card(item: rx.Var) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.flex(
                rx.vstack(
                    rx.el.button(item["label"], on_click=SearchState.open_search(item["id"]), type="button", class_name="job-title"),
                    rx.text(item["created_at"], " · ", item["sites"], size="1", color_scheme="gray"),
                    spacing="1",
                ),
                rx.spacer(),
                rx.badge(item["job_count"], " jobs", variant="soft"),
                rx.badge(
                    item["status"], color_scheme=rx.match(item["status"], *STATUS_COLORS.items(), "gray"), class_name="history-status"
                ),
                gap="2",
                align="center",
                wrap="wrap",
                width="100%",
            ),
            rx.cond(HistoryState.renaming_id == item["id"], _rename_form(item), _actions(item)),
            spacing="2",
            width="100%",
        ),
        width="100%",
        class_name="history-item",
    )


def _pager() -> rx.Component:
    return rx.cond(
        (HistoryState.page > 0) | HistoryState.has_next,
        rx.el.nav(
            rx.flex(
                rx.button(
                    "Newer", on_click=HistoryState.previous_page, disabled=HistoryState.page == 0, variant="soft", id="history-newer"
                ),
                rx.text("Page ", HistoryState.page + 1, size="2", id="history-page"),
                rx.button("Older", on_click=HistoryState.next_page, disabled=~HistoryState.has_next, variant="soft", id="history-older"),
                gap="3",
                align="center",
            ),
            aria_label="History pages",
        ),
    )


@page_shell
def history_page() -> rx.Component:
    return rx.vstack(
        rx.heading("Search history", size="6", as_="h1"),
        rx.cond(
            HistoryState.searches.length() > 0,
            rx.vstack(rx.foreach(HistoryState.searches, _search_card), width="100%", spacing="2"),
            rx.text("No searches yet.", color_scheme="gray"),
        ),
        _pager(),
        spacing="4",
        width="100%",
    )
