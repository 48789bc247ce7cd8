"""The shell every page shares: header, navigation, a centred column that fits a phone."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from jobspy_web.settings import get_settings
from jobspy_web.ui import routes
from jobspy_web.ui.components.forms import NativeForm
from jobspy_web.ui.state.auth import AuthState


def _nav_link(text: str, href: str) -> rx.Component:
    return rx.link(text, href=href, size="3", weight="medium", color_scheme="gray", high_contrast=True)


def _signed_in_nav() -> rx.Component:
    return rx.hstack(
        _nav_link("Search", routes.SEARCH),
        rx.box(_nav_link("History", routes.HISTORY), display=["none", "block"]),
        rx.box(_nav_link("Plans", routes.PRICING), display=["none", "block"]),
        *([_nav_link("Settings", routes.SETTINGS)] if get_settings().desktop_mode else []),  # the desktop app's page
        rx.menu.root(
            rx.menu.trigger(rx.button(rx.icon("circle_user", size=18), variant="ghost", aria_label="Account menu", id="account-menu")),
            rx.menu.content(
                rx.text(AuthState.user_email, size="1", color_scheme="gray", padding="4px 12px"),
                rx.menu.item("History", on_select=rx.redirect(routes.HISTORY)),
                rx.menu.item("Account", on_select=rx.redirect(routes.ACCOUNT)),
                rx.menu.item("Licenses", on_select=rx.redirect(routes.LICENSES)),
                rx.menu.item("Billing", on_select=rx.redirect(routes.BILLING)),
                rx.cond(AuthState.is_admin, rx.menu.item("Admin", on_select=rx.redirect(routes.ADMIN))),
                rx.menu.separator(),
                NativeForm.create(
                    rx.el.button(
                        "Sign out",
                        type="submit",
                        id="sign-out",
                        class_name="rt-BaseMenuItem rt-MenuItem",
                        style={"width": "100%", "background": "none", "border": "none", "cursor": "pointer"},
                    ),
                    action="/auth/logout",
                    method="post",
                ),
            ),
        ),
        align="center",
        spacing="4",
    )


def page_shell(content: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
    def page() -> rx.Component:
        return rx.box(
            rx.hstack(
                rx.link(
                    rx.hstack(
                        rx.image(src="/icon-192.png", width="28px", height="28px", alt=""),
                        rx.heading("JobSpy Web", size="5"),
                        align="center",
                        spacing="2",
                    ),
                    href=routes.SEARCH,
                    underline="none",
                    color_scheme="gray",
                    high_contrast=True,
                ),
                rx.spacer(),
                rx.cond(
                    AuthState.user_id != "",
                    _signed_in_nav(),
                    rx.hstack(_nav_link("Plans", routes.PRICING), _nav_link("Sign in", routes.LOGIN), spacing="4"),
                ),
                rx.color_mode.button(size="2", variant="ghost"),
                align="center",
                spacing="4",
                padding="10px 16px",
                border_bottom="1px solid var(--gray-a5)",
                position="sticky",
                top="0",
                z_index="10",
                background="var(--color-background)",
            ),
            rx.box(content(), max_width="1200px", margin_x="auto", padding=["12px", "16px", "24px"]),
            min_height="100vh",
        )

    page.__name__ = content.__name__
    return page
