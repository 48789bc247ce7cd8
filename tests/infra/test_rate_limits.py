"""hit_each: every check counted in one Redis round trip (the License Server's limits), with
the same answers as the in-memory limiter of `limits` the embedded default uses."""

from __future__ import annotations

import uuid

import pytest
import redis
from redis_helpers import redis_test_url

from jobspy_web.infra import rate_limits
from jobspy_web.infra.rate_limits import Check
from jobspy_web.settings import reset_process_state

REDIS_TEST_URL = redis_test_url(10)


@pytest.fixture(params=["memory", "redis"])
async def limiter(request, monkeypatch):
    monkeypatch.setenv("REDIS_URL", REDIS_TEST_URL if request.param == "redis" else "")
    reset_process_state()
    yield request.param
    await rate_limits.aclose()


@pytest.fixture
async def redis_limiter(monkeypatch):
    monkeypatch.setenv("REDIS_URL", REDIS_TEST_URL)
    reset_process_state()
    yield
    await rate_limits.aclose()


def bucket() -> tuple[str, ...]:
    return ("test-bucket", uuid.uuid4().hex)


async def test_the_request_over_the_limit_is_refused_with_a_retry_after_within_the_window(limiter):
    check = Check("3/minute", bucket())
    answers = [(await rate_limits.hit_each([check]))[0] for _ in range(4)]
    assert [answer.allowed for answer in answers] == [True, True, True, False]
    assert 1 <= answers[-1].retry_after_s <= 60


async def test_a_refusal_by_the_second_check_still_counts_the_first(limiter):
    per_ip, per_key = Check("5/minute", bucket()), Check("1/minute", bucket())
    assert (await rate_limits.hit_each([per_ip, per_key]))[0].allowed
    assert not (await rate_limits.hit_each([per_ip, per_key]))[0].allowed
    for _ in range(3):  # two counted above: three more fill the per-IP bucket
        assert (await rate_limits.hit_each([per_ip]))[0].allowed
    assert not (await rate_limits.hit_each([per_ip]))[0].allowed


async def test_the_cache_keys_are_read_only_when_every_check_allows(limiter):
    if limiter == "redis":
        redis.Redis.from_url(REDIS_TEST_URL).set("jobspy:limits-test-entry", b'{"answer": 42}')
    else:
        from jobspy_web.infra.cache import get_cache

        reset_process_state()
        get_cache().set("limits-test-entry", {"answer": 42}, ttl_s=60)
    check = Check("1/minute", bucket())
    assert await rate_limits.hit_each([check], then_get=["limits-test-entry", "absent"]) == (rate_limits.ALLOWED, [{"answer": 42}, None])
    verdict, found = await rate_limits.hit_each([check], then_get=["limits-test-entry"])
    assert not verdict.allowed and found == [None]


async def test_the_previous_windows_count_weighs_on_the_next_window(redis_limiter, monkeypatch):
    """A sliding window (our script; the memory limiter is `limits`' own): a full bucket at the
    end of one minute still refuses at the start of the next, and lets requests through as
    the old minute slides out."""
    check = Check("4/minute", bucket())
    start = 1_800_000_000 // 60 * 60 + 59.0  # one second before a minute ends
    clock = [start]
    monkeypatch.setattr(rate_limits.time, "time", lambda: clock[0])
    for _ in range(4):
        assert (await rate_limits.hit_each([check]))[0].allowed
    clock[0] = start + 2  # one second into the next minute: ~97% of the old count still counts
    refused = (await rate_limits.hit_each([check]))[0]
    assert not refused.allowed and refused.retry_after_s >= 10
    clock[0] = start + 46  # three quarters of the old minute slid out: 4 × 0.25 = 1 counted
    assert (await rate_limits.hit_each([check]))[0].allowed


async def test_each_windows_bucket_expires_after_two_windows(redis_limiter):
    """The expiry is set by the window's first hit (the script skips it after): a bucket is
    never left without one, and later hits don't push it back."""
    check = Check("10/minute", bucket())
    client = redis.Redis.from_url(REDIS_TEST_URL)
    assert (await rate_limits.hit_each([check]))[0].allowed
    [key] = client.keys(f"*{check.identifiers[-1]}*")  # the one window's bucket
    first_ttl = client.pttl(key)
    assert 110_000 < first_ttl <= 120_000
    client.pexpire(key, 100_000)  # as if 20 s had passed
    for _ in range(3):
        assert (await rate_limits.hit_each([check]))[0].allowed
    assert int(client.get(key)) == 4 and 95_000 < client.pttl(key) <= 100_000
