"""The search page: form, live site progress, results."""

from __future__ import annotations

import reflex as rx

from jobspy_web.ui.components.results import job_detail, results, site_status
from jobspy_web.ui.components.search_form import search_form
from jobspy_web.ui.layout import page_shell


@page_shell
def search_page() -> rx.Component:
    return rx.vstack(
        rx.card(search_form(), width="100%"),
        site_status(),
        results(),
        job_detail(),
        spacing="5",
        width="100%",
    )
