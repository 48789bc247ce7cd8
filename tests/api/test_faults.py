"""Degrade, don't fail: Redis stopped mid-load and PostgreSQL backends terminated mid-load.

Each test runs bounded load (32 callers) on POST /licenses/validate through the app's own
ASGI stack and injects the fault part-way. The bar: 0 × 5xx on validate. Elsewhere the
only 5xx allowed is the documented 503 (code UNAVAILABLE, or /ready's), never a 500.

The Redis here is the test's own redis-server on a spare port, stopped and started again
by the test: never the shared one on 6379.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import socket
import subprocess
import time
from collections import Counter
from collections.abc import Iterator

import httpx
import pytest
import redis
import sqlalchemy as sa
from db_helpers import close_loop_connections, temporary_postgres_database, upgrade_to_head

from jobspy_web.accounts import api_tokens, users
from jobspy_web.api.app import build_api
from jobspy_web.db import write_session
from jobspy_web.infra import redis_health
from jobspy_web.licensing import licenses
from jobspy_web.settings import reset_process_state

CALLERS = 32
PASSWORD = "correct horse battery"
pytestmark = pytest.mark.postgresql


def _spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class OwnRedis:
    """A redis-server of this test's own (no persistence), stopped and started at will."""

    def __init__(self) -> None:
        self.port = _spare_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        binary = shutil.which("redis-server")
        assert binary, "the fault tests need redis-server (apt-get install redis-server)"
        self.process = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                redis.Redis.from_url(self.url, socket_connect_timeout=0.2).ping()
                return
            except redis.exceptions.ConnectionError:
                time.sleep(0.05)
        raise AssertionError("our redis-server did not start")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(10)
            self.process = None


@pytest.fixture
def own_redis() -> Iterator[OwnRedis]:
    server = OwnRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def throwaway_postgres(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    with temporary_postgres_database("jobspy_faults") as url:
        upgrade_to_head(url)
        monkeypatch.setenv("DATABASE_URL", url)
        reset_process_state()
        yield url
        reset_process_state()


def _configure(monkeypatch: pytest.MonkeyPatch, redis_url: str = "") -> None:
    monkeypatch.setenv("REDIS_URL", redis_url)
    # The load is one client from one IP on one key: limits out of the way of the fault.
    monkeypatch.setenv("LICENSE_LIMIT_PER_IP", "1000000/minute")
    monkeypatch.setenv("LICENSE_LIMIT_PER_KEY", "1000000/minute")
    reset_process_state()  # redis_health forgets past failures with it


def _license_and_api_token() -> tuple[str, str]:
    with write_session() as session:
        issued = licenses.issue_license(session=session, license_type="pro", max_machines=1000)
        user = users.sign_up(session=session, email="faults@example.com", password=PASSWORD)
        created = api_tokens.create_api_token(session=session, user=user, name="load")
    assert issued.key is not None
    return issued.key, created.secret


async def _load(client: httpx.AsyncClient, key: str, seconds: float, *, fresh_machines: bool) -> Counter[int]:
    """CALLERS callers validating for `seconds`; the statuses seen. Fresh fingerprints make
    every request a database miss."""
    statuses: Counter[int] = Counter()
    deadline = time.monotonic() + seconds

    async def caller(number: int) -> None:
        sent = 0
        while time.monotonic() < deadline:
            sent += 1
            fingerprint = f"{number:04d}{sent:012d}".ljust(64, "f") if fresh_machines else "a" * 64
            answer = await client.post("/licenses/validate", json={"license_key": key, "hardware_fp": fingerprint, "app_version": "1.0.0"})
            statuses[answer.status_code] += 1

    await asyncio.gather(*(caller(number) for number in range(CALLERS)))
    return statuses


def _assert_documented(answer: httpx.Response) -> None:
    """Not a 500: a success, a 4xx, or the documented 503."""
    assert answer.status_code < 500 or (answer.status_code == 503 and answer.json()["code"] == "UNAVAILABLE"), answer.text


async def test_redis_stopped_mid_load_validate_answers_from_the_database(
    throwaway_postgres, own_redis: OwnRedis, monkeypatch, caplog: pytest.LogCaptureFixture
):
    _configure(monkeypatch, own_redis.url)
    key, api_token = _license_and_api_token()
    caplog.set_level(logging.WARNING, logger=redis_health.__name__)
    before = redis_health.fallback_counts().get("rate_limits", 0)
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url="http://testserver") as client:
        load = asyncio.create_task(_load(client, key, 4.0, fresh_machines=False))
        await asyncio.sleep(1.0)
        own_redis.stop()  # Redis gone mid-load
        await asyncio.sleep(0.3)
        ready = await client.get("/ready")
        assert ready.status_code == 503 and "redis" in ready.json()["down"]
        assert (await client.get("/health")).status_code == 200  # liveness: the process still serves
        _assert_documented(await client.post("/auth/token", json={"grant_type": "api_token", "api_token": api_token}))
        await asyncio.sleep(1.0)
        own_redis.start()  # back, empty; the pooled connections are stale
        statuses = await load
        assert (await client.get("/ready")).status_code == 200
        after_restart = await _load(client, key, 0.5, fresh_machines=False)
    await close_loop_connections()
    assert statuses[200] > 0 and all(status < 500 for status in statuses), statuses
    assert all(status < 500 for status in after_restart), after_restart
    assert redis_health.fallback_counts()["rate_limits"] > before  # the counter /metrics exports
    assert "Redis unavailable" in caplog.text  # and the warning, once, not per request
    assert caplog.text.count("Redis unavailable for rate_limits") <= 2


async def test_postgres_backends_terminated_mid_load_validate_never_answers_5xx(throwaway_postgres: str, monkeypatch):
    _configure(monkeypatch)  # no Redis: every validation is answered from the database
    key, _ = _license_and_api_token()
    admin = sa.create_engine(throwaway_postgres.rsplit("/", 1)[0] + "/postgres", isolation_level="AUTOCOMMIT")
    database = throwaway_postgres.rsplit("/", 1)[1]
    terminated = 0
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url="http://testserver") as client:
        load = asyncio.create_task(_load(client, key, 3.0, fresh_machines=True))
        for _ in range(4):
            await asyncio.sleep(0.5)
            with admin.connect() as connection:
                terminated += len(
                    connection.execute(
                        sa.text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name AND pid <> pg_backend_pid()"),
                        {"name": database},
                    ).all()
                )
        statuses = await load
        _assert_documented(await client.get("/ready"))
    await close_loop_connections()
    admin.dispose()
    assert terminated > 0  # the fault happened
    assert statuses[200] > 0 and all(status < 500 for status in statuses), statuses
