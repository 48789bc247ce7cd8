"""The search page: form, live site progress, results; the landing page for signed-out visitors."""

from __future__ import annotations

import reflex as rx

from jobspy_web.ui.components.forms import messages
from jobspy_web.ui.components.results import job_detail, results, site_status
from jobspy_web.ui.components.search_form import search_form
from jobspy_web.ui.layout import page_shell
from jobspy_web.ui.pages.landing import landing
from jobspy_web.ui.state.auth import AuthState


def _search() -> rx.Component:
    return rx.vstack(
        rx.heading("Search every job board at once", size="5", as_="h1"),
        messages(),  # "Welcome, check your email" after sign-up, "confirmed" after the link
        rx.card(search_form(), width="100%"),
        site_status(),
        results(),
        job_detail(),
        spacing="5",
        width="100%",
    )


@page_shell
def search_page() -> rx.Component:
    return rx.cond(
        AuthState.user_id != "",
        _search(),
        rx.cond(AuthState.user_checked, landing(), rx.center(rx.spinner(size="3"), padding="48px", aria_label="Loading")),
    )
