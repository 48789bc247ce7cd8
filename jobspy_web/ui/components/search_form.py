"""The search form: the common options up front, the rest under 'Advanced'."""

from __future__ import annotations

import reflex as rx

from jobspy_web.core.sites import SITES
from jobspy_web.search.params import COUNTRIES, JOB_TYPES
from jobspy_web.ui import routes
from jobspy_web.ui.components.forms import label
from jobspy_web.ui.state.saved_searches import SavedSearchesState
from jobspy_web.ui.state.search import SearchState


def _error(field: str) -> rx.Component:
    return rx.cond(
        SearchState.form_errors.contains(field),
        rx.text(SearchState.form_errors[field], color_scheme="red", size="2", id=f"error-{field}", role="alert"),
    )


def _labelled(text: str, control: rx.Component, field: str) -> rx.Component:
    """The label names the control (for=) and its error sits right under it."""
    return rx.vstack(
        label(text, f"field-{field}"),
        control,
        _error(field),
        spacing="1",
        width="100%",
    )


def _text_input(field: str, placeholder: str, **props: object) -> rx.Component:
    return rx.input(
        value=getattr(SearchState, field),
        on_change=lambda value: SearchState.set_field(field, value),
        placeholder=placeholder,
        name=field,
        id=f"field-{field}",
        width="100%",
        size="3",
        aria_invalid=rx.cond(SearchState.form_errors.contains(field), "true", "false"),
        aria_describedby=f"error-{field}",
        **props,
    )


def _switch(field: str, label: str) -> rx.Component:
    return rx.text(
        rx.hstack(
            rx.switch(
                checked=getattr(SearchState, field),
                on_change=lambda value: SearchState.set_field(field, value),
                name=field,
            ),
            label,
            spacing="2",
            align="center",
        ),
        as_="label",
        size="2",
    )


def _select(field: str, options: list[str], label_text: str) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(id=f"field-{field}", aria_label=label_text, width="100%"),
        rx.select.content(*[rx.select.item(option, value=option) for option in options]),
        value=getattr(SearchState, field),
        on_change=lambda value: SearchState.set_field(field, value),
        name=field,
        size="3",
    )


def site_picker() -> rx.Component:
    return rx.vstack(
        rx.text("Sites", size="2", weight="medium", id="sites-label"),
        rx.flex(
            *[
                rx.button(
                    name,
                    rx.cond(SearchState.sites.contains(site), rx.icon("check", size=14)),
                    # Not in this person's plan: marked before they press Search.
                    rx.cond(SearchState.locked_sites.contains(site), rx.icon("lock", size=12, aria_label="with a paid plan")),
                    variant=rx.cond(SearchState.sites.contains(site), "solid", "outline"),
                    on_click=SearchState.toggle_site(site),
                    type="button",
                    size="2",
                    radius="full",
                    id=f"site-{site}",
                    aria_pressed=SearchState.sites.contains(site),
                )
                for site, name in SITES.items()
            ],
            wrap="wrap",
            gap="2",
            role="group",
            aria_labelledby="sites-label",
        ),
        _error("site_name"),
        rx.cond(
            SearchState.locked_sites.length() > 0,
            rx.text(
                rx.icon("lock", size=12),
                " Sites with a lock come with a paid plan. ",
                rx.link("See the plans", href=routes.PRICING, underline="always"),
                size="1",
                color_scheme="gray",
                id="locked-sites-note",
            ),
        ),
        board_notices(),
        spacing="1",
        width="100%",
        on_mount=SearchState.load_board_notices,
    )


def board_notices() -> rx.Component:
    """Boards that have been blocking this server, for the sites picked: said before searching."""
    return rx.foreach(
        SearchState.board_notices,
        lambda notice: rx.cond(
            SearchState.sites.contains(notice["site"]),
            rx.callout(notice["text"], icon="shield_alert", size="1", color_scheme="orange", class_name="board-notice", width="100%"),
        ),
    )


