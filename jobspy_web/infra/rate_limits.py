"""Rate limits through the `limits` library: Redis when configured, memory otherwise."""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from functools import lru_cache
from typing import Any, NamedTuple

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from jobspy_web.infra import cache
from jobspy_web.infra.redis_scripts import HotScript
from jobspy_web.settings import get_settings

__all__ = [
    "LOGIN_PER_ACCOUNT",
    "LOGIN_PER_IP",
    "RESET_PER_IP",
    "SIGNUP_PER_IP",
    "TOKEN_EXCHANGE_PER_API_TOKEN",
    "TOKEN_EXCHANGE_PER_IP",
    "Check",
    "Verdict",
    "Window",
    "aclose",
    "hit",
    "hit_each",
    "hit_windows",
    "login_account_bucket",
    "reset_limiter",
]

# The sign-in doors. Browser sign-in and POST /auth/token count password guesses in the
# same LOGIN_PER_ACCOUNT bucket, so together they allow one budget. All windows are short:
# repeated failures are slowed down, never locked out for good.
SIGNUP_PER_IP = "10/hour"
LOGIN_PER_IP = "30/minute"
LOGIN_PER_ACCOUNT = "10/minute"
RESET_PER_IP = "5/minute"
TOKEN_EXCHANGE_PER_IP = "30/minute"
TOKEN_EXCHANGE_PER_API_TOKEN = "10/minute"


def login_account_bucket(email: str) -> tuple[str, str]:
    """The identifiers of an account's password-guess bucket, shared by both doors."""
    return ("login-account", email.strip().lower())


# NamedTuples, not frozen dataclasses: the License Server makes three per request, and
# a frozen dataclass costs ~1.5 µs each to build.
class Verdict(NamedTuple):
    allowed: bool
    retry_after_s: int = 0


ALLOWED = Verdict(True)


class Check(NamedTuple):
    """One request against `limit` (e.g. "60/minute") in the bucket named by `identifiers`."""

    limit: str
    identifiers: tuple[str, ...]


@lru_cache
def _limiter() -> SlidingWindowCounterRateLimiter:
    url = get_settings().redis_url
    storage: Storage = RedisStorage("async+" + url, implementation="redispy", key_prefix="jobspy-limits") if url else MemoryStorage()
    # A sliding-window counter: two counters per key, one cheap script per hit, and no
    # burst at window edges; the moving window's exact log cost ~8x more per request.
    return SlidingWindowCounterRateLimiter(storage)


async def hit(limit: str, *identifiers: str) -> Verdict:
    """Count one request against `limit` (e.g. "60/minute") for these identifiers."""
    item = _parsed(limit)
    limiter = _limiter()
    if await limiter.hit(item, *identifiers):
        return ALLOWED  # the hot path: one round trip, no window statistics
    return await _refused(limiter, item, identifiers)


async def hit_each(checks: Sequence[Check], *, then_get: Sequence[str] = ()) -> tuple[Verdict, list[Any | None]]:
    """Count one request against each check in turn, stopping at the first that refuses
    (the later ones are then not counted), like calling hit() for each.

    When all allow, the infra.cache keys `then_get` are read too, as cache.get_cache().get
    would read them; otherwise they are not read and Nones come back in their place. With
    Redis, all of it is one round trip: the License Server's cache hit pays one in all.
    """
    limiter = _limiter()
    storage = limiter.storage
    unread: list[Any | None] = [None] * len(then_get)
    if not isinstance(storage, RedisStorage):
        for check in checks:
            item = _parsed(check.limit)
            if not await limiter.hit(item, *check.identifiers):
                return await _refused(limiter, item, check.identifiers), unread
        return ALLOWED, [cache.get_cache().get(key) for key in then_get]
    keys, arguments = [], []
    for check in checks:
        head, tail, amount, expiry = _window_key_parts(storage, check.limit)
        keys.append(head + "/".join(check.identifiers) + tail)
        arguments += [amount, expiry]
    keys += [cache.redis_key(key) for key in then_get]
    refused, payloads = await _each_script().future(keys, arguments)
    if refused:
        check = checks[refused - 1]
        return await _refused(limiter, _parsed(check.limit), check.identifiers), unread
    return ALLOWED, [cache.decode(payload) if payload is not None else None for payload in payloads or ()]


