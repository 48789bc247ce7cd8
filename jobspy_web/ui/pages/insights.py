"""Salary insights: what postings for a title and place pay, against the public benchmark.

Pro and Team see the answer; a free account sees a blurred sample and the way to upgrade.
"""

from __future__ import annotations

import reflex as rx

from jobspy_web.ui import routes
from jobspy_web.ui.components.forms import field_error, label
from jobspy_web.ui.layout import page_shell
from jobspy_web.ui.state.insights import InsightsState

CHART_HEIGHT = 260


def _form() -> rx.Component:
    errors = InsightsState.form_errors
    return rx.form(
        rx.flex(
            rx.vstack(
                label("Job title", "insights-title"),
                rx.input(name="title", id="insights-title", default_value=InsightsState.title, max_length=200, required=True),
                field_error(errors.get("title", ""), "insights-title"),
                spacing="1",
                flex_grow="2",
            ),
            rx.vstack(
                label("Place", "insights-location"),
                rx.input(
                    name="location", id="insights-location", default_value=InsightsState.location, placeholder="Austin, TX", max_length=200
                ),
                spacing="1",
                flex_grow="2",
            ),
            rx.vstack(
                label("Remote", "insights-remote"),
                rx.el.select(
                    rx.el.option("Any", value="any"),
                    rx.el.option("Remote only", value="remote"),
                    rx.el.option("On-site only", value="onsite"),
                    name="remote",
                    id="insights-remote",
                    default_value=InsightsState.remote,
                ),
                spacing="1",
            ),
            rx.vstack(
                label("Months", "insights-months"),
                rx.el.select(
                    *[rx.el.option(str(months), value=str(months)) for months in (3, 6, 12, 24, 36)],
                    name="months",
                    id="insights-months",
                    default_value=InsightsState.months,
                ),
                spacing="1",
            ),
            rx.vstack(
                label("Currency", "insights-currency"),
                rx.input(name="currency", id="insights-currency", default_value=InsightsState.currency, max_length=3, width="5em"),
                field_error(errors.get("currency", ""), "insights-currency"),
                spacing="1",
            ),
            rx.button("Show insights", type="submit", loading=InsightsState.loading, id="insights-submit"),
            gap="3",
            align="end",
            wrap="wrap",
            width="100%",
        ),
        on_submit=InsightsState.submit,
        width="100%",
    )


def _band_chart(data: rx.Var | list, chart_id: str) -> rx.Component:
    return rx.recharts.bar_chart(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3"),
        rx.recharts.x_axis(data_key="name"),
        rx.recharts.y_axis(),
        rx.recharts.tooltip(),
        rx.recharts.legend(),
        rx.recharts.bar(data_key="market", name="Postings", fill="var(--accent-9)"),
        rx.recharts.bar(data_key="benchmark", name="BLS OEWS", fill="var(--gray-8)"),
        data=data,
        height=CHART_HEIGHT,
        width="100%",
        id=chart_id,
    )


def _headline() -> rx.Component:
    headline = InsightsState.headline
    return rx.card(
        rx.vstack(
            rx.text(headline["occupation"], " · ", headline["place"], size="2", color_scheme="gray"),
            rx.text(headline["median"], size="7", weight="bold", id="insights-median"),  # the page's one h1 is its title
            rx.text("Middle half: ", headline["range"], size="3"),
            rx.text(headline["sample"], " · ", headline["share"], size="2", id="insights-sample"),
            rx.hstack(
                rx.badge("Confidence: ", headline["confidence"], id="insights-confidence"),
                rx.text(headline["window"], " · as of ", headline["as_of"], size="1", color_scheme="gray"),
                align="center",
                wrap="wrap",
            ),
            rx.cond(InsightsState.ignored != "", rx.text("Not applied: ", InsightsState.ignored, size="1", color_scheme="amber")),
            spacing="2",
        ),
        width="100%",
    )


