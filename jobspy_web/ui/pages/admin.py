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


def _license_row(item: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.code(item["prefix"])),
        rx.table.cell(item["owner"]),
        rx.table.cell(item["type"]),
        rx.table.cell(item["status"]),
        rx.table.cell(item["expires"]),
        rx.table.cell(item["validations"]),
        rx.table.cell(
            rx.select(
                ["suspend", "reinstate", "revoke", "extend30", "type:free", "type:pro", "type:team"],
                placeholder="Change…",
                value="",
                on_change=lambda action: AdminState.change_license(item["id"], action),
                size="1",
            )
        ),
        class_name="license-row",
    )


def _board_row(board: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.row_header_cell(board["name"]),
        rx.table.cell(board["searches"]),
        rx.table.cell(board["success"]),
        rx.table.cell(board["median"]),
        rx.table.cell(board["blocked"]),
        rx.table.cell(
            rx.text(board["last_failure"], size="1", white_space="nowrap"),
            rx.cond(board["failure_text"] != "", rx.text(board["failure_text"], size="1", color_scheme="gray")),
            min_width="220px",
        ),
        rx.table.cell(
            rx.cond(board["notice"] != "", rx.text(board["notice"], size="1", color_scheme="amber"), rx.text("–", size="1")),
            min_width="200px",
        ),
        class_name="board-row",
        id=f"board-{board['site']}",
    )


def _proxy_row(proxy: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.code(proxy["proxy"])),
        rx.table.cell(proxy["site"]),
        rx.table.cell(proxy["ok"]),
        rx.table.cell(proxy["failed"]),
        rx.table.cell(
            rx.badge(
                proxy["state"],
                color_scheme=rx.match(proxy["state"], ("working", "green"), ("set aside", "red"), ("failing", "orange"), "gray"),
            ),
            rx.cond(proxy["until"] != "", rx.text("until ", proxy["until"], size="1", color_scheme="gray")),
        ),
        class_name="proxy-row",
    )


def _board_health() -> rx.Component:
    return rx.vstack(
        rx.heading("Board health", size="4"),
        rx.text(
            "Every user's searches of the last 7 days (the newest 500): answers that came back, how long they took, "
            "how often the board refused this server. Cancelled and interrupted searches don't count.",
            size="2",
            color_scheme="gray",
        ),
        _table(["Board", "Searches", "Success", "Median", "Blocked", "Last failure", "Backoff"], AdminState.boards, _board_row),
        rx.heading("Proxies", size="3"),
        rx.cond(
            AdminState.proxies_configured,
            _table(["Proxy", "Board", "OK", "Failed", "State"], AdminState.proxies, _proxy_row),
            rx.text("No proxies configured: set JOBSPY_PROXIES to search through them.", size="2", color_scheme="gray"),
        ),
        spacing="3",
        width="100%",
        id="board-health",
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
        rx.heading("Licenses", size="4"),
        rx.cond(AdminState.admin_error != "", rx.callout(AdminState.admin_error, icon="triangle_alert", color_scheme="red")),
        rx.form(
            rx.flex(
                rx.input(name="email", placeholder="Owner's email (optional)", type="email", width="240px"),
                rx.select(["free", "pro", "team"], name="license_type", default_value="pro"),
                rx.input(name="days", placeholder="Days (empty: perpetual)", type="number", min=1, width="200px"),
                rx.button("Issue license", type="submit", id="issue-license"),
                gap="2",
                wrap="wrap",
            ),
            on_submit=AdminState.issue_license,
            reset_on_submit=True,
        ),
        rx.cond(
            AdminState.issued_key != "",
            rx.callout(
                rx.text("New key (shown once): ", rx.code(AdminState.issued_key, id="issued-key")), icon="key", color_scheme="amber"
            ),
        ),
        _table(["Key", "Owner", "Type", "Status", "Expires", "Validations", ""], AdminState.licenses, _license_row),
        _board_health(),
        rx.heading("Outbox", size="4"),
        rx.text("Mail the app sent (or would send: without SMTP_URL nothing leaves the server).", size="2", color_scheme="gray"),
        rx.foreach(
            AdminState.outbox,
            lambda m: rx.card(
                rx.text(m["when"], " · to ", m["to"], " · ", m["sent"], size="1", color_scheme="gray"),
                rx.text(m["subject"], weight="medium"),
                rx.cond(
                    AdminState.revealed_mail["id"] == m["id"],
                    rx.text(AdminState.revealed_mail["body"], white_space="pre-wrap", size="2", class_name="outbox-revealed"),
                    rx.vstack(
                        rx.text(m["body"], white_space="pre-wrap", size="2", class_name="outbox-body"),
                        rx.button(
                            "Show links", size="1", variant="soft", class_name="outbox-reveal", on_click=AdminState.reveal_mail(m["id"])
                        ),
                        align="start",
                    ),
                ),
                width="100%",
                class_name="outbox-card",
            ),
        ),
        rx.heading("Recent audit events", size="4"),
        _table(
            ["When", "Action", "Subject", "IP"],
            AdminState.events,
            lambda e: rx.table.row(
                rx.table.cell(e["when"]), rx.table.cell(e["action"]), rx.table.cell(e["subject"]), rx.table.cell(e["ip"])
            ),
        ),
        spacing="3",
        width="100%",
    )
