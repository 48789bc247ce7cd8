"""The shell every page shares: header, navigation, a centred column that fits a phone."""

from __future__ import annotations

from collections.abc import Callable

import reflex as rx

from jobspy_web.settings import get_settings
from jobspy_web.ui import routes
from jobspy_web.ui.components.alert_bell import alert_bell
from jobspy_web.ui.components.forms import NativeForm
from jobspy_web.ui.state.auth import AuthState


def _nav_link(text: str, href: str) -> rx.Component:
    return rx.link(text, href=href, size="3", weight="medium", color_scheme="gray", high_contrast=True)


def _signed_in_nav() -> rx.Component:
    return rx.hstack(
        _nav_link("Search", routes.SEARCH),
        _nav_link("Tracker", routes.TRACKER),
        rx.box(_nav_link("History", routes.HISTORY), display=["none", "block"]),
        rx.box(_nav_link("Saved", routes.SAVED_SEARCHES), display=["none", "block"]),
        rx.box(_nav_link("Insights", routes.INSIGHTS), display=["none", "block"]),
        rx.box(_nav_link("Plans", routes.PRICING), display=["none", "block"]),
        *([_nav_link("Settings", routes.SETTINGS)] if get_settings().desktop_mode else []),  # the desktop app's page
        alert_bell(),
        rx.menu.root(
            rx.menu.trigger(rx.button(rx.icon("circle_user", size=18), variant="ghost", aria_label="Account menu", id="account-menu")),
            rx.menu.content(
                rx.text(AuthState.user_email, size="1", color_scheme="gray", padding="4px 12px"),
                rx.menu.item("History", on_select=rx.redirect(routes.HISTORY)),
                rx.menu.item("Saved searches", on_select=rx.redirect(routes.SAVED_SEARCHES)),
                rx.menu.item("Account", on_select=rx.redirect(routes.ACCOUNT)),
                rx.menu.item("Licenses", on_select=rx.redirect(routes.LICENSES)),
                rx.menu.item("Salary insights", on_select=rx.redirect(routes.INSIGHTS)),
                rx.menu.item("API usage", on_select=rx.redirect(routes.USAGE)),
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
        spacing=rx.breakpoints(initial="3", sm="4"),
    )


def _theme_toggle() -> rx.Component:
    return rx.icon_button(
        rx.color_mode_cond(light=rx.icon("moon", size=18), dark=rx.icon("sun", size=18)),
        on_click=rx.toggle_color_mode,
        variant="ghost",
        color_scheme="gray",
        size="2",
        aria_label=rx.color_mode_cond(light="Switch to the dark theme", dark="Switch to the light theme"),
        id="theme-toggle",
    )


def page_shell(content: Callable[[], rx.Component]) -> Callable[[], rx.Component]:
    def page() -> rx.Component:
        return rx.box(
            rx.el.a("Skip to content", href="#main", class_name="skip-link"),
            rx.el.header(
                rx.hstack(
                    rx.link(
                        rx.hstack(
                            rx.image(src="/icon-192.png", width="28px", height="28px", alt=""),
                            # The logo is not a heading: each page has its own one h1.
                            # On a phone signed in, the icon alone: the nav needs the width.
                            rx.cond(
                                AuthState.user_id != "",
                                rx.text("JobSpy Web", size="5", weight="bold", white_space="nowrap", display=["none", "block"]),
                                rx.text("JobSpy Web", size="5", weight="bold", white_space="nowrap"),
                            ),
                            align="center",
                            spacing="2",
                        ),
                        href=routes.SEARCH,
                        aria_label="JobSpy Web: home",
                        underline="none",
                        color_scheme="gray",
                        high_contrast=True,
                    ),
                    rx.spacer(),
                    rx.el.nav(
                        rx.cond(
                            AuthState.user_id != "",
                            _signed_in_nav(),
                            # Nothing until the server has looked at the cookie (and never
                            # "Sign in" to a signed-in person whose connection is down).
                            rx.cond(
                                AuthState.user_checked,
                                rx.hstack(
                                    _nav_link("Plans", routes.PRICING), _nav_link("Sign in", routes.LOGIN), spacing="3", wrap="nowrap"
                                ),
                            ),
                        ),
                        aria_label="Main",
                    ),
                    _theme_toggle(),
                    align="center",
                    spacing="3",
                    padding=["8px 10px", "10px 16px"],
                ),
                style={
                    "border_bottom": "1px solid var(--gray-a5)",
                    "position": "sticky",
                    "top": "0",
                    "z_index": "10",
                    "background": "var(--color-background)",
                },
            ),
            rx.el.main(
                content(),
                id="main",
                tab_index=-1,  # the skip link and route changes move focus here
                style={"max_width": "1200px", "margin": "0 auto", "outline": "none"},
                padding=["12px", "16px", "24px"],
            ),
            # Who this page belongs to, for /offline.js: it keeps the last results only for
            # the person signed in, and forgets them when a page finds nobody or someone else.
            rx.el.div(
                id="session-marker",
                hidden=True,
                data_user=AuthState.user_id,
                data_checked=rx.cond(AuthState.user_checked, "yes", ""),
            ),
            min_height="100vh",
        )

    page.__name__ = content.__name__
    # Reflex writes a page's compiled components into .web/app_components/<__module__>.jsx:
    # without its page's module, every page's components (charts, markdown, all of them)
    # would land in one layout file that every page downloads.
    page.__module__ = content.__module__
    return page