def _table(headers: list[str], rows: rx.Var, cells: list[str]) -> rx.Component:
    return rx.table.root(
        rx.table.header(rx.table.row(*[rx.table.column_header_cell(text) for text in headers])),
        rx.table.body(rx.foreach(rows, lambda row: rx.table.row(*[rx.table.cell(row[name]) for name in cells]))),
        size="1",
        width="100%",
    )


def _breakdown(item: rx.Var) -> rx.Component:
    return rx.vstack(
        rx.heading(item["name"], size="3", as_="h3"),
        _table(["", "Postings", "Median"], item["rows"].to(list[dict[str, str]]), ["key", "n", "p50"]),
        spacing="1",
        width="100%",
    )


def _answer() -> rx.Component:
    return rx.vstack(
        _headline(),
        rx.heading("Percentiles against the benchmark", size="4", as_="h2"),
        _band_chart(InsightsState.band, "insights-band"),
        rx.cond(
            InsightsState.versus.length() > 0,
            _table(["", "Postings", "BLS OEWS", "Difference"], InsightsState.versus, ["figure", "market", "benchmark", "difference"]),
            rx.text("No benchmark for this occupation and place.", size="2", color_scheme="gray"),
        ),
        rx.heading("How pay is spread", size="4", as_="h2"),
        rx.recharts.bar_chart(
            rx.recharts.x_axis(data_key="range"),
            rx.recharts.y_axis(allow_decimals=False),
            rx.recharts.tooltip(),
            rx.recharts.bar(data_key="postings", name="Postings", fill="var(--accent-9)"),
            data=InsightsState.histogram,
            height=CHART_HEIGHT,
            width="100%",
        ),
        rx.heading("Month by month", size="4", as_="h2"),
        rx.recharts.line_chart(
            rx.recharts.x_axis(data_key="month"),
            rx.recharts.y_axis(),
            rx.recharts.tooltip(),
            rx.recharts.line(data_key="median", name="Median", stroke="var(--accent-9)", connect_nulls=True),
            data=InsightsState.trend,
            height=CHART_HEIGHT,
            width="100%",
        ),
        rx.grid(rx.foreach(InsightsState.breakdowns, _breakdown), columns=rx.breakpoints(initial="1", md="2"), gap="4", width="100%"),
        rx.cond(
            InsightsState.other_currencies.length() > 0,
            rx.vstack(
                rx.heading("Paid in other currencies (not converted)", size="3", as_="h3"),
                _table(["Currency", "Postings", "Median"], InsightsState.other_currencies, ["currency", "n", "p50"]),
                width="100%",
            ),
        ),
        rx.heading("Sources", size="3", as_="h3"),
        _table(["Source", "Status", "Detail"], InsightsState.sources, ["name", "status", "detail"]),
        spacing="4",
        width="100%",
        id="insights-answer",
    )


def _upgrade() -> rx.Component:
    return rx.box(
        rx.box(_band_chart(InsightsState.sample_band, "insights-sample"), style={"filter": "blur(6px)"}, aria_hidden="true"),
        rx.card(
            rx.vstack(
                rx.heading("Salary insights come with Pro", size="4", as_="h2"),
                rx.text("See what postings for any title and place pay, month by month, against the public wage benchmark."),
                rx.button(rx.link("See the plans", href=routes.PRICING), as_child=True, id="insights-upgrade"),
                align="center",
                spacing="3",
            ),
            position="absolute",
            top="50%",
            left="50%",
            transform="translate(-50%, -50%)",
        ),
        position="relative",
        width="100%",
        id="insights-locked",
    )


@page_shell
def insights_page() -> rx.Component:
    return rx.vstack(
        rx.heading("Salary insights", size="6", as_="h1"),
        _form(),
        rx.cond(InsightsState.premium, rx.cond(InsightsState.has_answer, _answer()), _upgrade()),
        spacing="4",
        width="100%",
    )
