"""Usage events: recorded off the request path in batches, nothing lost on stop, the same
dashboard figures from the primary database and from ClickHouse (chdb)."""

import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta

import httpx
import pytest
from db_helpers import close_loop_connections
from sqlmodel import select

from jobspy_web.accounts import jwt_tokens
from jobspy_web.api.app import build_api
from jobspy_web.core.tiers import Tier
from jobspy_web.db import read_session, write_session
from jobspy_web.infra.clickhouse import close_clickhouse
from jobspy_web.models import ApiUsage, User
from jobspy_web.models.user import Role
from jobspy_web.settings import reset_process_state
from jobspy_web.usage import UsageEvent, get_recorder, stop_recorder, usage_summary
from jobspy_web.usage.recorder import UsageRecorder
from jobspy_web.usage.store import write_events
from tests.api.test_premium_api import KEY_PEM

TODAY = date(2026, 12, 2)


def _event(**extra) -> UsageEvent:
    fields = {"endpoint": "/premium/salary-insights", "method": "GET", "status_code": 200, "response_time_ms": 10.0, **extra}
    return UsageEvent(**fields)


def test_events_are_written_in_batches_by_another_thread_and_the_rest_on_stop():
    batches, threads = [], set()

    def write(batch):
        batches.append(len(batch))
        threads.add(threading.current_thread().name)

    recorder = UsageRecorder(write, batch_size=100, flush_every_s=30)
    for _ in range(250):
        recorder.record(_event())
    deadline = time.monotonic() + 5
    while sum(batches) < 200 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert batches[:2] == [100, 100] and threads == {"usage-writer"}  # never the recording thread
    recorder.stop()
    assert sum(batches) == 250 and recorder.queued == 0  # the last 50 on stop: nothing lost


def test_a_flush_writes_what_was_queued_when_it_began_and_leaves_later_events_for_the_next():
    batches = []
    recorder = UsageRecorder(lambda batch: batches.append(len(batch)) or arrive_meanwhile(), batch_size=100, flush_every_s=30)

    def arrive_meanwhile():
        if len(batches) == 1:  # requests go on recording while the first batch is written
            for _ in range(5):
                recorder.record(_event())

    for _ in range(30):
        recorder.record(_event())
    assert recorder.flush() == 30
    assert batches == [30] and recorder.queued == 5  # not a batch of 5 right after: they wait
    recorder.stop()
    assert batches[:2] == [30, 5]


def test_a_failed_write_keeps_the_events_for_the_next_try(caplog):
    attempts = []

    def flaky(batch):
        attempts.append(len(batch))
        if len(attempts) == 1:
            raise ConnectionError("store restarting")

    recorder = UsageRecorder(flaky, batch_size=10, flush_every_s=30)
    for _ in range(5):
        recorder.record(_event())
    recorder.stop()
    assert attempts == [5, 5]
    assert recorder.queued == 0 and "kept for the next try" in caplog.text


def _events_for(user_id: uuid.UUID, other: uuid.UUID) -> list[UsageEvent]:
    noon = datetime.combine(TODAY, datetime.min.time(), UTC) + timedelta(hours=12)
    events = [_event(user_id=user_id, response_time_ms=float(ms), created_at=noon) for ms in range(1, 21)]  # 20 today
    events += [_event(user_id=user_id, status_code=429, response_time_ms=1.0, created_at=noon - timedelta(days=1))] * 3
    events += [
        UsageEvent(endpoint="/api/searches", method="POST", status_code=202, response_time_ms=50.0, user_id=user_id, created_at=noon),
        _event(user_id=other, created_at=noon),
        _event(user_id=user_id, created_at=noon - timedelta(days=40)),  # outside the 30 days
    ]
    return events


def _users() -> tuple[uuid.UUID, uuid.UUID]:
    with write_session() as session:
        first, second = User(email=f"{uuid.uuid4().hex[:6]}@example.com"), User(email=f"{uuid.uuid4().hex[:6]}@example.com")
        session.add_all([first, second])
    return first.id, second.id


