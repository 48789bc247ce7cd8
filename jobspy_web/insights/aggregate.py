"""From the facts a query selected to the numbers an answer shows.

Rows come as corpus.READ_COLUMNS. Figures are yearly, in the asked currency only: postings
paid in another currency are counted and summarised apart, never converted.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

__all__ = ["MIN_BREAKDOWN_COUNT", "confidence", "histogram_bins", "summarise"]

MIN_BREAKDOWN_COUNT = 5  # a breakdown row, month or currency shown only from this many postings
TOP_COMPANIES = 10
HISTOGRAM_BINS = 12
PERCENTILES = (10, 25, 50, 75, 90)

_YEARLY, _CURRENCY, _SITE, _PLACE, _SENIORITY, _REMOTE, _COMPANY, _MONTH, _PAY_SOURCE = range(9)


def confidence(sample_size: int, p25: float | None, p50: float | None, p75: float | None) -> str:
    """high: 100+ postings and an interquartile range under 60% of the median; medium: 30+
    postings (or 100+ widely spread); low otherwise."""
    if sample_size < 30 or not p50:
        return "low"
    spread = ((p75 or p50) - (p25 or p50)) / p50
    return "high" if sample_size >= 100 and spread < 0.6 else "medium"


def _whole(value: float) -> int:
    return round(float(value))


def _percentiles(values: np.ndarray) -> dict[str, int | None]:
    if values.size == 0:
        return {**{f"p{p}": None for p in PERCENTILES}, "mean": None}
    found = np.percentile(values, PERCENTILES)
    return {**{f"p{p}": _whole(v) for p, v in zip(PERCENTILES, found, strict=True)}, "mean": _whole(values.mean())}


def _breakdown(rows: Sequence[tuple[Any, ...]], key: Callable[[tuple[Any, ...]], Any], *, limit: int | None = None) -> list[dict[str, Any]]:
    groups: dict[Any, list[float]] = defaultdict(list)
    for row in rows:
        name = key(row)
        if name is not None:
            groups[name].append(row[_YEARLY])
    shown = [(name, values) for name, values in groups.items() if len(values) >= MIN_BREAKDOWN_COUNT]
    shown.sort(key=lambda item: (-len(item[1]), str(item[0])))
    out = []
    for name, values in shown[:limit]:
        p25, p50, p75 = np.percentile(values, (25, 50, 75))
        out.append({"key": name, "n": len(values), "p25": _whole(p25), "p50": _whole(p50), "p75": _whole(p75)})
    return out


def _remote(row: tuple[Any, ...]) -> str:
    return "remote" if row[_REMOTE] is True else "on-site" if row[_REMOTE] is False else "unspecified"


def histogram_bins(low: float, high: float) -> tuple[float, float]:
    """The bins' width and first edge for values whose 1st and 99th percentiles are low and
    high: round steps, so one outlier doesn't squash every bar."""
    step = max(1000.0, float(np.ceil((high - low) / HISTOGRAM_BINS / 1000) * 1000))
    return step, float(np.floor(low / step) * step)


def _histogram(values: np.ndarray) -> list[dict[str, int]]:
    if values.size < MIN_BREAKDOWN_COUNT:
        return []
    step, start = histogram_bins(*np.percentile(values, (1, 99)))
    edges = start + step * np.arange(HISTOGRAM_BINS + 1)
    counts, _ = np.histogram(np.clip(values, edges[0], edges[-1] - 1), bins=edges)
    return [{"from": _whole(edges[i]), "to": _whole(edges[i + 1]), "n": int(count)} for i, count in enumerate(counts)]


def _trend(rows: Sequence[tuple[Any, ...]], months: list[str]) -> list[dict[str, Any]]:
    by_month: dict[str, list[float]] = defaultdict(list)
    for row in rows:
        by_month[row[_MONTH]].append(row[_YEARLY])
    trend = []
    for month in months:
        values = by_month.get(month, [])
        median = _whole(np.median(values)) if len(values) >= MIN_BREAKDOWN_COUNT else None
        trend.append({"month": month, "n": len(values), "p50": median})
    return trend


def summarise(rows: Sequence[tuple[Any, ...]], *, currency: str, months: list[str]) -> dict[str, Any]:
    """The corpus part of an answer (see the module docstring); `months` is the window,
    oldest first, as 'YYYY-MM'."""
    paid = [row for row in rows if row[_YEARLY] is not None]
    chosen = [row for row in paid if row[_CURRENCY] == currency]
    values = np.fromiter((row[_YEARLY] for row in chosen), dtype=float, count=len(chosen))
    yearly = _percentiles(values)
    others: dict[str, list[float]] = defaultdict(list)
    for row in paid:
        if row[_CURRENCY] != currency:
            others[row[_CURRENCY]].append(row[_YEARLY])
    pay_sources = Counter(row[_PAY_SOURCE] or "unknown" for row in chosen)
    return {
        "currency": currency,
        "yearly": yearly,
        "sample_size": len(chosen),
        "postings": len(rows),
        "companies": len({row[_COMPANY] for row in chosen if row[_COMPANY]}),
        "share_with_pay": round(len(paid) / len(rows), 3) if rows else None,
        "pay_source": {source: pay_sources[source] for source in sorted(pay_sources)},
        "confidence": confidence(len(chosen), yearly["p25"], yearly["p50"], yearly["p75"]),
        "other_currencies": [
            {"currency": code, "n": len(found), "p50": _whole(np.median(found)) if len(found) >= MIN_BREAKDOWN_COUNT else None}
            for code, found in sorted(others.items(), key=lambda item: -len(item[1]))
        ],
        "breakdowns": {
            "min_count": MIN_BREAKDOWN_COUNT,
            "site": _breakdown(chosen, lambda row: row[_SITE]),
            "location": _breakdown(chosen, lambda row: row[_PLACE], limit=20),
            "seniority": _breakdown(chosen, lambda row: row[_SENIORITY]),
            "remote": _breakdown(chosen, _remote),
            "top_companies": _breakdown(chosen, lambda row: row[_COMPANY], limit=TOP_COMPANIES),
        },
        "trend": _trend(chosen, months),
        "histogram": _histogram(values),
    }
