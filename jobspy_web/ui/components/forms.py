"""Pieces shared by the sign-in style forms: plain HTML posts to the auth routes."""

from __future__ import annotations

import reflex as rx
from reflex_components_core.el.elements.base import BaseHTML

from jobspy_web.ui.state.auth import AuthState


class NativeForm(BaseHTML):
    """A plain <form> the browser submits itself (rx.el.form always prevents that), so the
    auth routes can answer with a redirect that sets the HttpOnly session cookie."""

    tag = "form"
    action: rx.Var[str]
    method: rx.Var[str]


def messages() -> rx.Component:
    return rx.fragment(
        rx.cond(AuthState.notice != "", rx.callout(AuthState.notice, icon="info", color_scheme="green", id="notice")),
        rx.cond(AuthState.error != "", rx.callout(AuthState.error, icon="triangle_alert", color_scheme="red", id="form-error")),
    )


def field(label: str, name: str, *, kind: str = "text", **props: object) -> rx.Component:
    return rx.vstack(
        rx.text(label, size="2", weight="medium", as_="label", html_for=name),
        rx.input(name=name, id=name, type=kind, size="3", width="100%", **props),
        spacing="1",
        width="100%",
    )


def post_form(action: str, *children: rx.Component, submit: str) -> rx.Component:
    return NativeForm.create(
        rx.vstack(*children, rx.button(submit, type="submit", size="3", width="100%"), spacing="4", width="100%"),
        action=action,
        method="post",
        width="100%",
    )


def narrow_card(title: str, *children: rx.Component) -> rx.Component:
    return rx.center(
        rx.card(
            rx.vstack(rx.heading(title, size="6"), *children, spacing="4", width="100%"),
            width="100%",
            max_width="420px",
            size="3",
        ),
        padding_top="24px",
        width="100%",
    )
