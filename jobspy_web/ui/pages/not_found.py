"""The page for an address the app doesn't have: in the app's shell, with ways back."""

from __future__ import annotations

import reflex as rx

from jobspy_web.ui import routes
from jobspy_web.ui.layout import page_shell


@page_shell
def not_found_page() -> rx.Component:
    return rx.center(
        rx.vstack(
            rx.heading("Page not found", size="7", as_="h1"),
            rx.text("There is no page at this address. It may have moved, or the link may be mistyped.", size="3"),
            rx.hstack(
                rx.button(rx.link("Go to the search", href=routes.SEARCH, underline="none"), as_child=True),
                rx.button(rx.link("See the plans", href=routes.PRICING, underline="none"), as_child=True, variant="outline"),
                spacing="3",
                wrap="wrap",
            ),
            spacing="4",
            align="center",
            text_align="center",
            id="not-found",
        ),
        padding_y="48px",
    )
