"""Prometheus metrics: the series the app exports, and the text a scrape of /metrics reads.

Several workers, one scrape
    With PROMETHEUS_MULTIPROC_DIR set (before this module is imported; `cli serve` sets it
    for N workers and empties it at start), prometheus-client keeps each worker's counters,
    histograms and gauges in memory-mapped files there, and `render()` adds them up, so any
    worker's /metrics answers for all of them. Without it, one registry per process (the
    embedded default, one worker).

Read at scrape time
    Figures that live in a database or a queue (sign-ups, subscriptions, licenses, MRR,
    queue depth) and the host's CPU and memory are not counted as they happen: the scrape
    asks for them through the collectors registered with `register_scrape_source`, so every
    worker reports the same truth and nothing drifts.

Every series name used by deploy/ (the dashboard and the alert rules) is one of `NAMES`;
tests/ops/test_deploy_rules.py holds them to it.
"""

from __future__ import annotations

import os
import resource
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

from jobspy_web import db
from jobspy_web.infra import redis_health

__all__ = [
    "CONTENT_TYPE_LATEST",
    "NAMES",
    "ScrapeFigure",
    "count_mail",
    "count_rate_limit_refusal",
    "count_search",
    "count_site_outcome",
    "count_validation",
    "count_webhook",
    "multiprocess_dir",
    "observe_job",
    "observe_request",
    "register_scrape_source",
    "render",
]

PREFIX = "jobspy"
# Seconds: the License Server answers in well under 10 ms; pages and scrapes take seconds.
_REQUEST_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.02, 0.05, 0.1, 0.25, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
_SCRAPE_BUCKETS = (0.5, 1, 2, 5, 10, 20, 30, 60, 120, 300)


def multiprocess_dir() -> str | None:
    return os.environ.get("PROMETHEUS_MULTIPROC_DIR") or None


REQUEST_SECONDS = Histogram(
    f"{PREFIX}_http_request_duration_seconds",
    "Time to answer an HTTP request, by route template, method and status.",
    ["route", "method", "status"],
    buckets=_REQUEST_BUCKETS,
)
VALIDATIONS = Counter(
    f"{PREFIX}_license_validations",
    "License validations answered, by answer code (VALID or the refusal's) and cache hit or miss.",
    ["code", "cache"],
)
RATE_LIMIT_REFUSALS = Counter(f"{PREFIX}_rate_limit_refusals", "Requests refused with 429, by route template.", ["route"])
SEARCHES = Counter(f"{PREFIX}_searches", "Searches finished, by final status.", ["status"])
SITE_OUTCOMES = Counter(f"{PREFIX}_search_site_outcomes", "Site scrapes finished, by site and outcome reason.", ["site", "reason"])
SCRAPE_SECONDS = Histogram(f"{PREFIX}_scrape_duration_seconds", "Time one site's scrape took, by site.", ["site"], buckets=_SCRAPE_BUCKETS)
WEBHOOKS = Counter(f"{PREFIX}_webhook_events", "Stripe webhook events, by event type and outcome (failed: a 5xx).", ["type", "outcome"])
MAILS = Counter(f"{PREFIX}_mails", "Mails, by outcome: sent, failed, or outbox (no SMTP server set).", ["outcome"])
# The database's own (db.py sits below infra, so it keeps them): read routing to the replica;
# and infra.redis_health's: calls answered without Redis.
REPLICA_FALLBACKS, DATABASE_READS = db.REPLICA_FALLBACKS, db.DATABASE_READS
REDIS_FALLBACKS = redis_health.FALLBACKS
JOB_SECONDS = Histogram(
    f"{PREFIX}_queue_job_duration_seconds", "Time from a queued job's start to its end, by queue and function.", ["queue", "function"]
)
# Per worker process (a pid label in multiprocess mode): what the CPU and memory alerts read.
WORKER_CPU = Gauge(f"{PREFIX}_worker_cpu_seconds", "CPU seconds used by this worker process.", multiprocess_mode="all")
WORKER_MEMORY = Gauge(f"{PREFIX}_worker_resident_memory_bytes", "Resident memory of this worker process.", multiprocess_mode="all")

# Series read at scrape time (see register_scrape_source) and the host figures.
SCRAPED = {
    f"{PREFIX}_users": "Accounts that exist (sign-ups to date).",
    f"{PREFIX}_active_subscriptions": "Subscriptions Stripe says are active or trialing, by plan.",
    f"{PREFIX}_licenses": "Licenses, by status.",
    f"{PREFIX}_mrr_dollars": "Monthly recurring revenue from active subscriptions (yearly ones / 12), by currency.",
    f"{PREFIX}_queue_depth": "Jobs waiting in the queue, by queue.",
    f"{PREFIX}_board_blocked": "1 when a job board blocked its recent searches and is being skipped, by site.",
    f"{PREFIX}_dependency_up": "1 when a dependency answers (database, replica, redis), by name.",
    f"{PREFIX}_host_cpu_busy_ratio": "Share of the host's CPU time busy since the previous scrape (0-1).",
    f"{PREFIX}_host_memory_used_ratio": "Share of the host's memory in use (1 - MemAvailable/MemTotal).",
}
NAMES: frozenset[str] = frozenset(
    {
        *(f"{REQUEST_SECONDS._name}_{suffix}" for suffix in ("bucket", "sum", "count")),
        *(f"{SCRAPE_SECONDS._name}_{suffix}" for suffix in ("bucket", "sum", "count")),
        *(f"{JOB_SECONDS._name}_{suffix}" for suffix in ("bucket", "sum", "count")),
        *(
            f"{counter._name}_total"
            for counter in (
                VALIDATIONS,
                RATE_LIMIT_REFUSALS,
                SEARCHES,
                SITE_OUTCOMES,
                WEBHOOKS,
                MAILS,
                REPLICA_FALLBACKS,
                DATABASE_READS,
                REDIS_FALLBACKS,
            )
        ),
        WORKER_CPU._name,
        WORKER_MEMORY._name,
        *SCRAPED,
        f"{PREFIX}_scrape_source_up",
    }
)


