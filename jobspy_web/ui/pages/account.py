"""The account page."""

from __future__ import annotations

import reflex as rx

from jobspy_web.ui.components.forms import label
from jobspy_web.ui.layout import page_shell
from jobspy_web.ui.pages.auth import oauth_buttons
from jobspy_web.ui.state.account import AccountState


def _section(title: str, *children: rx.Component, **props: object) -> rx.Component:
    return rx.card(rx.vstack(rx.heading(title, size="4", as_="h2"), *children, spacing="3", width="100%"), width="100%", **props)


def _input(name: str, label_text: str, kind: str = "text", **props: object) -> rx.Component:
    """A labelled input: the label names it (for=) and stays visible while typing."""
    input_id = str(props.pop("id", f"account-{name}"))
    return rx.vstack(
        label(label_text, input_id),
        rx.input(name=name, id=input_id, type=kind, width="100%", **props),
        spacing="1",
        width="100%",
    )


def _session_row(item: rx.Var) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.text(item["device"], size="2", trim="both"),
            rx.text(item["ip"], " · last seen ", item["last_seen"], size="1", color_scheme="gray"),
            spacing="1",
        ),
        rx.spacer(),
        rx.cond(
            item["current"] == "yes",
            rx.badge("this device"),
            rx.button("Sign out", size="1", variant="soft", on_click=AccountState.end_session(item["id"])),
        ),
        width="100%",
        gap="2",
        align="center",
    )


def _token_row(token: rx.Var) -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.text(token["name"], weight="medium"),
            rx.text(token["prefix"], "… · created ", token["created"], " · last used ", token["last_used"], size="1", color_scheme="gray"),
            spacing="1",
        ),
        rx.spacer(),
        rx.button("Revoke", size="1", color_scheme="red", variant="soft", on_click=AccountState.revoke_token(token["id"])),
        width="100%",
        gap="2",
        align="center",
        class_name="token-row",
    )


@page_shell
def account_page() -> rx.Component:
    return rx.vstack(
        rx.heading("Your account", size="6", as_="h1"),
        rx.text(
            AccountState.user_email,
            " · ",
            rx.badge(AccountState.tier, id="tier-badge"),
            " ",
            rx.cond(
                AccountState.email_verified,
                rx.badge("email confirmed", color_scheme="green"),
                rx.badge("email not confirmed", color_scheme="amber"),
            ),
        ),
        rx.cond(
            AccountState.account_message != "",
            rx.callout(AccountState.account_message, icon="check", color_scheme="green", id="account-message"),
        ),
        rx.cond(
            AccountState.account_error != "",
            rx.callout(AccountState.account_error, icon="triangle_alert", color_scheme="red", id="account-error"),
        ),
        rx.grid(
            _section(
                "Profile",
                rx.form(
                    rx.hstack(
                        _input("full_name", "Your name", default_value=AccountState.profile_name, max_length=200),
                        rx.button("Save", type="submit"),
                        align="end",
                    ),
                    on_submit=AccountState.save_profile,
                ),
            ),
            _section(
                "Password",
                rx.form(
                    rx.vstack(
                        _input("current_password", "Current password", "password", auto_complete="current-password"),
                        _input("new_password", "New password (10+ characters, not a common one)", "password", auto_complete="new-password"),
                        rx.button("Change password", type="submit"),
                        spacing="2",
                    ),
                    on_submit=AccountState.change_password,
                    reset_on_submit=True,
                ),
            ),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="4",
            width="100%",
        ),
        _section(
            "API tokens",
            rx.text(
                "Exchange a token for a short-lived JWT at POST /auth/token to use the API and desktop apps.", size="2", color_scheme="gray"
            ),
            rx.form(
                rx.hstack(
                    _input("name", "Token name, e.g. laptop", max_length=100, id="token-name"),
                    rx.button("Create token", type="submit", id="create-token"),
                    align="end",
                ),
                on_submit=AccountState.create_token,
                reset_on_submit=True,
            ),
            rx.cond(
                AccountState.new_token_secret != "",
                rx.callout.root(
                    rx.callout.icon(rx.icon("key")),
                    rx.vstack(
                        rx.flex(
                            rx.code(AccountState.new_token_secret, id="new-token-secret", style={"word_break": "break-all"}),
                            rx.button(
                                rx.icon("copy", size=14),
                                "Copy",
                                size="1",
                                variant="soft",
                                type="button",
                                id="copy-token",
                                on_click=[rx.set_clipboard(AccountState.new_token_secret), rx.toast.success("Token copied.")],
                            ),
                            gap="2",
                            align="center",
                            wrap="wrap",
                        ),
                        rx.callout.text("Copy it now: it is shown only once.", size="1"),
                        spacing="1",
                    ),
                    color_scheme="amber",
                ),
            ),
            rx.foreach(AccountState.tokens, _token_row),
        ),
        _section("Active sessions", rx.foreach(AccountState.sessions, _session_row)),
        _section(
            "Connected logins",
            rx.cond(
                AccountState.identities.length() > 0,
                rx.foreach(AccountState.identities, lambda i: rx.text(i["provider"], " · ", i["email"])),
                rx.text("None. You sign in with your email and password.", size="2", color_scheme="gray"),
            ),
            oauth_buttons(connect=True),
        ),
        _section(
            "Your data",
            rx.button("Export my data (JSON)", variant="soft", on_click=AccountState.export_data, id="export-my-data", width="fit-content"),
            rx.divider(),
            rx.text(
                "Delete my account: erases your searches, tokens and sessions for good. "
                "Payment records are kept, anonymised, as the law requires.",
                size="2",
            ),
            rx.form(
                rx.vstack(
                    _input("confirm_email", "Type your email to confirm", "email"),
                    _input("password", "Your password", "password"),
                    rx.button("Delete my account", color_scheme="red", type="submit", id="delete-account"),
                    spacing="2",
                ),
                on_submit=AccountState.delete_account,
            ),
        ),
        spacing="4",
        width="100%",
    )
