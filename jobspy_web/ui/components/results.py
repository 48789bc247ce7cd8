"""Live site chips, the filter bar, the results table and the job detail dialog."""

from __future__ import annotations

import reflex as rx

from jobspy_web.core.sites import SITES
from jobspy_web.search.params import JOB_TYPES
from jobspy_web.ui.components import tracker_marks
from jobspy_web.ui.state.insights import InsightsState
from jobspy_web.ui.state.search import SearchState

FILTER_DEBOUNCE_MS = 60  # typing pauses this long before the filter is sent
CHIP_COLORS = {"queued": "gray", "running": "blue", "done": "green", "failed": "red", "skipped": "orange"}


def _plain_pre(value: object, **props: object) -> rx.Component:
    return rx.el.pre(value, style={"white_space": "pre-wrap", "overflow_wrap": "anywhere"}, **props)


def _chip(chip: rx.Var) -> rx.Component:
    color = rx.match(chip["state"], *CHIP_COLORS.items(), "gray")
    badge = rx.badge(
        rx.cond(chip["state"] == "running", rx.spinner(size="1")),
        chip["label"],
        color_scheme=color,
        size="2",
        variant="soft",
        radius="full",
        data_state=chip["state"],
        id="chip-" + chip["site"].to(str),
        class_name="site-chip",
    )
    return rx.cond(chip["detail"] != "", rx.tooltip(badge, content=chip["detail"]), badge)


def _chip_explained(chip: rx.Var) -> rx.Component:
    """A failed or stopped site's sentence and what to do, with the technical text folded away."""
    return rx.box(
        rx.text(rx.text.strong(chip["label"] + ": "), chip["detail"], size="2", color_scheme="gray"),
        rx.cond(
            chip["technical"] != "",
            rx.el.details(
                rx.el.summary("details", style={"cursor": "pointer", "font_size": "0.8em"}),
                rx.code(chip["technical"], size="1", style={"white_space": "pre-wrap", "word_break": "break-word"}),
                class_name="chip-details",
            ),
        ),
        class_name="site-explained",
        data_site=chip["site"],
    )


def site_status() -> rx.Component:
    failed_details = rx.foreach(
        SearchState.chips,
        lambda chip: rx.cond(
            (chip["state"] == "failed") | ((chip["state"] == "done") & (chip["detail"] != "")),
            _chip_explained(chip),
        ),
    )
    return rx.cond(
        SearchState.search_id != "",
        rx.vstack(
            rx.hstack(
                rx.heading(SearchState.search_label, size="4", as_="h2", id="search-label"),
                rx.badge(SearchState.status, id="search-status", variant="outline", role="status"),
                align="center",
                wrap="wrap",
            ),
            # Polite: each site's change is read out without interrupting the person.
            rx.flex(rx.foreach(SearchState.chips, _chip), wrap="wrap", gap="2", aria_live="polite", id="site-chips"),
            failed_details,
            spacing="2",
            width="100%",
        ),
    )


def _filter_select(field: str, options: list[tuple[str, str]], label: str) -> rx.Component:
    return rx.select.root(
        rx.select.trigger(placeholder=label, aria_label=label, id=f"{field}-trigger"),
        rx.select.content(*[rx.select.item(text, value=value) for value, text in options]),
        value=getattr(SearchState, field),
        on_change=lambda value: SearchState.set_filter(field, value),
        size="2",
    )


def filter_bar() -> rx.Component:
    return rx.flex(
        # A short pause after typing, not Reflex's default 300 ms: the table answers within 200 ms.
        rx.debounce_input(
            rx.input(
                value=SearchState.filter_text,
                on_change=lambda value: SearchState.set_filter("filter_text", value),
                placeholder="Filter title, company, place",
                aria_label="Filter title, company, place",
                id="filter-text",
                width=["100%", "auto"],
                min_width="220px",
            ),
            debounce_timeout=FILTER_DEBOUNCE_MS,
        ),
        _filter_select("filter_site", [("all", "All sites"), *SITES.items()], "Site"),
        _filter_select("filter_remote", [("any", "Remote or not"), ("remote", "Remote"), ("onsite", "On site")], "Remote"),
        _filter_select("filter_job_type", [("any", "Any job type"), *[(t, t) for t in JOB_TYPES]], "Job type"),
        rx.input(
            value=SearchState.filter_min_salary,
            on_change=lambda value: SearchState.set_filter("filter_min_salary", value),
            placeholder="Min yearly salary",
            type="number",
            id="filter-min-salary",
            width="160px",
        ),
        _filter_select(
            "filter_posted_days",
            [("any", "Any date"), ("1", "Last 24 hours"), ("3", "Last 3 days"), ("7", "Last week"), ("30", "Last month")],
            "Posted",
        ),
        _filter_select(
            "sort",
            [
                ("date", "Newest first"),
                ("salary", "Highest pay (top of range, a year)"),
                ("salary_mid", "Highest pay (middle of range, a year)"),
                ("title", "Title A–Z"),
                ("company", "Company A–Z"),
            ],
            "Sort",
        ),
        rx.button("Clear", variant="ghost", on_click=SearchState.clear_filters),
        gap="2",
        wrap="wrap",
        align="center",
        width="100%",
    )


def export_menu() -> rx.Component:
    return rx.hstack(
        rx.text("Export", size="2", color_scheme="gray"),
        *[
            rx.button(fmt.upper(), size="1", variant="outline", on_click=SearchState.export(fmt), id=f"export-{fmt}")
            for fmt in ("csv", "xlsx", "json")
        ],
        align="center",
        spacing="2",
    )