class Window(NamedTuple):
    """One limit's state after a hit, for RateLimit-* headers: `reset_s` until it has room again."""

    limit: int
    remaining: int
    reset_s: int
    allowed: bool


async def hit_windows(checks: Sequence[Check]) -> list[Window]:
    """Count one request against each check in turn, stopping at the first that refuses,
    and say where each counted window stands (the Premium API's RateLimit-* headers)."""
    limiter = _limiter()
    windows = []
    for check in checks:
        item = _parsed(check.limit)
        allowed = await limiter.hit(item, *check.identifiers)
        stats = await limiter.get_window_stats(item, *check.identifiers)
        reset_s = max(1, math.ceil(stats.reset_time - time.time()))
        windows.append(Window(item.amount, stats.remaining, reset_s, allowed))
        if not allowed:
            break
    return windows


@lru_cache(maxsize=64)
def _window_key_parts(storage: RedisStorage, limit: str) -> tuple[str, str, int, int]:
    """How the storage names a limit's current window, as the text before and after the
    identifiers (so hit() and get_window_stats see the same counters; a test holds this to
    the pinned `limits` version), and the limit's amount and expiry."""
    item = _parsed(limit)
    marker = "\x00"
    name = storage.bridge.prefixed_key(storage._current_window_key(item.key_for(marker)))
    head, tail = name.split(marker)
    return head, tail, item.amount, item.get_expiry()


async def _refused(limiter: SlidingWindowCounterRateLimiter, item: RateLimitItem, identifiers: Sequence[str]) -> Verdict:
    stats = await limiter.get_window_stats(item, *identifiers)
    return Verdict(False, retry_after_s=max(1, math.ceil(stats.reset_time - time.time())))


# The library's own sliding-window script, once per check, then an MGET: redis-py would
# spend a round trip per script (or, pipelined, one more to check the scripts are loaded).
# KEYS: each check's current window (the previous one is named after it), then the keys
# to read; ARGV: each check's amount and expiry.
# Multi-key: fine on one Redis server, not on a cluster (the keys live in different slots).
_EACH_SCRIPT = """
local function acquire(KEYS, ARGV)
%s
end
local checks = #ARGV / 2
for check = 1, checks do
    local current = KEYS[check]
    if not acquire({current .. '/-1', current}, {ARGV[2 * check - 1], ARGV[2 * check], 1}) then
        return {check, false}
    end
end
if #KEYS > checks then
    return {0, redis.call('mget', unpack(KEYS, checks + 1))}
end
return {0, false}
"""


@lru_cache
def _each_script() -> HotScript:
    from limits.aio.storage.redis.bridge import RedisBridge

    acquire: Any = RedisBridge.SCRIPT_ACQUIRE_SLIDING_WINDOW
    source = _EACH_SCRIPT % (acquire.decode() if isinstance(acquire, bytes) else acquire)
    return HotScript(str(get_settings().redis_url), source)


_parsed = lru_cache(maxsize=64)(parse)


async def aclose() -> None:
    """Close the running event loop's Redis connections (tests; a worker's end with it)."""
    if _limiter.cache_info().currsize and isinstance(storage := _limiter().storage, RedisStorage):
        await storage.bridge.storage.aclose()  # type: ignore[attr-defined]
    if _each_script.cache_info().currsize:
        await _each_script().aclose()


def reset_limiter() -> None:
    """Forget the limiter (tests switch between memory and Redis)."""
    _limiter.cache_clear()
    _each_script.cache_clear()
    _window_key_parts.cache_clear()
