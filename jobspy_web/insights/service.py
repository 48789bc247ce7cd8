"""salary_insights: one query, its sources asked in parallel, one answer.

Sources: our corpus, the OEWS benchmark, and each configured external provider. Each has
its own timeout (INSIGHTS_SOURCE_TIMEOUT_SECONDS); one that fails or is late leaves the
answer partial, its status saying why, instead of failing the answer.
"""

from __future__ import annotations

import asyncio
import hashlib
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

import httpx
import orjson

from jobspy_web.db import primary_engine, read_session, replica_engine
from jobspy_web.infra.cache import get_cache
from jobspy_web.infra.clickhouse import get_clickhouse
from jobspy_web.insights import aggregate, benchmark, corpus, providers
from jobspy_web.insights.clickhouse_summary import summarise_on_clickhouse
from jobspy_web.insights.places import STATES
from jobspy_web.insights.query import InsightsQuery, NormalisedQuery, normalise_query, window_months
from jobspy_web.settings import get_settings

__all__ = ["CACHE_TTL_S", "CachedAnswer", "SourceStatus", "cached_answer", "metros", "normalised", "salary_insights"]

CACHE_TTL_S = 24 * 3600


@dataclass
class SourceStatus:
    name: str
    status: str  # ok, no_data, not_loaded, no_match, timeout, error
    elapsed_ms: float = 0.0
    detail: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"name": self.name, "status": self.status, "detail": self.detail, "elapsed_ms": round(self.elapsed_ms, 1)}


class _SourceEmpty(Exception):
    """A source that answered but has nothing for this query: status + detail."""

    def __init__(self, status: str, detail: str) -> None:
        super().__init__(detail)
        self.status, self.detail = status, detail


def metros() -> dict[tuple[str, str], tuple[str, str]]:
    return benchmark.metro_index(replica_engine())


def normalised(query: InsightsQuery) -> NormalisedQuery:
    return normalise_query(query, metros=metros())


async def normalised_async(query: InsightsQuery) -> NormalisedQuery:
    """normalised(), on the event loop (~10 µs) once the metro index is in memory; the first
    time, in a thread: it reads the database."""
    loaded = benchmark.loaded_metro_index(replica_engine())
    if loaded is None:
        return await asyncio.to_thread(normalised, query)
    return normalise_query(query, metros=loaded)


async def salary_insights(query: NormalisedQuery, *, today: date | None = None, timeout_s: float | None = None) -> dict[str, Any]:
    """The answer for a normalised query (see api/premium.py for its fields)."""
    today = today or datetime.now(UTC).date()
    months = window_months(query.months, today=today)
    timeout = timeout_s if timeout_s is not None else get_settings().insights_source_timeout_seconds
    configured = providers.configured_providers()
    async with httpx.AsyncClient(timeout=timeout) if configured else _NoClient() as client:
        asked: list[tuple[str, Callable[[], Awaitable[Any]]]] = [
            ("corpus", lambda: asyncio.to_thread(_corpus, query, months)),
            ("bls_oews", lambda: asyncio.to_thread(_benchmark, query)),
            *[(provider.name, _asker(provider, query, client)) for provider in configured],
        ]
        results = await asyncio.gather(*(_timed(name, ask, timeout) for name, ask in asked))
    found = {status.name: value for status, value in results}
    statuses = [status.as_json() for status, _ in results]
    summary = found.get("corpus") or aggregate.summarise([], currency=query.currency, months=months)
    bench = found.get("bls_oews")
    return {
        "query": _query_json(query),
        "as_of": datetime.now(UTC).isoformat(timespec="seconds"),
        "window": {"from": months[0], "to": months[-1], "months": query.months},
        **summary,
        "benchmark": bench.as_json() if bench else None,
        "market_vs_benchmark": _versus(summary, bench, query.currency),
        "providers": [found[status.name].as_json(status.name) for status, _ in results[2:] if found.get(status.name)],
        "sources": statuses,
        "ignored_params": list(query.ignored),
    }


@dataclass(frozen=True)
class CachedAnswer:
    body: bytes  # the answer's JSON
    etag: str


async def cached_answer(query: NormalisedQuery) -> CachedAnswer:
    """The answer from the 24-hour cache under the query's key, or worked out and cached. A
    partial answer (a source late or failing) is not kept: the next request asks again."""
    cache = get_cache()
    key = query.cache_key()
    (cached,) = await cache.get_many_async(key)  # pipelined on the event loop, no thread
    if cached is not None:
        return CachedAnswer(cached["body"].encode(), cached["etag"])
    answer = await salary_insights(query)
    body = orjson.dumps(answer)
    etag = '"' + hashlib.sha256(body).hexdigest()[:32] + '"'
    if all(source["status"] not in ("timeout", "error") for source in answer["sources"]):
        await asyncio.to_thread(cache.set, key, {"body": body.decode(), "etag": etag}, ttl_s=CACHE_TTL_S)
    return CachedAnswer(body, etag)


class _NoClient:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *_: object) -> None:
        return None