def _row(row: rx.Var) -> rx.Component:
    hide_on_phone = {"display": ["none", "none", "table-cell"]}
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.hstack(
                    rx.el.button(row["title"], on_click=SearchState.open_detail(row["id"]), type="button", class_name="job-title"),
                    rx.cond(row["seen"] != "", rx.badge("Seen", color_scheme="gray", variant="soft", class_name="seen-badge")),
                    tracker_marks.row_stage(row),
                    spacing="1",
                    align="center",
                ),
                rx.text(row["company"], " · ", row["location"], size="1", color_scheme="gray", display=["block", "block", "none"]),
                spacing="0",
            )
        ),
        rx.table.cell(row["company"], **hide_on_phone),
        rx.table.cell(row["location"], rx.cond(row["remote"] != "", rx.badge("Remote", margin_left="1")), **hide_on_phone),
        rx.table.cell(row["salary"], size="1"),
        rx.table.cell(row["sites"], **hide_on_phone),
        rx.table.cell(row["date_posted"], white_space="nowrap"),
        class_name="job-row",
        data_job_id=row["id"],
        data_job_url=row["job_url"],  # for the copy /offline.js keeps of the last results
    )


def results_table() -> rx.Component:
    hide_on_phone = {"display": ["none", "none", "table-cell"]}
    return rx.table.root(
        rx.table.header(
            rx.table.row(
                rx.table.column_header_cell("Title"),
                rx.table.column_header_cell("Company", **hide_on_phone),
                rx.table.column_header_cell("Location", **hide_on_phone),
                rx.table.column_header_cell("Salary"),
                rx.table.column_header_cell("Sites", **hide_on_phone),
                rx.table.column_header_cell("Posted"),
            )
        ),
        rx.table.body(rx.foreach(SearchState.visible_rows, _row)),
        width="100%",
        size="1",
        variant="surface",
        id="results-table",
    )


def _result_pager() -> rx.Component:
    """Shown past one page of matches: every job is reachable, a page at a time."""
    return rx.cond(
        SearchState.page_note != "",
        rx.el.nav(
            rx.flex(
                rx.button(
                    "Previous",
                    size="1",
                    variant="soft",
                    on_click=SearchState.previous_results,
                    disabled=SearchState.result_page == 0,
                    id="previous-results",
                ),
                rx.text(SearchState.page_note, size="2", id="page-note"),
                rx.button(
                    "Next",
                    size="1",
                    variant="soft",
                    on_click=SearchState.next_results,
                    disabled=~SearchState.has_next_page,
                    id="next-results",
                ),
                gap="2",
                align="center",
            ),
            aria_label="Result pages",
        ),
    )


def results() -> rx.Component:
    return rx.cond(
        SearchState.search_id != "",
        rx.vstack(
            rx.flex(
                rx.text(
                    rx.text.strong(SearchState.matching_count),
                    " of ",
                    SearchState.total_count,
                    " jobs",
                    id="result-count",
                    aria_live="polite",
                ),
                rx.spacer(),
                export_menu(),
                width="100%",
                align="center",
                wrap="wrap",
                gap="2",
            ),
            filter_bar(),
            tracker_marks.stage_refresher(),
            rx.cond(SearchState.pay_sort_note != "", rx.text(SearchState.pay_sort_note, size="1", color_scheme="gray", id="pay-sort-note")),
            _result_pager(),
            rx.cond(
                SearchState.total_count > 0,
                rx.box(
                    results_table(),
                    width="100%",
                    overflow_x="auto",
                    tab_index=0,
                    role="region",
                    aria_label="Jobs",
                    class_name="scroll-table",
                ),
                rx.cond(
                    SearchState.is_running,
                    rx.text("Results appear here as each site finishes…", color_scheme="gray"),
                    rx.text("No jobs yet. Each site's chip above says why.", color_scheme="gray"),
                ),
            ),
            spacing="3",
            width="100%",
        ),
    )


def job_detail() -> rx.Component:
    detail = SearchState.detail
    return rx.dialog.root(
        rx.dialog.content(
            rx.dialog.title(detail["title"]),
            rx.dialog.description(
                rx.text(detail["company"], " · ", detail["location"]),
                rx.text(detail["facts"], size="2", color_scheme="gray"),
            ),
            rx.scroll_area(
                rx.cond(
                    detail["format"] == "html",
                    rx.html(detail["description"]),
                    # No maths (a "$50 - $60" is money, not TeX) and code blocks as plain <pre>:
                    # KaTeX and the syntax highlighter were 190 KiB of the search page's first load.
                    rx.markdown(detail["description"], use_math=False, use_katex=False, component_map={"pre": _plain_pre}),
                ),
                max_height="55vh",
                type="auto",
                padding_y="3",
            ),
            rx.flex(
                # Links styled as buttons (asChild): no <button> inside an <a>.
                rx.button(rx.link("Open on the site", href=detail["job_url"], is_external=True), as_child=True),
                rx.cond(
                    detail["job_url_direct"] != "",
                    rx.button(rx.link("Apply directly", href=detail["job_url_direct"], is_external=True), as_child=True, variant="soft"),
                ),
                tracker_marks.detail_save(detail),
                rx.button(
                    "How does this pay compare?",
                    variant="soft",
                    on_click=InsightsState.compare(detail["title"], detail["location"]),
                    id="detail-compare-pay",
                ),
                rx.spacer(),
                rx.dialog.close(rx.button("Close", variant="soft", color_scheme="gray")),
                gap="2",
                wrap="wrap",
            ),
            max_width="760px",
            on_close_auto_focus=rx.prevent_default,  # the state puts focus back on the job's title
        ),
        open=SearchState.detail_open,
        on_open_change=SearchState.set_detail_open,
    )
