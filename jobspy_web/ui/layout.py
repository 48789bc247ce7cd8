"""The shell every page shares: header, navigation, a centred column that fits a phone."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from jobspy_web.ui import routes


def _nav_link(text: str, href: str) -> rx.Component:
    return rx.link(text, href=href, size="3", weight="medium", color_scheme="gray", high_contrast=True)


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
                _nav_link("Search", routes.SEARCH),
                _nav_link("History", routes.HISTORY),
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