def _asker(provider: providers.SalaryProvider, query: NormalisedQuery, client: Any) -> Callable[[], Awaitable[Any]]:
    return lambda: provider.fetch(query, client)


async def _timed(name: str, ask: Callable[[], Awaitable[Any]], timeout: float) -> tuple[SourceStatus, Any]:
    started = time.perf_counter()
    status = SourceStatus(name, "ok")
    value = None
    try:
        value = await asyncio.wait_for(ask(), timeout)
    except TimeoutError:
        status.status, status.detail = "timeout", f"no answer within {timeout:g} s"
    except _SourceEmpty as empty:
        status.status, status.detail = empty.status, empty.detail
    except benchmark.BenchmarkNotLoaded as missing:
        status.status, status.detail = "not_loaded", str(missing)
    except httpx.HTTPStatusError as error:
        status.status, status.detail = "error", f"answered HTTP {error.response.status_code}"
    except httpx.HTTPError as error:
        status.status, status.detail = "error", f"unreachable ({type(error).__name__})"
    except Exception as error:  # one broken source must not fail the others' answer
        status.status, status.detail = "error", f"{type(error).__name__}: {str(error)[:200]}"
    status.elapsed_ms = (time.perf_counter() - started) * 1000
    return status, value


def _filters(query: NormalisedQuery, months: list[str]) -> corpus.Filters:
    place = query.place
    return corpus.Filters(
        since=date.fromisoformat(months[0] + "-01"),
        soc_code=query.occupation.soc_code if query.occupation else None,
        title_key=None if query.occupation else query.title.key,
        country=place.country or query.country,
        state_abbr=place.state_abbr if place.metro_code is None else None,
        metro_code=place.metro_code,
        place=place.label if place.level == "city" else None,
        is_remote=query.remote,
        job_type=query.job_type,
    )


def _corpus(query: NormalisedQuery, months: list[str]) -> dict[str, Any]:
    clickhouse = get_clickhouse()
    engine = primary_engine()
    corpus.sync_if_due(engine=engine, metros=metros(), clickhouse=clickhouse)
    filters = _filters(query, months)
    if clickhouse is not None:  # the heavy part inside ClickHouse: only small results come back
        summary = summarise_on_clickhouse(filters=filters, clickhouse=clickhouse, currency=query.currency, months=months)
    else:
        rows = corpus.fetch_facts(filters=filters, engine=replica_engine(), clickhouse=None)
        summary = aggregate.summarise(rows, currency=query.currency, months=months) if rows else None
    if summary is None:
        raise _SourceEmpty("no_data", "no stored posting matches this query")
    return summary


def _benchmark_areas(query: NormalisedQuery) -> list[str]:
    place, areas = query.place, []
    if place.metro_code:
        areas.append(place.metro_code)
    if place.state_abbr:
        areas.append(STATES[place.state_abbr][1] + "00000")
    return [*areas, benchmark.NATIONAL_AREA]


def _benchmark(query: NormalisedQuery) -> benchmark.Benchmark:
    if (query.place.country or query.country or "US") != "US":
        raise _SourceEmpty("no_data", "the OEWS benchmark covers the United States only")
    if query.occupation is None:
        raise _SourceEmpty("no_match", "the title matches no occupation")
    with read_session() as session:
        found = benchmark.find_benchmark(session=session, soc_code=query.occupation.soc_code, areas=_benchmark_areas(query))
    if found is None:
        raise _SourceEmpty("no_data", f"no OEWS estimate for {query.occupation.soc_code} here")
    return found


def _versus(summary: dict[str, Any], bench: benchmark.Benchmark | None, currency: str) -> dict[str, Any] | None:
    """Our postings against the benchmark, each figure's difference in % of the benchmark."""
    if bench is None or currency != "USD" or summary["yearly"]["p50"] is None:
        return None
    ours = summary["yearly"]
    theirs = {"p25": bench.p25, "p50": bench.p50, "p75": bench.p75, "mean": bench.mean}
    return {
        "area": bench.area_name,
        "area_level": bench.area_type,
        "currency": "USD",
        "market_sample_size": summary["sample_size"],
        "figures": {
            name: {
                "market": ours[name],
                "benchmark": value,
                "difference_pct": round((ours[name] - value) / value * 100, 1) if value and ours[name] is not None else None,
            }
            for name, value in theirs.items()
        },
    }


def _query_json(query: NormalisedQuery) -> dict[str, Any]:
    place = query.place
    return {
        "title": query.title.key,
        "seniority": query.title.seniority,
        "occupation": None
        if query.occupation is None
        else {"soc_code": query.occupation.soc_code, "title": query.occupation.title, "match_score": query.occupation.score},
        "location": {
            "level": place.level if place.level != "any" else "national" if (query.country or "US") == "US" else "country",
            "label": place.label,
            "country": place.country or query.country,
            "state": place.state_abbr,
            "metro_code": place.metro_code,
        },
        "job_type": query.job_type,
        "remote": query.remote,
        "currency": query.currency,
        "months": query.months,
    }