def advanced_options() -> rx.Component:
    return rx.grid(
        _labelled(
            "Google search term",
            _text_input("google_search_term", "software engineer jobs near Austin since yesterday"),
            "google_search_term",
        ),
        _labelled("Distance (miles)", _text_input("distance", "50", type="number", min=0), "distance"),
        _labelled("Job type", _select("job_type", ["any", *JOB_TYPES], "Job type"), "job_type"),
        _labelled("Posted within (hours)", _text_input("hours_old", "any", type="number", min=1), "hours_old"),
        _labelled("Country (Indeed, Glassdoor)", _select("country_indeed", COUNTRIES, "Country (Indeed, Glassdoor)"), "country_indeed"),
        _labelled("LinkedIn company ids", _text_input("linkedin_company_ids", "1441, 1586"), "linkedin_company_ids"),
        _labelled(
            "Description format", _select("description_format", ["markdown", "html", "plain"], "Description format"), "description_format"
        ),
        _labelled("Skip first results", _text_input("offset", "0", type="number", min=0), "offset"),
        _switch("easy_apply", "Easy apply only"),
        _switch("linkedin_fetch_description", "Fetch full descriptions (slower)"),
        _switch("enforce_annual_salary", "Show salaries per year"),
        columns=rx.breakpoints(initial="1", sm="2", md="3"),
        spacing="4",
        width="100%",
    )


def search_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.grid(
                _labelled("What", _text_input("search_term", "Job title, skill or company", auto_focus=True), "search_term"),
                _labelled("Where", _text_input("location", "City, state or country"), "location"),
                _labelled("Results per site", _text_input("results_wanted", "20", type="number", min=1, max=1000), "results_wanted"),
                columns=rx.breakpoints(initial="1", md="3"),
                spacing="3",
                width="100%",
            ),
            site_picker(),
            rx.flex(
                _switch("is_remote", "Remote only"),
                rx.button(
                    "Advanced options",
                    # Two static icons, not rx.icon(<a Var>): that one loads lucide's whole icon map.
                    rx.cond(SearchState.show_advanced, rx.icon("chevron_up", size=16), rx.icon("chevron_down", size=16)),
                    variant="ghost",
                    type="button",
                    on_click=SearchState.toggle_advanced,
                    margin_left="8px",
                    aria_expanded=rx.cond(SearchState.show_advanced, "true", "false"),
                    aria_controls="advanced-options",
                    id="advanced-toggle",
                ),
                rx.button(
                    rx.icon("bookmark_plus", size=16),
                    "Save this search",
                    variant="ghost",
                    type="button",
                    on_click=SavedSearchesState.prefill_from_search,  # to the Saved searches page, filled in
                    id="save-search",
                ),
                rx.spacer(),
                rx.cond(
                    SearchState.is_running,
                    rx.button(
                        rx.cond(SearchState.cancelling, "Cancelling…", "Cancel search"),
                        color_scheme="red",
                        variant="soft",
                        type="button",
                        size="3",
                        on_click=SearchState.cancel,
                        disabled=SearchState.cancelling,
                    ),
                ),
                rx.button(
                    # Not `loading`: that disables the button and drops the focus to <body>.
                    rx.cond(SearchState.is_running, rx.spinner(size="2"), rx.icon("search", size=16)),
                    "Search",
                    type="submit",
                    size="3",
                    aria_busy=rx.cond(SearchState.is_running, "true", "false"),
                    id="search-button",
                ),
                gap="3",
                align="center",
                wrap="wrap",
                width="100%",
            ),
            rx.box(rx.cond(SearchState.show_advanced, advanced_options()), id="advanced-options", width="100%"),
            _error("search"),
            rx.cond(
                SearchState.form_errors.contains("search") & (SearchState.locked_sites.length() > 0),
                rx.link("See the plans", href=routes.PRICING, underline="always", size="2", id="denial-plans"),
            ),
            rx.foreach(
                SearchState.pending_warnings,
                lambda text: rx.callout(text, icon="info", size="1", color_scheme="amber"),
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=SearchState.submit,
        reset_on_submit=False,
        width="100%",
    )
