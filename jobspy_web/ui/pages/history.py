"""Search history: reopen any past search with its results."""

from __future__ import annotations

import reflex as rx

from jobspy_web.ui.layout import page_shell
from jobspy_web.ui.state.history import HistoryState
from jobspy_web.ui.state.search import SearchState

STATUS_COLORS = {"completed": "green", "running": "blue", "queued": "gray", "failed": "red", "cancelled": "amber", "interrupted": "orange"}


def _search_card(item: rx.Var) -> rx.Component:
    return rx.card(
        rx.flex(
            rx.vstack(
                rx.link(item["label"], on_click=SearchState.open_search(item["id"]), weight="medium", cursor="pointer"),
                rx.text(item["created_at"], " · ", item["sites"], size="1", color_scheme="gray"),
                spacing="1",
            ),
            rx.spacer(),
            rx.badge(item["job_count"], " jobs", variant="soft"),
            rx.badge(item["status"], color_scheme=rx.match(item["status"], *STATUS_COLORS.items(), "gray")),
            gap="2",
            align="center",
            wrap="wrap",
        ),
        width="100%",
        class_name="history-item",
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
        spacing="4",
        width="100%",
    )
