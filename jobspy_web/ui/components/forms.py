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
        rx.cond(AuthState.notice != "", rx.callout(AuthState.notice, icon="info", color_scheme="green", id="notice", role="status")),
        rx.cond(
            AuthState.error != "",
            rx.callout(AuthState.error, icon="triangle_alert", color_scheme="red", id="form-error", role="alert"),
        ),
    )


def label(text: str, for_id: str) -> rx.Component:
    """A real <label for>: it names the control and a click on it focuses the control."""
    return rx.el.label(
        text,
        html_for=for_id,
        class_name="field-label",
        style={"font_size": "var(--font-size-2)", "font_weight": "500", "line_height": "var(--line-height-2)"},
    )


def field_error(error: rx.Var | str, for_id: str) -> rx.Component:
    """A field's refusal, right under it, announced when it appears (role=alert)."""
    return rx.cond(
        error != "",
        rx.text(error, role="alert", id=f"{for_id}-error", class_name="field-error", size="2", color_scheme="red"),
    )


def field(label_text: str, name: str, *, kind: str = "text", error: rx.Var | str = "", hint: str = "", **props: object) -> rx.Component:
    """A labelled input; `error` (a sentence that starts with the label) shows under it."""
    described = " ".join(part for part in (f"{name}-hint" if hint else "", f"{name}-error") if part)
    return rx.vstack(
        label(label_text, name),
        rx.input(
            name=name,
            id=name,
            type=kind,
            size="3",
            width="100%",
            aria_describedby=described,
            aria_invalid=rx.cond(error != "", "true", "false") if isinstance(error, rx.Var) else ("true" if error else "false"),
            **props,
        ),
        rx.cond(hint != "", rx.text(hint, id=f"{name}-hint", size="1", color_scheme="gray")) if hint else rx.fragment(),
        field_error(error, name),
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
            rx.vstack(rx.heading(title, size="6", as_="h1"), *children, spacing="4", width="100%"),
            width="100%",
            max_width="420px",
            size="3",
        ),
        padding_top="24px",
        width="100%",
    )
