"""The search page: form, live site progress, results; the landing page for signed-out visitors."""

from __future__ import annotations

import reflex as rx

from jobspy_web.ui.components.forms import messages
from jobspy_web.ui.components.results import job_detail, results, site_status
from jobspy_web.ui.components.search_form import search_form
from jobspy_web.ui.layout import page_shell
from jobspy_web.ui.pages.landing import landing
from jobspy_web.ui.state.auth import AuthState
from jobspy_web.ui.state.search import SearchState


def _summary_bar() -> rx.Component:
    """On a phone, after searching: what was searched, and a button to change it."""
    return rx.cond(
        SearchState.form_collapsed,
        rx.card(
            rx.flex(
                rx.text(SearchState.form_summary, size="2", weight="medium", id="search-summary", trim="both"),
                rx.spacer(),
                rx.cond(
                    SearchState.is_running,
                    rx.button(
                        rx.cond(SearchState.cancelling, "Cancelling…", "Cancel search"),
                        size="2",
                        color_scheme="red",
                        variant="soft",
                        on_click=SearchState.cancel,
                        disabled=SearchState.cancelling,
                        id="summary-cancel",
                    ),
                ),
                rx.button(
                    rx.icon("pencil", size=14),
                    "Edit search",
                    size="2",
                    variant="soft",
                    on_click=SearchState.expand_form,
                    id="edit-search",
                    aria_controls="search-card",
                    aria_expanded="false",
                ),
                align="center",
                gap="2",
                width="100%",
            ),
            width="100%",
            id="summary-bar",
        ),
    )


def _search() -> rx.Component:
    return rx.vstack(
        rx.heading("Search every job board at once", size="5", as_="h1"),
        messages(),  # "Welcome, check your email" after sign-up, "confirmed" after the link
        _summary_bar(),
        # Collapsed after a search on a phone only: from the sm breakpoint the form stays.
        # Hidden, not removed: the form keeps its focus and values while folded.
        rx.box(
            rx.card(search_form(), width="100%"),
            width="100%",
            display=rx.cond(SearchState.form_collapsed, "none", "block"),
            id="search-card",
        ),
        site_status(),
        results(),
        job_detail(),
        spacing="5",
        width="100%",
        # A new tab shows the person's current search (running: live; just finished: its results).
        on_mount=SearchState.restore_current_search,
    )


def _signed_out() -> rx.Component:
    """The landing, in the prerendered HTML too (it is the page's largest paint). Until the
    server has checked the session cookie it carries `landing-before-check`: the head script
    of ui.signed_in_hint then hides it (and shows the spinner) in a browser that signed in,
    so a signed-in person never sees the landing on the way to the search."""
    return rx.fragment(
        rx.box(landing(), class_name=rx.cond(AuthState.user_checked, "", "landing-before-check"), width="100%"),
        rx.cond(
            AuthState.user_checked,
            rx.fragment(),
            rx.box(rx.center(rx.spinner(size="3"), padding="48px", aria_label="Loading"), class_name="spinner-before-check"),
        ),
    )


@page_shell
def search_page() -> rx.Component:
    return rx.cond(AuthState.user_id != "", _search(), _signed_out())
