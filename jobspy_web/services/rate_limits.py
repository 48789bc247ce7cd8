"""Rate limits through the `limits` library: Redis when configured, memory otherwise."""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from functools import lru_cache

from limits import parse
from limits.aio.storage import MemoryStorage, RedisStorage, Storage
from limits.aio.strategies import SlidingWindowCounterRateLimiter

from jobspy_web.settings import get_settings


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


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    retry_after_s: int = 0


@lru_cache
def _limiter() -> SlidingWindowCounterRateLimiter:
    url = get_settings().redis_url
    storage: Storage = (
        RedisStorage("async+" + url, implementation="redispy", key_prefix="jobspy-limits")
        if url
        else MemoryStorage()
    )
    # A sliding-window counter: two counters per key, one cheap script per hit, and no
    # burst at window edges; the moving window's exact log cost ~8x more per request.
    return SlidingWindowCounterRateLimiter(storage)


async def hit(limit: str, *identifiers: str) -> Verdict:
    """Count one request against `limit` (e.g. "60/minute") for these identifiers."""
    item = _parsed(limit)
    limiter = _limiter()
    if await limiter.hit(item, *identifiers):
        return Verdict(True)  # the hot path: one round trip, no window statistics
    stats = await limiter.get_window_stats(item, *identifiers)
    return Verdict(False, retry_after_s=max(1, math.ceil(stats.reset_time - time.time())))


_parsed = lru_cache(maxsize=64)(parse)


def reset_limiter() -> None:
    """Forget the limiter (tests switch between memory and Redis)."""
    _limiter.cache_clear()