def observe_request(route: str, method: str, status: int, seconds: float) -> None:
    _request_histogram(route, method, status).observe(seconds)
    if status == 429:
        RATE_LIMIT_REFUSALS.labels(route).inc()
    _refresh_worker_figures()


# Every request and every license answer: labels() costs ~10 us a call, the kept child none.
@lru_cache(maxsize=1024)  # routes are templates, so the combinations are few
def _request_histogram(route: str, method: str, status: int) -> Any:
    return REQUEST_SECONDS.labels(route, method, str(status))


@lru_cache(maxsize=64)
def _validation_counter(code: str, cache: str) -> Any:
    return VALIDATIONS.labels(code, cache)


def count_validation(code: str, *, cache_hit: bool) -> None:
    _validation_counter(code, "hit" if cache_hit else "miss").inc()


def count_rate_limit_refusal(route: str) -> None:
    RATE_LIMIT_REFUSALS.labels(route).inc()


def count_search(status: str) -> None:
    SEARCHES.labels(status).inc()


def count_site_outcome(site: str, reason: str, seconds: float | None = None) -> None:
    SITE_OUTCOMES.labels(site, reason).inc()
    if seconds is not None:
        SCRAPE_SECONDS.labels(site).observe(seconds)


def count_webhook(event_type: str, outcome: str) -> None:
    WEBHOOKS.labels(event_type, outcome).inc()


def count_mail(outcome: str) -> None:
    MAILS.labels(outcome).inc()


def observe_job(queue: str, function: str, seconds: float) -> None:
    JOB_SECONDS.labels(queue, function).observe(seconds)


# --- worker figures, refreshed at most once a second per worker ----------------------------

_last_refresh = 0.0


def _refresh_worker_figures() -> None:
    global _last_refresh
    now = time.monotonic()
    if now - _last_refresh < 1.0:
        return
    _last_refresh = now
    usage = resource.getrusage(resource.RUSAGE_SELF)
    WORKER_CPU.set(usage.ru_utime + usage.ru_stime)
    WORKER_MEMORY.set(_resident_bytes())


def _resident_bytes() -> int:
    try:
        with open("/proc/self/statm") as statm:
            return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")
    except OSError:  # not Linux: the peak, which is what getrusage knows
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


# --- figures read at scrape time ------------------------------------------------------------


@dataclass
class ScrapeFigure:
    """One sample of a SCRAPED series."""

    name: str
    value: float
    labels: dict[str, str] = field(default_factory=dict)


_sources: dict[str, Callable[[], Iterable[ScrapeFigure]]] = {}
_sources_lock = threading.Lock()


def register_scrape_source(name: str, source: Callable[[], Iterable[ScrapeFigure]]) -> None:
    """Have every scrape call `source()` for its figures (a source that fails is skipped
    and reported as jobspy_scrape_source_up{source=name} 0). Registering a name again replaces it."""
    with _sources_lock:
        _sources[name] = source


class _ScrapeTimeCollector(Collector):
    def collect(self) -> Iterable[Metric]:
        families: dict[str, GaugeMetricFamily] = {}
        health = GaugeMetricFamily(f"{PREFIX}_scrape_source_up", "1 when a scrape-time source answered.", labels=["source"])
        with _sources_lock:
            sources = list(_sources.items())
        for source_name, source in [("host", _host_figures), *sources]:
            try:
                figures = list(source())
            except Exception:
                health.add_metric([source_name], 0)
                continue
            health.add_metric([source_name], 1)
            for figure in figures:
                family = families.get(figure.name)
                if family is None:
                    family = families[figure.name] = GaugeMetricFamily(
                        figure.name, SCRAPED.get(figure.name, figure.name), labels=sorted(figure.labels)
                    )
                family.add_metric([figure.labels[label] for label in sorted(figure.labels)], figure.value)
        yield from families.values()
        yield health


_previous_cpu: tuple[float, float] | None = None


def _host_figures() -> Iterable[ScrapeFigure]:
    global _previous_cpu
    with open("/proc/stat") as stat:
        fields = [float(part) for part in stat.readline().split()[1:]]
    idle, total = fields[3] + fields[4], sum(fields[:8])
    previous, _previous_cpu = _previous_cpu, (idle, total)
    if previous is not None and total > previous[1]:
        yield ScrapeFigure(f"{PREFIX}_host_cpu_busy_ratio", 1 - (idle - previous[0]) / (total - previous[1]))
    meminfo: dict[str, float] = {}
    with open("/proc/meminfo") as lines:
        for line in lines:
            name, _, rest = line.partition(":")
            meminfo[name] = float(rest.split()[0])
    if meminfo.get("MemTotal"):
        yield ScrapeFigure(f"{PREFIX}_host_memory_used_ratio", 1 - meminfo["MemAvailable"] / meminfo["MemTotal"])


_SCRAPE_TIME = _ScrapeTimeCollector()


def render() -> bytes:
    """The text exposition of every series: all workers' (multiprocess) or this one's."""
    _refresh_worker_figures()
    if not multiprocess_dir():
        return generate_latest(REGISTRY)
    registry = CollectorRegistry()  # a fresh one per scrape, as prometheus-client advises
    multiprocess.MultiProcessCollector(registry)
    registry.register(_SCRAPE_TIME)
    return generate_latest(registry)


if not multiprocess_dir():
    REGISTRY.register(_SCRAPE_TIME)
