"""Sign in, sign up, forgotten and new password."""

from __future__ import annotations

import reflex as rx

from jobspy_web.ui import routes
from jobspy_web.ui.components.forms import field, messages, narrow_card, post_form
from jobspy_web.ui.layout import page_shell
from jobspy_web.ui.state.auth import AuthState


def oauth_buttons(connect: bool = False) -> rx.Component:
    """Shown only for providers configured on this server."""
    return rx.foreach(
        AuthState.oauth_providers,
        lambda provider: rx.link(
            rx.button("Continue with ", provider.to(str).upper(), variant="outline", width="100%", size="3"),
            href="/auth/oauth/" + provider.to(str) + "/start" + ("?connect=1" if connect else ""),
            width="100%",
        ),
    )


@page_shell
def login_page() -> rx.Component:
    return narrow_card(
        "Sign in",
        messages(),
        oauth_buttons(),
        post_form(
            "/auth/login",
            field("Email", "email", kind="email", required=True, default_value=AuthState.prefill_email, auto_complete="username"),
            field("Password", "password", kind="password", required=True, auto_complete="current-password"),
            rx.el.input(type="hidden", name="next", value=AuthState.next_path),
            submit="Sign in",
        ),
        rx.hstack(
            rx.link("Create an account", href=routes.SIGNUP),
            rx.spacer(),
            rx.link("Forgot password?", href=routes.FORGOT),
            width="100%",
        ),
    )


@page_shell
def signup_page() -> rx.Component:
    return narrow_card(
        "Create your account",
        messages(),
        post_form(
            "/auth/signup",
            field("Name (optional)", "full_name", max_length=200, auto_complete="name"),
            field("Email", "email", kind="email", required=True, default_value=AuthState.prefill_email, auto_complete="email"),
            field(
                "Password",
                "password",
                kind="password",
                required=True,
                min_length=10,
                auto_complete="new-password",
                hint="At least 10 characters, and not a common password, name, date or keyboard pattern; a few uncommon words work well.",
            ),
            submit="Create account",
        ),
        rx.text("Already have an account? ", rx.link("Sign in", href=routes.LOGIN, underline="always"), size="2"),
    )


@page_shell
def forgot_page() -> rx.Component:
    return narrow_card(
        "Reset your password",
        rx.text("We'll email you a link to choose a new password.", color_scheme="gray"),
        post_form("/auth/forgot", field("Email", "email", kind="email", required=True), submit="Send reset link"),
    )


@page_shell
def reset_page() -> rx.Component:
    return narrow_card(
        "Choose a new password",
        messages(),
        post_form(
            "/auth/reset",
            field("New password", "password", kind="password", required=True, min_length=10, auto_complete="new-password"),
            rx.el.input(type="hidden", name="token", value=AuthState.link_token),
            submit="Save password",
        ),
    )
