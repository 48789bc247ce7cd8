"""Degrade, don't fail: what the app does while Redis is down or has just dropped.

The cache and the rate limits use Redis when it is configured. When a call fails with a
connection error or a timeout, the caller falls back (the cache reads as a miss and skips
its writes, so license answers come from the database uncached; the rate limits count in
this process, per worker) and notes it here. Redis is then left alone for COOL_OFF_S, so
an outage costs each request nothing more than the fallback, and a warning is logged at
most once every WARN_EVERY_S per component. `FALLBACKS` counts the calls answered without
Redis (jobspy_redis_fallbacks_total{component}), for /metrics.
"""

from __future__ import annotations

import logging
import time

import redis.exceptions
from prometheus_client import Counter

from jobspy_web.settings import on_reset

__all__ = ["COOL_OFF_S", "FALLBACKS", "REDIS_ERRORS", "failed", "fallback_counts", "forget", "usable", "used_fallback"]

log = logging.getLogger(__name__)

# A dropped or refused connection, a reset, a timeout (redis-py's own or asyncio's).
REDIS_ERRORS: tuple[type[BaseException], ...] = (
    redis.exceptions.ConnectionError,
    redis.exceptions.TimeoutError,
    ConnectionError,
    TimeoutError,
    OSError,
)
COOL_OFF_S = 1.0
WARN_EVERY_S = 10.0

FALLBACKS = Counter("jobspy_redis_fallbacks", "Calls answered without Redis (it was down or just dropped), by component.", ["component"])

_down_until: dict[str, float] = {}
_warned_at: dict[str, float] = {}


def usable(component: str) -> bool:
    """False for COOL_OFF_S after `component` saw Redis fail: go straight to the fallback."""
    until = _down_until.get(component)
    return until is None or time.monotonic() >= until


def used_fallback(component: str) -> None:
    FALLBACKS.labels(component=component).inc()


def failed(component: str, error: BaseException) -> None:
    """Redis just failed `component`: count it, leave Redis alone a moment, warn (rarely)."""
    now = time.monotonic()
    _down_until[component] = now + COOL_OFF_S
    used_fallback(component)
    if now - _warned_at.get(component, -WARN_EVERY_S) >= WARN_EVERY_S:
        _warned_at[component] = now
        log.warning("Redis unavailable for %s (%s); falling back until it answers again", component, type(error).__name__)


def fallback_counts() -> dict[str, int]:
    """Calls answered without Redis so far, by component (the operations helper exports these)."""
    counts: dict[str, int] = {}
    for metric in FALLBACKS.collect():
        for sample in metric.samples:
            if sample.name.endswith("_total"):
                counts[sample.labels["component"]] = int(sample.value)
    return counts


def forget() -> None:
    """Start over as if Redis had never failed: with new settings, Redis may be another."""
    _down_until.clear()
    _warned_at.clear()


on_reset(forget)
