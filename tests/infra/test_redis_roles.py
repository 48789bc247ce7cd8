"""Redis by role: REDIS_LIMITS_URL and REDIS_CACHE_URL each default to REDIS_URL; given apart,
rate limits count in one Redis and license answers are cached in the other, and a cache hit
still answers (read from the cache's Redis after the limits')."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time

import httpx
import pytest
import redis
from db_helpers import close_loop_connections
from prometheus_client import REGISTRY
from redis_helpers import redis_test_url

from jobspy_web.api.app import build_api
from jobspy_web.db import write_session
from jobspy_web.licensing import keys, licenses
from jobspy_web.settings import get_settings, reset_process_state

CACHE_URL = redis_test_url(7)  # operations' DB


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def limits_redis():
    """A redis-server of this test's own, for the limits."""
    port = free_port()
    server = subprocess.Popen(
        [shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
    )
    client = redis.Redis(port=port)
    for _ in range(100):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            time.sleep(0.05)
    yield f"redis://127.0.0.1:{port}/0", client
    server.terminate()
    server.wait(timeout=10)


def test_each_role_defaults_to_redis_url(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/7")
    monkeypatch.setenv("REDIS_LIMITS_URL", "redis://10.0.0.2:6379/0")
    reset_process_state()
    settings = get_settings()
    assert settings.cache_redis_url == settings.state_redis_url == "redis://127.0.0.1:6379/7"
    assert settings.limits_redis_url == "redis://10.0.0.2:6379/0"


async def test_limits_and_cached_answers_live_in_their_own_redis(db, limits_redis, monkeypatch):
    limits_url, limits_client = limits_redis
    cache_client = redis.Redis.from_url(CACHE_URL)
    cache_client.flushdb()
    monkeypatch.setenv("REDIS_URL", CACHE_URL)
    monkeypatch.setenv("REDIS_LIMITS_URL", limits_url)
    reset_process_state()
    with write_session() as session:
        key = licenses.issue_license(session=session, license_type="pro", pending_email="roles@example.com").key
    body = {"license_key": key, "hardware_fp": "e" * 64, "app_version": "1.0.0"}
    hits = REGISTRY.get_sample_value("jobspy_license_validations_total", {"code": "VALID", "cache": "hit"}) or 0
    try:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url="http://testserver") as client:
            for _ in range(3):
                answer = await client.post("/licenses/validate", json=body)
                assert answer.status_code == 200 and answer.json()["valid"] is True
    finally:
        await close_loop_connections()
    assert (REGISTRY.get_sample_value("jobspy_license_validations_total", {"code": "VALID", "cache": "hit"}) or 0) - hits == 2
    limit_keys = [name.decode() for name in limits_client.keys("*")]
    cache_keys = [name.decode() for name in cache_client.keys("*")]
    # This test's own keys (DB 7 may hold a concurrent bench's): its client is 127.0.0.1.
    ours = "license-ip/127.0.0.1:"
    assert any(ours in name for name in limit_keys) and not any(ours in name for name in cache_keys)
    answer_group = f"license:{keys.hash_key(key)}"
    assert any(answer_group in name for name in cache_keys) and not any("license:" in name for name in limit_keys)
