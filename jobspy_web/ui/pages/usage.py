"""API usage: calls per day, p95 latency and errors by endpoint, today's premium quota;
for an admin, the same across users and the top users."""

from __future__ import annotations

import reflex as rx

from jobspy_web.ui.layout import page_shell
from jobspy_web.ui.state.usage import UsageState


def _table(headers: list[str], rows: rx.Var, cells: list[str], table_id: str) -> rx.Component:
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(text) for text in headers])),
        rx.table.body(rx.foreach(rows, lambda row: rx.table.row(*[rx.table.cell(row[name]) for name in cells]))),
        size="1",
        width="100%",
        id=table_id,
    )


@page_shell
def usage_page() -> rx.Component:
    return rx.vstack(
        rx.heading("API usage", size="6", as_="h1"),
        rx.cond(
            UsageState.is_admin,
            rx.button(rx.cond(UsageState.everyone, "Show mine", "Show all users"), on_click=UsageState.toggle_everyone, variant="soft"),
        ),
        rx.card(
            rx.vstack(
                rx.text(UsageState.quota_text, id="usage-quota"),
                rx.progress(value=UsageState.quota_percent, max=100),
                rx.text(UsageState.calls, " calls in the last 30 days", size="2", color_scheme="gray", id="usage-calls"),
                spacing="2",
            ),
            width="100%",
        ),
        rx.heading("Calls per day", size="4", as_="h2"),
        rx.recharts.bar_chart(
            rx.recharts.x_axis(data_key="day"),
            rx.recharts.y_axis(allow_decimals=False),
            rx.recharts.tooltip(),
            rx.recharts.legend(),
            rx.recharts.bar(data_key="calls", name="Calls", fill="var(--accent-9)"),
            rx.recharts.bar(data_key="errors", name="Errors", fill="var(--red-9)"),
            data=UsageState.per_day,
            height=260,
            width="100%",
        ),
        rx.heading("By endpoint", size="4", as_="h2"),
        _table(["Endpoint", "Calls", "Errors", "p95"], UsageState.by_endpoint, ["endpoint", "calls", "errors", "p95"], "usage-endpoints"),
        rx.cond(
            UsageState.everyone,
            rx.vstack(
                rx.heading("Top users", size="4", as_="h2"),
                _table(["User", "Calls"], UsageState.top_users, ["user_id", "calls"], "usage-top-users"),
                width="100%",
            ),
        ),
        spacing="4",
        width="100%",
    )
