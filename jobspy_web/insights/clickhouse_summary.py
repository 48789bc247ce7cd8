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
_KEYS = {
    "site": "site",
    "location": "place",
    "seniority": "seniority",
    "remote": "multiIf(is_remote = true, 'remote', is_remote = false, 'on-site', 'unspecified')",
    "top_companies": "company",
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
    pay_sources = clickhouse.query(
        f"SELECT if(pay_source = '', 'unknown', pay_source) AS source, count() FROM {table} WHERE {chosen} GROUP BY source ORDER BY source",
        parameters,
    )
    others = clickhouse.query(
        f"SELECT currency, count() AS n, quantileExactInclusive(0.5)(yearly) FROM {table} "
        f"WHERE {where} AND yearly IS NOT NULL AND currency != {{currency:String}} GROUP BY currency ORDER BY n DESC",
        parameters,
    )
    breakdowns: dict[str, Any] = {"min_count": aggregate.MIN_BREAKDOWN_COUNT}
    for name, key in _KEYS.items():
        limit = f" LIMIT {_LIMITS[name]}" if name in _LIMITS else ""
        found = clickhouse.query(
            f"SELECT {key} AS key, count() AS n, quantilesExactInclusive(0.25, 0.5, 0.75)(yearly) FROM {table} "
            f"WHERE {chosen} AND key != '' GROUP BY key HAVING n >= {aggregate.MIN_BREAKDOWN_COUNT} ORDER BY n DESC, key{limit}",
            parameters,
        )
        breakdowns[name] = [
            {"key": key_value, "n": int(n), "p25": _whole(q[0]), "p50": _whole(q[1]), "p75": _whole(q[2])} for key_value, n, q in found
        ]
    by_month = {
        month: (int(n), median)
        for month, n, median in clickhouse.query(
            f"SELECT formatDateTime(posted_month, '%Y-%m') AS month, count(), quantileExactInclusive(0.5)(yearly) FROM {table} "
            f"WHERE {chosen} GROUP BY month",
            parameters,
        )
    }
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
        "pay_source": {source: int(n) for source, n in pay_sources},
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
