"""Rate limits through the `limits` library: Redis when configured, memory otherwise."""

from __future__ import annotations

import math
import time
from collections.abc import Awaitable, Callable, Sequence
from contextvars import ContextVar
from functools import lru_cache, wraps
from typing import Any, NamedTuple

from limits import RateLimitItem, parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter
from redis.asyncio.retry import Retry
from redis.backoff import NoBackoff

from jobspy_web.infra import cache, redis_health
from jobspy_web.infra.redis_scripts import HotScript
from jobspy_web.settings import from_settings, get_settings

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


@from_settings
def _limiter() -> SlidingWindowCounterRateLimiter:
    url = get_settings().limits_redis_url  # REDIS_LIMITS_URL, else REDIS_URL
    # One retry at once (a pooled connection a Redis restart left dead), then the memory
    # fallback below: never seconds of backoff on a request.
    options: dict[str, Any] = {"socket_timeout": 2, "socket_connect_timeout": 1, "retry": Retry(NoBackoff(), 1)}
    storage: Storage = (
        RedisStorage("async+" + url, implementation="redispy", key_prefix="jobspy-limits", **options) if url else MemoryStorage()
    )
    # A sliding-window counter: two counters per key, one cheap script per hit, and no
    # burst at window edges; the moving window's exact log cost ~8x more per request.
    return SlidingWindowCounterRateLimiter(storage)


# Without Redis (down, or just dropped) every limit counts in this process instead: a
# budget per worker rather than none at all (infra.redis_health says why and counts it).
_counting_in_memory: ContextVar[bool] = ContextVar("counting_in_memory", default=False)


@from_settings
def _memory_limiter() -> SlidingWindowCounterRateLimiter:
    return SlidingWindowCounterRateLimiter(MemoryStorage())


def _active_limiter() -> SlidingWindowCounterRateLimiter:
    limiter = _limiter()
    if _counting_in_memory.get() or (not redis_health.usable("rate_limits") and isinstance(limiter.storage, RedisStorage)):
        if not _counting_in_memory.get():
            redis_health.used_fallback("rate_limits")
        return _memory_limiter()
    return limiter


Result = Any


def _falls_back_to_memory(function: Callable[..., Awaitable[Result]]) -> Callable[..., Awaitable[Result]]:
    """Run `function`; when Redis fails under it, run it again counting in this process."""

    @wraps(function)
    async def counted(*args: Any, **kwargs: Any) -> Result:
        try:
            return await function(*args, **kwargs)
        except redis_health.REDIS_ERRORS as error:
            if _counting_in_memory.get():
                raise
            redis_health.failed("rate_limits", error)
        token = _counting_in_memory.set(True)
        try:
            return await function(*args, **kwargs)
        finally:
            _counting_in_memory.reset(token)

    return counted


@_falls_back_to_memory
async def hit(limit: str, *identifiers: str) -> Verdict:
    """Count one request against `limit` (e.g. "60/minute") for these identifiers."""
    item = _parsed(limit)
    limiter = _active_limiter()
    if await limiter.hit(item, *identifiers):
        return ALLOWED  # the hot path: one round trip, no window statistics
    return await _refused(limiter, item, identifiers)


