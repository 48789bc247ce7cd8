"""The admin page."""

from __future__ import annotations

import reflex as rx

from jobspy_web.models import Role
from jobspy_web.ui.components.forms import field, field_error, label
from jobspy_web.ui.layout import page_shell
from jobspy_web.ui.state.admin import AdminState


def _user_row(user: rx.Var) -> rx.Component:
    return rx.table.row(
        rx.table.cell(user["email"]),
        rx.table.cell(
            rx.select.root(
                rx.select.trigger(aria_label="Role of " + user["email"].to(str)),
                rx.select.content(*[rx.select.item(role.value, value=role.value) for role in Role]),
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
            rx.select.root(
                rx.select.trigger(placeholder="Change…", aria_label="Change license " + item["prefix"].to(str)),
                rx.select.content(
                    *[
                        rx.select.item(action, value=action)
                        for action in ["suspend", "reinstate", "revoke", "extend30", "type:free", "type:pro", "type:team"]
                    ]
                ),
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
        rx.heading("Board health", size="4", as_="h2"),
        rx.text(
            "Every user's searches of the last 7 days (the newest 500): answers that came back, how long they took, "
            "how often the board refused this server. Cancelled and interrupted searches don't count.",
            size="2",
            color_scheme="gray",
        ),
        _table(["Board", "Searches", "Success", "Median", "Blocked", "Last failure", "Backoff"], AdminState.boards, _board_row),
        rx.heading("Proxies", size="3", as_="h3"),
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
    # On a phone the table scrolls sideways in this box, which takes the keyboard focus
    # (tabindex) so arrow keys scroll it too; app.css turns off Radix's own inner scroller.
    return rx.box(
        rx.table.root(
            rx.table.header(rx.table.row(*[rx.table.column_header_cell(h) for h in headers])),
            rx.table.body(rx.foreach(rows, render)),
            size="1",
            width="100%",
        ),
        overflow_x="auto",
        width="100%",
        tab_index=0,
        role="region",
        aria_label=f"Table: {', '.join(h for h in headers[:3] if h)}…",
        class_name="scroll-table",
    )


@page_shell
def admin_page() -> rx.Component:
    return rx.vstack(
        rx.heading("Admin", size="6", as_="h1"),
        rx.heading("Users", size="4", as_="h2"),
        _table(["Email", "Role", "Tier", "Verified", "Joined"], AdminState.users, _user_row),
        rx.heading("Licenses", size="4", as_="h2"),
        rx.cond(AdminState.admin_error != "", rx.callout(AdminState.admin_error, icon="triangle_alert", color_scheme="red")),
        rx.form(
            rx.flex(
                rx.box(
                    field("Owner's email (optional)", "email", kind="email", error=AdminState.issue_errors.get("email", "")),
                    width=["100%", "260px"],
                ),
                rx.vstack(
                    label("Type", "license_type"),
                    rx.select.root(
                        rx.select.trigger(id="license_type", aria_label="Type"),
                        rx.select.content(*[rx.select.item(kind, value=kind) for kind in ("free", "pro", "team")]),
                        name="license_type",
                        default_value="pro",
                        size="3",
                    ),
                    field_error(AdminState.issue_errors.get("license_type", ""), "license_type"),
                    spacing="1",
                ),
                rx.box(
                    # type=text: the server checks the number and says so next to the field.
                    field(
                        "Days (empty: perpetual)",
                        "days",
                        input_mode="numeric",
                        error=AdminState.issue_errors.get("days", ""),
                    ),
                    width=["100%", "220px"],
                ),
                rx.button("Issue license", type="submit", id="issue-license", size="3"),
                gap="3",
                wrap="wrap",
                align="end",
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
        rx.heading("Outbox", size="4", as_="h2"),
        rx.text("Mail the app sent (or would send: without SMTP_URL nothing leaves the server).", size="2", color_scheme="gray"),
        rx.foreach(
            AdminState.outbox,
            lambda m: rx.card(
                rx.text(m["when"], " · to ", m["to"], " · ", m["sent"], size="1", color_scheme="gray"),
                rx.text(m["subject"], weight="medium"),
                rx.cond(
                    AdminState.revealed_mail["id"] == m["id"],
                    # Markdown turns the mail's bare links into links the admin can click.
                    rx.box(rx.markdown(AdminState.revealed_mail["body"]), class_name="outbox-revealed", font_size="var(--font-size-2)"),
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
        rx.heading("Recent audit events", size="4", as_="h2"),
        _table(
            ["When", "Action", "By", "Subject", "IP"],
            AdminState.events,
            lambda e: rx.table.row(
                rx.table.cell(e["when"]),
                rx.table.cell(e["action"]),
                rx.table.cell(e["actor"]),
                rx.table.cell(e["subject"]),
                rx.table.cell(e["ip"]),
                class_name="audit-row",
            ),
        ),
        spacing="3",
        width="100%",
    )