def _check_summary(user_id: uuid.UUID, other: uuid.UUID) -> tuple[dict, dict]:
    mine = usage_summary(user_id=user_id, today=TODAY, endpoint_prefix="/premium/")
    assert mine["calls"] == 24 and mine["calls_today"] == 20 and len(mine["per_day"]) == 30
    assert mine["per_day"][-1] == {"day": "2026-12-02", "calls": 21, "errors": 0}
    assert mine["per_day"][-2] == {"day": "2026-12-01", "calls": 3, "errors": 3}
    premium = next(row for row in mine["by_endpoint"] if row["endpoint"] == "/premium/salary-insights")
    assert premium == {"endpoint": "/premium/salary-insights", "calls": 23, "errors": 3, "p95_ms": 18.9}  # 1..20 ms and three of 1 ms
    assert "top_users" not in mine
    everyone = usage_summary(user_id=None, today=TODAY)
    assert everyone["calls"] == 25 and everyone["top_users"][0] == {"user_id": str(user_id), "calls": 24}
    return mine, everyone


def test_the_dashboard_figures_from_the_primary_database(db):
    user_id, other = _users()
    write_events(_events_for(user_id, other))
    _check_summary(user_id, other)


def test_each_event_is_stored_field_for_field(db):
    # PostgreSQL takes the batch by COPY, SQLite by an INSERT: the same row either way.
    user_id, _ = _users()
    moment = datetime(2026, 12, 2, 9, 30, 15, 123456, tzinfo=UTC)
    event = UsageEvent(endpoint="/api/searches/{search_id}", method="GET", status_code=404, response_time_ms=2.5, user_id=user_id,
                       request_size_bytes=12, response_size_bytes=345, client_ip="2001:db8::1", created_at=moment)  # fmt: skip
    write_events([event, _event(client_ip=None)])
    with read_session() as session:
        rows = session.exec(select(ApiUsage).order_by(ApiUsage.created_at)).all()
    assert len(rows) == 2 and len({row.id for row in rows}) == 2
    stored = rows[0]
    assert (stored.endpoint, stored.method, stored.status_code, stored.response_time_ms, stored.user_id, stored.license_id) == (
        "/api/searches/{search_id}", "GET", 404, 2.5, user_id, None
    )  # fmt: skip
    assert (stored.request_size_bytes, stored.response_size_bytes, stored.client_ip) == (12, 345, "2001:db8::1")
    assert stored.created_at.astimezone(UTC) == moment and stored.extra_metadata == {}
    assert rows[1].client_ip is None and rows[1].endpoint == "/premium/salary-insights"


def test_clickhouse_gives_the_dashboard_the_same_figures(db, tmp_path, monkeypatch):
    user_id, other = _users()
    events = _events_for(user_id, other)
    write_events(events)
    on_primary = _check_summary(user_id, other)
    monkeypatch.setenv("CLICKHOUSE_URL", f"chdb://{tmp_path / 'clickhouse'}")
    reset_process_state()
    close_clickhouse()
    try:
        write_events(events)
        assert _check_summary(user_id, other) == on_primary
    finally:
        close_clickhouse()


@pytest.fixture
async def api(db, monkeypatch):
    monkeypatch.setenv("JWT_PRIVATE_KEY", KEY_PEM)
    reset_process_state()
    stop_recorder()
    transport = httpx.ASGITransport(app=build_api(), client=("198.51.100.4", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
    stop_recorder()
    await close_loop_connections()
    reset_process_state()


async def test_premium_and_search_api_calls_are_logged_with_who_what_and_how_long(api):
    with write_session() as session:
        user = User(email="logged@example.com", role=Role.PRO)
        session.add(user)
    token = jwt_tokens.issue_access_token(user=user, tier=Tier.PRO).token
    headers = {"Authorization": f"Bearer {token}"}
    premium = await api.get("/premium/salary-insights", params={"title": "nurse"}, headers=headers)
    searches = await api.get("/api/searches", headers=headers)
    refused = await api.get("/premium/salary-insights", params={"title": "nurse", "bogus": "1"}, headers=headers)
    anonymous = await api.get("/api/searches")
    assert (premium.status_code, searches.status_code, refused.status_code, anonymous.status_code) == (200, 200, 422, 401)
    assert get_recorder().queued == 4  # queued, not yet written: off the request path
    stop_recorder()
    with read_session() as session:
        rows = session.exec(select(ApiUsage).order_by(ApiUsage.created_at)).all()
    assert [(row.endpoint, row.method, row.status_code) for row in rows] == [
        ("/premium/salary-insights", "GET", 200),
        ("/api/searches", "GET", 200),
        ("/premium/salary-insights", "GET", 422),
        ("/api/searches", "GET", 401),
    ]
    assert [row.user_id for row in rows] == [user.id, user.id, user.id, None]
    assert rows[0].response_size_bytes == len(premium.content) and rows[0].response_time_ms > 0
    assert rows[0].client_ip == "198.51.100.4"
