"""The proxy pool: a proxy that keeps failing for a board is set aside for a while, recovers
on its first success, and a board is never left without a proxy. Same rules in memory and
in Redis (DB 15; only this module's keys are touched, other tests may share the server)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import redis
from redis_helpers import redis_test_url

from jobspy_web.infra.cache import MemoryCache, RedisCache, get_cache
from jobspy_web.search import proxy_pool
from jobspy_web.settings import reset_process_state

REDIS_TEST_URL = redis_test_url(15)
NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)


@pytest.fixture(params=["memory", "redis"])
def cache(request, monkeypatch):
    monkeypatch.setenv("REDIS_URL", REDIS_TEST_URL if request.param == "redis" else "")
    reset_process_state()
    chosen = get_cache()
    assert isinstance(chosen, RedisCache if request.param == "redis" else MemoryCache)
    yield chosen
    if request.param == "redis":
        chosen._client.close()  # type: ignore[attr-defined]
        _forget_pool_keys()


def _forget_pool_keys() -> None:
    client = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        keys = list(client.scan_iter("jobspy:proxy_pool:*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


@pytest.fixture
def proxies() -> list[str]:
    """Three proxies no other test uses, one with credentials (as JOBSPY_PROXIES may have them)."""
    tag = uuid.uuid4().hex[:8]
    return [f"http://ada:s3cret-{tag}@{tag}.one.example:8080", f"{tag}.two.example:3128", f"socks5://{tag}.three.example:1080"]


def minutes(n: float) -> datetime:
    return NOW + timedelta(minutes=n)


def test_a_proxy_failing_three_requests_without_success_is_set_aside_for_that_board_only(cache, proxies):
    first, second, third = proxies
    proxy_pool.record("linkedin", {first: (0, 2), second: (5, 0)}, now=minutes(0))
    assert proxy_pool.usable("linkedin", proxies, now=minutes(1)) == proxies  # two failures: not yet

    proxy_pool.record("linkedin", {first: (0, 1), second: (4, 1), third: (0, 0)}, now=minutes(2))

    assert proxy_pool.usable("linkedin", proxies, now=minutes(3)) == [second, third]
    assert proxy_pool.usable("indeed", proxies, now=minutes(3)) == proxies
    assert proxy_pool.usable("linkedin", proxies, now=minutes(2 + 10.5)) == proxies  # 10 min passed


def test_one_success_in_between_forgets_the_failures(cache, proxies):
    first = proxies[0]
    proxy_pool.record("indeed", {first: (0, 2)}, now=minutes(0))
    proxy_pool.record("indeed", {first: (1, 2)}, now=minutes(1))
    proxy_pool.record("indeed", {first: (0, 2)}, now=minutes(2))
    assert proxy_pool.usable("indeed", proxies, now=minutes(3)) == proxies


def test_set_aside_again_doubles_up_to_an_hour_and_a_success_resets_it(cache, proxies):
    first = proxies[0]
    at = 0.0
    for expected in (10, 20, 40, 60, 60):
        proxy_pool.record("glassdoor", {first: (0, 3)}, now=minutes(at))
        assert first not in proxy_pool.usable("glassdoor", proxies, now=minutes(at + expected - 0.5)), expected
        assert first in proxy_pool.usable("glassdoor", proxies, now=minutes(at + expected + 0.5)), expected
        at += expected + 1

    proxy_pool.record("glassdoor", {first: (2, 0)}, now=minutes(at))
    proxy_pool.record("glassdoor", {first: (0, 3)}, now=minutes(at + 1))
    assert first in proxy_pool.usable("glassdoor", proxies, now=minutes(at + 1 + 10.5))  # back to 10 min


def test_when_every_proxy_is_set_aside_all_are_used(cache, proxies):
    proxy_pool.record("zip_recruiter", {proxy: (0, 5) for proxy in proxies}, now=minutes(0))
    assert proxy_pool.usable("zip_recruiter", proxies, now=minutes(1)) == proxies
    assert proxy_pool.usable("zip_recruiter", [], now=minutes(1)) == []


def test_status_shows_host_and_port_never_credentials(cache, proxies):
    first, second, _third = proxies
    proxy_pool.record("linkedin", {first: (0, 3), second: (7, 1)}, now=minutes(0))
    proxy_pool.record("indeed", {first: (4, 0), second: (0, 1)}, now=minutes(0))

    report = proxy_pool.status(proxies, now=minutes(1))

    tag = first.split("@")[1].split(".")[0]
    assert [health.proxy for health in report] == [f"{tag}.one.example:8080", f"{tag}.two.example:3128", f"{tag}.three.example:1080"]
    one, two, three = report
    assert [(site.site, site.ok, site.failed, site.state) for site in one.sites] == [
        ("indeed", 4, 0, "working"),
        ("linkedin", 0, 3, "set aside"),
    ]
    assert one.sites[1].set_aside_until == minutes(10)
    assert [(site.site, site.state) for site in two.sites] == [("indeed", "failing"), ("linkedin", "working")]
    assert three.sites == []
    assert "s3cret" not in str([health.as_json() for health in report])

    later = proxy_pool.status(proxies, now=minutes(11))[0]
    assert [(site.site, site.state, site.set_aside_until) for site in later.sites] == [
        ("indeed", "working", None),
        ("linkedin", "on trial", None),
    ]


def test_credentials_never_become_cache_key_names(cache, proxies):
    proxy_pool.record("linkedin", {proxies[0]: (0, 1)}, now=minutes(0))
    if isinstance(cache, RedisCache):
        names = [key.decode() for key in cache._client.scan_iter("jobspy:proxy_pool:*")]
    else:
        names = list(cache._entries)
    assert names and not any("s3cret" in name or "example" in name for name in names)


@pytest.mark.parametrize(
    ("configured", "shown"),
    [
        ("http://user:pa:ss@proxy.example:8080", "proxy.example:8080"),
        ("user:pass@10.0.0.1:3128", "10.0.0.1:3128"),
        ("socks5://10.0.0.2:1080/", "10.0.0.2:1080"),
        ("localhost", "localhost"),
    ],
)
def test_display_name_keeps_only_host_and_port(configured, shown):
    assert proxy_pool.display_name(configured) == shown