@_falls_back_to_memory
async def hit_each(checks: Sequence[Check], *, then_get: Sequence[str] = ()) -> tuple[Verdict, list[Any | None]]:
    """Count one request against each check in turn, stopping at the first that refuses
    (the later ones are then not counted), like calling hit() for each.

    When all allow, the infra.cache keys `then_get` are read too, as cache.get_cache().get
    would read them; otherwise they are not read and Nones come back in their place. With
    Redis, all of it is one round trip: the License Server's cache hit pays one in all.
    """
    limiter = _active_limiter()
    storage = limiter.storage
    unread: list[Any | None] = [None] * len(then_get)
    if not isinstance(storage, RedisStorage):
        for check in checks:
            item = _parsed(check.limit)
            if not await limiter.hit(item, *check.identifiers):
                return await _refused(limiter, item, check.identifiers), unread
        return ALLOWED, [cache.get_cache().get(key) for key in then_get]
    if then_get and get_settings().cache_redis_url != get_settings().limits_redis_url:
        # The cache lives in another Redis (REDIS_CACHE_URL): its keys are read there, after.
        verdict, _ = await hit_each(checks)
        return verdict, ([cache.get_cache().get(key) for key in then_get] if verdict.allowed else unread)
    keys, arguments = [], [int(time.time() * 1000)]
    for check in checks:
        item = _parsed(check.limit)
        keys.append(_EACH_PREFIX + check.limit + ":" + "/".join(check.identifiers))
        arguments += [item.amount, item.get_expiry()]
    keys += [cache.redis_key(key) for key in then_get]
    refused, retry_after_ms, payloads = await _each_script().future(keys, arguments)
    if refused:
        return Verdict(False, retry_after_s=max(1, math.ceil(retry_after_ms / 1000))), unread
    return ALLOWED, [cache.decode(payload) if payload is not None else None for payload in payloads or ()]


class Window(NamedTuple):
    """One limit's state after a hit, for RateLimit-* headers: `reset_s` until it has room again."""

    limit: int
    remaining: int
    reset_s: int
    allowed: bool


@_falls_back_to_memory
async def hit_windows(checks: Sequence[Check]) -> list[Window]:
    """Count one request against each check in turn, stopping at the first that refuses,
    and say where each counted window stands (the Premium API's RateLimit-* headers)."""
    limiter = _active_limiter()
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


async def _refused(limiter: SlidingWindowCounterRateLimiter, item: RateLimitItem, identifiers: Sequence[str]) -> Verdict:
    stats = await limiter.get_window_stats(item, *identifiers)
    return Verdict(False, retry_after_s=max(1, math.ceil(stats.reset_time - time.time())))


# hit_each's buckets in Redis: a sliding-window counter like `limits`' (a count per window,
# the previous window's weighted by how much of it still overlaps), written here because
# `limits` runs one script per check and reads its cache in another round trip; this is all
# of it in one: the License Server's cache hit pays one round trip in all (bench figures in
# infra/redis_scripts.py's docstring). Its own keys: these buckets are never hit() as well.
# KEYS: each check's bucket, then the keys to read; ARGV: now (ms), then each check's
# amount and window (s). Answers {refused check or 0, retry after (ms), values read}.
# Multi-key: fine on one Redis server, not on a cluster (the keys live in different slots).
_EACH_PREFIX = "jobspy-limits:each:"
_EACH_SCRIPT = """
local now_ms = tonumber(ARGV[1])
local checks = (#ARGV - 1) / 2
for check = 1, checks do
    local amount = tonumber(ARGV[2 * check])
    local window_ms = tonumber(ARGV[2 * check + 1]) * 1000
    local index = math.floor(now_ms / window_ms)
    local current_key = KEYS[check] .. ':' .. index
    local current = tonumber(redis.call('get', current_key) or '0')
    local previous = tonumber(redis.call('get', KEYS[check] .. ':' .. (index - 1)) or '0')
    local elapsed = now_ms - index * window_ms
    if previous * (window_ms - elapsed) / window_ms + current + 1 > amount then
        local wait = window_ms - elapsed  -- this window's count becomes the one that decays
        if current + 1 <= amount then  -- only the previous window's weight is in the way
            wait = math.ceil(window_ms - (amount - current - 1) * window_ms / previous) - elapsed
        end
        return {check, math.max(wait, 1), false}
    end
    if redis.call('incr', current_key) == 1 then  -- a new window's bucket: its expiry once
        redis.call('pexpire', current_key, 2 * window_ms)
    end
end
if #KEYS > checks then
    return {0, 0, redis.call('mget', unpack(KEYS, checks + 1))}
end
return {0, 0, false}
"""


@from_settings
def _each_script() -> HotScript:
    return HotScript(str(get_settings().limits_redis_url), _EACH_SCRIPT)


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
    _memory_limiter.cache_clear()
    _each_script.cache_clear()
