"""A real streaming replica: reads that may lag (history, analytics, a license validation that
missed the cache) are served by it, every write by the primary; reading your own write goes
to the primary; a replica lagging or down is skipped, counted in jobspy_replica_fallbacks_total.

Replay on the replica is paused to tell the two apart: a row written meanwhile exists on the
primary only, so whoever sees it read the primary.
"""

from __future__ import annotations

import asyncio
import time

import httpx
import pytest
import redis
import sqlalchemy as sa
from api_helpers import bearer
from db_helpers import clean_tables, close_loop_connections
from prometheus_client import REGISTRY
from redis_helpers import redis_test_url
from sqlalchemy import text

from jobspy_web.api.app import build_api
from jobspy_web.db import read_session, write_session
from jobspy_web.licensing import licenses
from jobspy_web.licensing import validate as validating
from jobspy_web.models import License
from jobspy_web.search import runner
from jobspy_web.search.params import SearchParams
from jobspy_web.settings import reset_process_state

REDIS_TEST_URL = redis_test_url(7)  # operations' DB
HERE = "d" * 64


def fallbacks(reason: str) -> float:
    return REGISTRY.get_sample_value("jobspy_replica_fallbacks_total", {"reason": reason}) or 0.0


@pytest.fixture
def cluster(replica_cluster, monkeypatch):
    """The app on the cluster: DATABASE_URL the primary, DATABASE_REPLICA_URL the replica,
    answers cached in Redis; tables emptied and the replica caught up before each test."""
    clean_tables(replica_cluster.primary_url)
    replica_cluster.wait_until_replayed()
    monkeypatch.setenv("DATABASE_URL", replica_cluster.primary_url.replace("+psycopg", ""))
    monkeypatch.setenv("DATABASE_REPLICA_URL", replica_cluster.replica_url.replace("+psycopg", ""))
    monkeypatch.setenv("DATABASE_REPLICA_MAX_LAG_SECONDS", "3600")  # paused replay is not "lag" unless a test says so
    monkeypatch.setenv("REDIS_URL", REDIS_TEST_URL)
    redis.Redis.from_url(REDIS_TEST_URL).flushdb()
    reset_process_state()
    yield replica_cluster
    reset_process_state()
    if not (replica_cluster.replica_dir / "postmaster.pid").exists():
        replica_cluster.start_replica()
    replica_cluster.resume_replay()


@pytest.fixture
async def api(cluster):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url="http://testserver") as client:
        yield client
    await close_loop_connections()


def served_by(session) -> int:
    return session.exec(text("SELECT inet_server_port()")).one()[0]


def new_search() -> str:
    with write_session() as session:
        return str(runner.create_search(session=session, params=SearchParams(search_term="replica probe")).id)


def history(*, fresh: bool = False) -> set[str]:
    with read_session(fresh=fresh) as session:
        return {str(search.id) for search in runner.recent_searches(session=session)}


def issue_key() -> str:
    with write_session() as session:
        issued = licenses.issue_license(session=session, license_type="pro", pending_email="buyer@example.com")
    assert issued.key is not None
    return issued.key


def revoke(key: str) -> None:
    with write_session() as session:
        licenses.revoke_license(session=session, license_id=licenses.find_license(session=session, reference=key).id)


