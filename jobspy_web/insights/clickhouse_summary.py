"""aggregate.summarise's figures computed inside ClickHouse, for when CLICKHOUSE_URL is set.

The same numbers as the Python path over the same facts (tests/insights/test_sources.py
holds them equal): quantileExactInclusive interpolates as numpy's percentile does, breakdowns
keep groups from MIN_BREAKDOWN_COUNT, and the histogram uses the same bins. Only small
result sets cross into Python, whatever the number of postings.

One statement, one scan of the selected facts: GROUP BY GROUPING SETS gives the totals,
each breakdown, the months, the pay sources, the other currencies and the salaries in
1,000-wide buckets (the histogram's bins are whole multiples of 1,000, so its counts are
sums of buckets) at once. Five statements cost ~5x the fixed price of a query (parse,
plan, a scan through FINAL's merge) on the cold path (bench/insights.py).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from jobspy_web.infra.clickhouse import ClickHouse
from jobspy_web.insights import aggregate
from jobspy_web.insights.corpus import Filters

__all__ = ["summarise_on_clickhouse"]

_TYPES = {"is_remote": "Bool"}
_DIMENSIONS = {
    "site": "site",
    "location": "place",
    "seniority": "seniority",
    "remote": "multiIf(is_remote = true, 'remote', is_remote = false, 'on-site', 'unspecified')",
    "top_companies": "company",
    "month": "formatDateTime(posted_month, '%Y-%m')",
    "pay_source": "if(pay_source = '', 'unknown', pay_source)",
}
_BREAKDOWNS = ("site", "location", "seniority", "remote", "top_companies")
_LIMITS = {"location": 20, "top_companies": aggregate.TOP_COMPANIES}


def _where(filters: Filters) -> tuple[str, dict[str, Any]]:
    conditions = ["posted_month >= {since:Date}"]
    parameters: dict[str, Any] = {"since": filters.since.isoformat()}
    for name, value in filters.equalities().items():
        conditions.append(f"{name} = {{{name}:{_TYPES.get(name, 'String')}}}")
        parameters[name] = value
    return " AND ".join(conditions), parameters


def _whole(value: Any) -> int | None:
    return None if value is None else round(float(value))


# The grouping sets, each a key expression (NULL in the other sets' rows: group_by_use_nulls).
_SETS = {
    **_DIMENSIONS,
    "currency": "currency",
    "bucket": "toInt64(floor(ifNull(yearly, -1) / 1000))",
}  # never NULL: NULL keys mark the other sets
_CHOSEN = "yearly IS NOT NULL AND currency = {currency:String}"
_OTHER = "yearly IS NOT NULL AND currency != {currency:String}"


def _statement(where: str) -> str:
    keys = ", ".join(f"{expression} AS k_{name}" for name, expression in _SETS.items())
    sets = ", ".join(["()", *(f"(k_{name})" for name in _SETS)])
    return (
        f"SELECT {keys}, count(), countIf(yearly IS NOT NULL), countIf({_CHOSEN}), "
        f"quantilesExactInclusiveIf(0.25, 0.5, 0.75, 0.1, 0.9, 0.01, 0.99)(yearly, {_CHOSEN}), avgIf(yearly, {_CHOSEN}), "
        f"uniqExactIf(company, company != '' AND {_CHOSEN}), countIf({_OTHER}), quantileExactInclusiveIf(0.5)(yearly, {_OTHER}) "
        f"FROM job_salary_facts FINAL WHERE {where} GROUP BY GROUPING SETS ({sets}) SETTINGS group_by_use_nulls = 1"
    )


def _grouped(rows: list[tuple[Any, ...]]) -> tuple[tuple[Any, ...] | None, dict[str, list[tuple[Any, tuple[Any, ...]]]]]:
    """The totals' row, and each set's (key, figures) rows."""
    width = len(_SETS)
    totals: tuple[Any, ...] | None = None
    groups: dict[str, list[tuple[Any, tuple[Any, ...]]]] = {name: [] for name in _SETS}
    for row in rows:
        keys, figures = row[:width], row[width:]
        named = [(name, key) for name, key in zip(_SETS, keys, strict=True) if key is not None]
        if not named:
            totals = figures
        else:
            groups[named[0][0]].append((named[0][1], figures))
    return totals, groups


def summarise_on_clickhouse(*, filters: Filters, clickhouse: ClickHouse, currency: str, months: list[str]) -> dict[str, Any] | None:
    """The corpus part of an answer; None when no posting matches."""
    where, parameters = _where(filters)
    totals, groups = _grouped(clickhouse.query(_statement(where), {**parameters, "currency": currency}))
    if totals is None or not totals[0]:
        return None
    postings, paid, sample, quantiles, mean, companies = (
        int(totals[0]),
        int(totals[1]),
        int(totals[2]),
        totals[3],
        totals[4],
        int(totals[5]),
    )
    yearly: dict[str, int | None] = dict.fromkeys([*(f"p{p}" for p in aggregate.PERCENTILES), "mean"])
    if sample:
        p25, p50, p75, p10, p90 = quantiles[:5]
        yearly = {"p10": _whole(p10), "p25": _whole(p25), "p50": _whole(p50), "p75": _whole(p75), "p90": _whole(p90), "mean": _whole(mean)}
    # A group's figures over the chosen currency's pay: n, then (p25, p50, p75).
    chosen = {name: [(key, int(f[2]), f[3][:3]) for key, f in found if f[2]] for name, found in groups.items()}
    others = sorted(((key, int(f[6]), f[7]) for key, f in groups["currency"] if f[6]), key=lambda g: -g[1])
    pay_sources = sorted((key, n) for key, n, _q in chosen["pay_source"])
    by_month = {key: (n, q[1]) for key, n, q in chosen["month"]}
    breakdowns: dict[str, Any] = {"min_count": aggregate.MIN_BREAKDOWN_COUNT}
    for name in _BREAKDOWNS:
        shown = sorted(
            ((key, n, q) for key, n, q in chosen[name] if key != "" and n >= aggregate.MIN_BREAKDOWN_COUNT), key=lambda g: (-g[1], g[0])
        )
        breakdowns[name] = [
            {"key": key, "n": n, "p25": _whole(q[0]), "p50": _whole(q[1]), "p75": _whole(q[2])} for key, n, q in shown[: _LIMITS.get(name)]
        ]
    trend = []
    for month in months:
        n, median = by_month.get(month, (0, None))
        trend.append({"month": month, "n": n, "p50": _whole(median) if n >= aggregate.MIN_BREAKDOWN_COUNT else None})
    buckets = {int(key): n for key, n, _q in chosen["bucket"]}
    return {
        "currency": currency,
        "yearly": yearly,
        "sample_size": sample,
        "postings": postings,
        "companies": companies,
        "share_with_pay": round(paid / postings, 3),
        "pay_source": dict(pay_sources),
        "confidence": aggregate.confidence(sample, yearly["p25"], yearly["p50"], yearly["p75"]),
        "other_currencies": [
            {"currency": code, "n": n, "p50": _whole(median) if n >= aggregate.MIN_BREAKDOWN_COUNT else None} for code, n, median in others
        ],
        "breakdowns": breakdowns,
        "trend": trend,
        "histogram": _histogram(buckets, sample, quantiles[5], quantiles[6]),
    }


def _histogram(buckets: dict[int, int], sample: int, low: float, high: float) -> list[dict[str, int]]:
    # The bins' edges are multiples of 1,000 (aggregate.histogram_bins), so each bin is the
    # sum of whole 1,000-wide buckets; values outside the edges count in the end bins, as
    # aggregate's np.clip puts them.
    if sample < aggregate.MIN_BREAKDOWN_COUNT:
        return []
    step, start = aggregate.histogram_bins(low, high)
    counts = [0] * aggregate.HISTOGRAM_BINS
    for bucket, n in buckets.items():
        index = int((bucket * 1000 - start) // step)
        counts[min(max(index, 0), aggregate.HISTOGRAM_BINS - 1)] += n
    edges = start + step * np.arange(aggregate.HISTOGRAM_BINS + 1)
    return [{"from": round(float(edges[i])), "to": round(float(edges[i + 1])), "n": counts[i]} for i in range(aggregate.HISTOGRAM_BINS)]
