"""The admin page."""

from __future__ import annotations

import reflex as rx

from jobspy_web.models import Role
from jobspy_web.ui.layout import page_shell
from jobspy_web.ui.state.admin import AdminState


def _user_row(user: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(user["email"]),
        rx.table.cell(
            rx.select(
                [role.value for role in Role],
                value=user["role"],
                on_change=lambda role: AdminState.set_role(user["id"], role),
                size="1",
            )
        ),
        rx.table.cell(user["tier"]),
        rx.table.cell(user["verified"]),
        rx.table.cell(user["created"]),
    )


def _table(headers: list[str], rows: rx.Var, render: object) -> rx.Component:
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
            rx.table.body(rx.foreach(rows, render)),
            size="1",
            width="100%",
        ),
        overflow_x="auto",
        width="100%",
    )


@page_shell
def admin_page() -> rx.Component:
    return rx.vstack(
        rx.heading("Admin", size="6"),
        rx.heading("Users", size="4"),
        _table(["Email", "Role", "Tier", "Verified", "Joined"], AdminState.users, _user_row),
        rx.heading("Outbox", size="4"),
        rx.text("Mail the app sent (or would send: without SMTP_URL nothing leaves the server).", size="2", color_scheme="gray"),
        rx.foreach(
            AdminState.outbox,
            lambda m: rx.card(
                rx.text(m["when"], " · to ", m["to"], " · ", m["sent"], size="1", color_scheme="gray"),
                rx.text(m["subject"], weight="medium"),
                rx.text(m["body"], white_space="pre-wrap", size="2", class_name="outbox-body"),
                width="100%",
                class_name="outbox-card",
            ),
        ),
        rx.heading("Recent audit events", size="4"),
        _table(
            ["When", "Action", "Subject", "IP"],
            AdminState.events,
            lambda e: rx.table.row(rx.table.cell(e["when"]), rx.table.cell(e["action"]), rx.table.cell(e["subject"]), rx.table.cell(e["ip"])),
        ),
        spacing="3",
        width="100%",
    )