async def validate(api: httpx.AsyncClient, key: str) -> dict:
    answer = await api.post("/licenses/validate", json={"license_key": key, "hardware_fp": HERE, "app_version": "1.0.0"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_reads_go_to_the_replica_writes_and_fresh_reads_to_the_primary(cluster):
    with read_session() as session:
        assert served_by(session) == cluster.replica_port
    with read_session(fresh=True) as session:
        assert served_by(session) == cluster.primary_port
    with write_session() as session:
        assert served_by(session) == cluster.primary_port


def test_history_is_read_from_the_replica_and_a_fresh_read_sees_its_own_write(cluster):
    cluster.pause_replay()
    search_id = new_search()
    assert search_id not in history()  # the replica has not replayed it: the read was there
    assert search_id in history(fresh=True)  # read-your-own-write: the primary
    cluster.resume_replay()
    cluster.wait_until_replayed()
    assert search_id in history()


async def test_analytics_for_a_scrape_are_read_from_the_replica(api, cluster):
    ports: list[int] = []

    def record(connection, _cursor, statement, *_arguments):
        if "FROM users" in statement or "FROM licenses" in statement:
            ports.append(connection.engine.url.port)

    sa.event.listen(sa.Engine, "before_cursor_execute", record)
    try:
        scraped = await api.get("/metrics")
    finally:
        sa.event.remove(sa.Engine, "before_cursor_execute", record)
    assert scraped.status_code == 200
    assert ports and set(ports) == {cluster.replica_port}


async def test_a_validation_miss_is_decided_on_the_replica_and_counted_on_the_primary(api, cluster):
    key = issue_key()
    cluster.wait_until_replayed()
    first = await validate(api, key)
    assert first["valid"] is True, first  # binds this machine: on the primary
    cluster.wait_until_replayed()
    cluster.pause_replay()
    revoke(key)  # on the primary; its answers' cache is invalidated
    # Still valid: the decision was read on the replica, which has not replayed the revoke,
    # and this answer is not cached (the replica is behind what it received).
    assert (await validate(api, key))["valid"] is True
    # Its count on the primary sees the revoke, and forgets any answer cached meanwhile.
    await asyncio.gather(*validating._counting)
    cluster.resume_replay()
    cluster.wait_until_replayed()
    refused = await validate(api, key)
    assert refused["valid"] is False and refused["code"] == "REVOKED"
    # Every validation was counted on the primary (after the answer: give it a moment).
    for _ in range(50):
        with read_session(fresh=True) as session:
            counted = session.get(License, licenses.find_license(session=session, reference=key).id).validation_count
        if counted == 3:
            break
        await asyncio.sleep(0.05)
    assert counted == 3
    asked = cluster.execute(
        cluster.replica_port, "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'jobspy-license-validate'"
    )
    assert asked[0][0] >= 1  # the miss pool holds its connection to the replica


async def test_a_lagging_replica_is_skipped_and_counted(api, cluster, monkeypatch):
    key = issue_key()
    cluster.wait_until_replayed()
    monkeypatch.setenv("DATABASE_REPLICA_MAX_LAG_SECONDS", "0.5")
    reset_process_state()
    cluster.pause_replay()
    revoke(key)
    time.sleep(1.2)  # the replica now trails the primary by more than 0.5 s
    before = fallbacks("lag")
    search_id = new_search()
    assert search_id in history()  # the primary answered
    refused = await validate(api, key)
    assert refused["valid"] is False and refused["code"] == "REVOKED"
    assert fallbacks("lag") - before >= 2


async def test_a_replica_down_falls_back_to_the_primary_and_is_counted(api, cluster):
    key = issue_key()
    cluster.wait_until_replayed()
    with read_session() as session:
        assert served_by(session) == cluster.replica_port  # pooled: the next read finds it gone
    cluster.stop_replica()
    before = fallbacks("down")
    with read_session() as session:
        assert served_by(session) == cluster.primary_port
    assert (await validate(api, key))["valid"] is True
    assert search_visible_after_write()
    assert fallbacks("down") - before >= 2


def search_visible_after_write() -> bool:
    return new_search() in history()


async def test_search_api_polls_are_read_on_the_replica_and_on_the_primary_once_it_is_down(api, cluster):
    ada = bearer("ada@example.com")
    started = await api.post("/api/searches", json={"search_term": "nurse", "site_name": ["indeed"], "results_wanted": 1}, headers=ada)
    assert started.status_code == 202, started.text
    search_id = started.json()["id"]
    cluster.wait_until_replayed()
    polled = await api.get(f"/api/searches/{search_id}", headers=ada)
    assert polled.status_code == 200 and polled.json()["id"] == search_id
    listed = await api.get("/api/searches", headers=ada)
    assert [each["id"] for each in listed.json()["searches"]] == [search_id]
    readers = "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'jobspy-api-reads'"
    assert cluster.execute(cluster.replica_port, readers)[0][0] >= 1  # read there, on the event loop
    cluster.stop_replica()
    before = fallbacks("down")
    polled = await api.get(f"/api/searches/{search_id}", headers=ada)
    assert polled.status_code == 200 and polled.json()["id"] == search_id
    assert fallbacks("down") - before >= 1
