"""aggregate.summarise's figures computed inside ClickHouse, for when CLICKHOUSE_URL is set.

The same numbers as the Python path over the same facts (tests/insights/test_sources.py
holds them equal): quantileExactInclusive interpolates as numpy's percentile does, breakdowns
keep groups from MIN_BREAKDOWN_COUNT, and the histogram uses the same bins. Only small
result sets cross into Python, whatever the number of postings.
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


def summarise_on_clickhouse(*, filters: Filters, clickhouse: ClickHouse, currency: str, months: list[str]) -> dict[str, Any] | None:
    """The corpus part of an answer; None when no posting matches."""
    where, parameters = _where(filters)
    table = "job_salary_facts FINAL"
    postings, paid = clickhouse.query(f"SELECT count(), countIf(yearly IS NOT NULL) FROM {table} WHERE {where}", parameters)[0]
    if not postings:
        return None
    chosen = f"{where} AND yearly IS NOT NULL AND currency = {{currency:String}}"
    parameters = {**parameters, "currency": currency}
    overall = clickhouse.query(
        "SELECT count(), quantilesExactInclusive(0.1, 0.25, 0.5, 0.75, 0.9, 0.01, 0.99)(yearly), avg(yearly), "
        f"uniqExactIf(company, company != '') FROM {table} WHERE {chosen}",
        parameters,
    )[0]
    sample, quantiles, mean, companies = int(overall[0]), overall[1], overall[2], int(overall[3])
    yearly: dict[str, int | None] = dict.fromkeys([*(f"p{p}" for p in aggregate.PERCENTILES), "mean"])
    if sample:
        yearly = {f"p{p}": _whole(value) for p, value in zip(aggregate.PERCENTILES, quantiles[:5], strict=True)} | {"mean": _whole(mean)}
    others = clickhouse.query(
        f"SELECT currency, count() AS n, quantileExactInclusive(0.5)(yearly) FROM {table} "
        f"WHERE {where} AND yearly IS NOT NULL AND currency != {{currency:String}} GROUP BY currency ORDER BY n DESC",
        parameters,
    )
    # Every breakdown, the months and the pay sources in one scan: each posting is counted
    # once per dimension (ARRAY JOIN), then grouped by (dimension, key).
    dimensions = ", ".join(f"('{name}', {key})" for name, key in _DIMENSIONS.items())
    groups: dict[str, list[tuple[str, int, list[float]]]] = {name: [] for name in _DIMENSIONS}
    for dimension, key, n, q in clickhouse.query(
        f"SELECT dimension.1 AS name, dimension.2 AS key, count(), quantilesExactInclusive(0.25, 0.5, 0.75)(yearly) "
        f"FROM {table} ARRAY JOIN [{dimensions}] AS dimension WHERE {chosen} GROUP BY name, key",
        parameters,
    ):
        groups[dimension].append((key, int(n), q))
    pay_sources = sorted((key, n) for key, n, _q in groups.pop("pay_source"))
    by_month = {key: (n, q[1]) for key, n, q in groups.pop("month")}
    breakdowns: dict[str, Any] = {"min_count": aggregate.MIN_BREAKDOWN_COUNT}
    for name, found in groups.items():
        shown = sorted(
            ((key, n, q) for key, n, q in found if key != "" and n >= aggregate.MIN_BREAKDOWN_COUNT), key=lambda g: (-g[1], g[0])
        )
        breakdowns[name] = [
            {"key": key, "n": n, "p25": _whole(q[0]), "p50": _whole(q[1]), "p75": _whole(q[2])} for key, n, q in shown[: _LIMITS.get(name)]
        ]
    trend = []
    for month in months:
        n, median = by_month.get(month, (0, None))
        trend.append({"month": month, "n": n, "p50": _whole(median) if n >= aggregate.MIN_BREAKDOWN_COUNT else None})
    return {
        "currency": currency,
        "yearly": yearly,
        "sample_size": sample,
        "postings": int(postings),
        "companies": companies,
        "share_with_pay": round(int(paid) / int(postings), 3),
        "pay_source": dict(pay_sources),
        "confidence": aggregate.confidence(sample, yearly["p25"], yearly["p50"], yearly["p75"]),
        "other_currencies": [
            {"currency": code, "n": int(n), "p50": _whole(median) if n >= aggregate.MIN_BREAKDOWN_COUNT else None}
            for code, n, median in others
        ],
        "breakdowns": breakdowns,
        "trend": trend,
        "histogram": _histogram(clickhouse, table, chosen, parameters, sample, quantiles[5], quantiles[6]),
    }


def _histogram(
    clickhouse: ClickHouse, table: str, chosen: str, parameters: dict[str, Any], sample: int, low: float, high: float
) -> list[dict[str, int]]:
    if sample < aggregate.MIN_BREAKDOWN_COUNT:
        return []
    step, start = aggregate.histogram_bins(low, high)
    end = start + step * aggregate.HISTOGRAM_BINS
    counts = dict(
        clickhouse.query(
            f"SELECT toUInt32(floor((least(greatest(yearly, {start!r}), {end - 1!r}) - {start!r}) / {step!r})) AS bin, count() "
            f"FROM {table} WHERE {chosen} GROUP BY bin",
            parameters,
        )
    )
    edges = start + step * np.arange(aggregate.HISTOGRAM_BINS + 1)
    return [
        {"from": round(float(edges[i])), "to": round(float(edges[i + 1])), "n": int(counts.get(i, 0))}
        for i in range(aggregate.HISTOGRAM_BINS)
    ]
