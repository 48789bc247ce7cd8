"""The Salary insights page: the form, then the answer the Premium API gives, as charts.

The answer comes from insights.service.cached_answer, the same use case and cache as GET
/premium/salary-insights. A tier without premium views sees a blurred sample instead.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import orjson
import reflex as rx

from jobspy_web.core.tiers import rules_for
from jobspy_web.insights import service
from jobspy_web.insights.query import InsightsError, parse_query
from jobspy_web.ui import routes
from jobspy_web.ui.state.auth import AuthState

# What a free account sees behind the blur: plausible, and labelled a sample.
SAMPLE_BAND = [
    {"name": "p10", "market": 92000, "benchmark": 82000},
    {"name": "p25", "market": 108000, "benchmark": 105000},
    {"name": "p50", "market": 128000, "benchmark": 136000},
    {"name": "p75", "market": 152000, "benchmark": 172000},
    {"name": "p90", "market": 181000, "benchmark": 214000},
]


def _money(value: Any, currency: str) -> str:
    return f"{currency} {value:,.0f}" if isinstance(value, int | float) else "–"


class InsightsState(AuthState):
    title: str = ""
    location: str = ""
    remote: str = "any"  # any, remote, onsite
    months: str = "12"
    currency: str = "USD"
    form_errors: dict[str, str] = {}
    loading: bool = False
    has_answer: bool = False
    headline: dict[str, str] = {}  # median, range, sample, confidence, as_of...
    band: list[dict[str, Any]] = []  # p10..p90, market and benchmark
    histogram: list[dict[str, Any]] = []
    trend: list[dict[str, Any]] = []
    breakdowns: list[dict[str, Any]] = []  # {"name", "rows": [{"key", "n", "p50"}]}
    versus: list[dict[str, str]] = []
    sources: list[dict[str, str]] = []
    other_currencies: list[dict[str, str]] = []
    ignored: str = ""

    @rx.var
    def premium(self) -> bool:
        return bool(self.tier) and rules_for(self.tier).premium_views

    @rx.var
    def sample_band(self) -> list[dict[str, Any]]:
        return SAMPLE_BAND

    @rx.event
    async def load(self) -> Any:
        self._current_user()
        params = self.router.page.params
        self.title = str(params.get("title", self.title))[:200]
        self.location = str(params.get("location", self.location))[:200]
        if self.title and self.premium:
            return InsightsState.run
        return None

    @rx.event
    def compare(self, title: str, location: str) -> Any:
        """From a job's detail: "How does this pay compare?" for its title and place."""
        return rx.redirect(f"{routes.INSIGHTS}?{urlencode({'title': title or '', 'location': location or ''})}")

    @rx.event
    def submit(self, form: dict[str, Any]) -> Any:
        self.title = str(form.get("title", ""))[:200]
        self.location = str(form.get("location", ""))[:200]
        self.remote = str(form.get("remote", "any"))
        self.months = str(form.get("months", "12"))
        self.currency = str(form.get("currency", "USD")).upper()[:3]
        return InsightsState.run

    @rx.event
    async def run(self) -> Any:
        if not self.premium:
            yield rx.redirect(routes.PRICING)
            return
        pairs = [("title", self.title), ("location", self.location), ("months", self.months), ("currency", self.currency)]
        if self.remote != "any":
            pairs.append(("remote", "true" if self.remote == "remote" else "false"))
        try:
            query = parse_query([(name, value) for name, value in pairs if value != ""] if self.title else [("location", "")])
        except InsightsError as error:
            self.form_errors = dict(error.fields or {})
            self.has_answer = False
            return
        self.form_errors, self.loading = {}, True
        yield
        answer = orjson.loads((await service.cached_answer(service.normalised(query))).body)
        self._show(answer)
        self.loading = False

    def _show(self, answer: dict[str, Any]) -> None:
        currency, yearly = answer["currency"], answer["yearly"]
        occupation = answer["query"]["occupation"]
        self.headline = {
            "median": _money(yearly["p50"], currency),
            "range": f"{_money(yearly['p25'], currency)} – {_money(yearly['p75'], currency)}",
            "sample": f"{answer['sample_size']:,} postings with pay from {answer['companies']:,} companies",
            "share": f"{(answer['share_with_pay'] or 0) * 100:.0f}% of {answer['postings']:,} matching postings show pay",
            "confidence": answer["confidence"],
            "occupation": f"{occupation['title']} ({occupation['soc_code']}, match {occupation['match_score']:.0%})"
            if occupation
            else "No occupation matched: postings with this exact title",
            "place": answer["query"]["location"]["label"],
            "window": f"{answer['window']['from']} to {answer['window']['to']}",
            "as_of": answer["as_of"],
        }
        benchmark = (answer["benchmark"] or {}).get("yearly", {})
        self.band = [
            {"name": name, "market": yearly[name], "benchmark": benchmark.get(name)} for name in ("p10", "p25", "p50", "p75", "p90")
        ]
        self.histogram = [{"range": f"{bar['from'] // 1000}k", "postings": bar["n"]} for bar in answer["histogram"]]
        self.trend = [{"month": point["month"], "median": point["p50"], "postings": point["n"]} for point in answer["trend"]]
        names = {
            "site": "By site",
            "location": "By place",
            "seniority": "By seniority",
            "remote": "Remote or on-site",
            "top_companies": "Top companies",
        }
        self.breakdowns = [
            {
                "name": label,
                "rows": [
                    {"key": str(row["key"]), "n": str(row["n"]), "p50": _money(row["p50"], currency)} for row in answer["breakdowns"][key]
                ],
            }
            for key, label in names.items()
            if answer["breakdowns"][key]
        ]
        versus = answer["market_vs_benchmark"]
        self.versus = (
            [
                {
                    "figure": name,
                    "market": _money(figures["market"], "USD"),
                    "benchmark": _money(figures["benchmark"], "USD"),
                    "difference": f"{figures['difference_pct']:+.1f}%" if figures["difference_pct"] is not None else "–",
                }
                for name, figures in versus["figures"].items()
            ]
            if versus
            else []
        )
        self.sources = [
            {"name": source["name"], "status": source["status"], "detail": source["detail"] or ""} for source in answer["sources"]
        ]
        self.other_currencies = [
            {"currency": other["currency"], "n": str(other["n"]), "p50": _money(other["p50"], other["currency"])}
            for other in answer["other_currencies"]
        ]
        self.ignored = ", ".join(answer["ignored_params"])
        self.has_answer = True
