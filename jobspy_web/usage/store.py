"""Where usage events go and how the dashboard reads them back.

ClickHouse when CLICKHOUSE_URL is set (its own api_usage table), else the primary
database's api_usage. The dashboard asks the same questions of either: calls and errors
per day, calls, errors and p95 latency per endpoint, calls today, and the top users.
"""

from __future__ import annotations

import operator
import os
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

import numpy as np
from sqlalchemy import Engine, insert, select

from jobspy_web.db import primary_engine, replica_engine
from jobspy_web.infra.clickhouse import ClickHouse, get_clickhouse
from jobspy_web.models import ApiUsage
from jobspy_web.usage.events import UsageEvent

__all__ = ["ensure_clickhouse_tables", "usage_summary", "write_events"]

_COLUMNS = (
    "user_id", "license_id", "endpoint", "method", "status_code", "response_time_ms",
    "request_size_bytes", "response_size_bytes", "client_ip", "created_at",
)  # fmt: skip
CLICKHOUSE_USAGE_TABLE = """
CREATE TABLE IF NOT EXISTS api_usage (
    user_id Nullable(UUID), license_id Nullable(UUID), endpoint LowCardinality(String), method LowCardinality(String),
    status_code UInt16, response_time_ms Float64, request_size_bytes UInt64, response_size_bytes UInt64,
    client_ip Nullable(String), created_at DateTime64(6, 'UTC')
) ENGINE = MergeTree PARTITION BY toYYYYMM(created_at) ORDER BY (created_at)
"""
_ensured: set[int] = set()


def ensure_clickhouse_tables(clickhouse: ClickHouse) -> None:
    if id(clickhouse) not in _ensured:
        clickhouse.command(CLICKHOUSE_USAGE_TABLE)
        _ensured.add(id(clickhouse))


def write_events(events: Sequence[UsageEvent]) -> None:
    """One insert for the whole batch."""
    if not events:
        return
    clickhouse = get_clickhouse()
    if clickhouse is not None:
        ensure_clickhouse_tables(clickhouse)
        clickhouse.insert("api_usage", _COLUMNS, [_row(event) for event in events])
        return
    engine = primary_engine()
    if engine.dialect.name == "postgresql":
        _copy_to_postgresql(engine, events)
        return
    values = [{"id": uuid.uuid4(), "extra_metadata": {}, **asdict(event)} for event in events]
    with engine.begin() as connection:
        connection.execute(insert(ApiUsage), values)  # type: ignore[arg-type]


_row = operator.attrgetter(*_COLUMNS)
_COPY = f"COPY api_usage (id, metadata, {', '.join(_COLUMNS)}) FROM STDIN"


def _copy_to_postgresql(engine: Engine, events: Sequence[UsageEvent]) -> None:
    # COPY, not an executemany INSERT: ~30 -> ~5 us of CPU an event, spent in the writer
    # thread, which shares the GIL with the server's event loop (bench/load.py's mix logs
    # every search API and Premium API call).
    ids = _random_ids(len(events))
    with engine.begin() as connection:
        driver = connection.connection.driver_connection  # psycopg's, in SQLAlchemy's transaction
        with driver.cursor() as cursor, cursor.copy(_COPY) as copy:  # type: ignore[union-attr]
            for event, row_id in zip(events, ids, strict=True):
                copy.write_row((row_id, "{}", *_row(event)))


def _random_ids(count: int) -> list[uuid.UUID]:
    """`count` uuid4s from one os.urandom call: each call lets go of the GIL, and the event
    loop waiting for it then holds this thread up; uuid4() per row paid that on every row."""
    pool = os.urandom(16 * count)
    return [uuid.UUID(bytes=pool[at : at + 16], version=4) for at in range(0, 16 * count, 16)]


def usage_summary(*, user_id: uuid.UUID | None, days: int = 30, today: date | None = None, endpoint_prefix: str = "") -> dict[str, Any]:
    """The dashboard's figures over `days` days up to `today` (UTC): one user's, or
    everyone's (user_id None) with the top users. `endpoint_prefix` narrows "calls today"
    (e.g. /premium/ for the premium quota)."""
    today = today or datetime.now(UTC).date()
    since = datetime.combine(today - timedelta(days=days - 1), datetime.min.time(), UTC)
    start_of_today = datetime.combine(today, datetime.min.time(), UTC)
    clickhouse = get_clickhouse()
    if clickhouse is not None:
        ensure_clickhouse_tables(clickhouse)
        rows = _from_clickhouse(clickhouse, user_id, since)
    else:
        rows = _from_primary(user_id, since)
    return _summarise(
        rows, today=today, days=days, start_of_today=start_of_today, endpoint_prefix=endpoint_prefix, everyone=user_id is None
    )


# Both read the same rows: (day 'YYYY-MM-DD', endpoint, user id, calls, errors, latencies).
# Latencies come back per (day, endpoint, user) so p95 is exact whatever the grouping.


def _from_primary(user_id: uuid.UUID | None, since: datetime) -> list[tuple[Any, ...]]:
    columns: tuple[Any, ...] = (ApiUsage.created_at, ApiUsage.endpoint, ApiUsage.user_id, ApiUsage.status_code, ApiUsage.response_time_ms)
    statement = select(*columns).where(ApiUsage.created_at >= since)  # type: ignore[arg-type,operator]
    if user_id is not None:
        statement = statement.where(ApiUsage.user_id == user_id)  # type: ignore[arg-type]
    with replica_engine().connect() as connection:
        found = connection.execute(statement).all()
    return [(_utc(moment), endpoint, who, status, latency) for moment, endpoint, who, status, latency in found]


def _from_clickhouse(clickhouse: ClickHouse, user_id: uuid.UUID | None, since: datetime) -> list[tuple[Any, ...]]:
    condition = "created_at >= {since:DateTime64(6, 'UTC')}"
    parameters: dict[str, Any] = {"since": since.strftime("%Y-%m-%d %H:%M:%S")}
    if user_id is not None:
        condition += " AND user_id = {user_id:UUID}"
        parameters["user_id"] = str(user_id)
    sql = f"SELECT toString(created_at), endpoint, toString(user_id), status_code, response_time_ms FROM api_usage WHERE {condition}"
    return [
        (datetime.fromisoformat(moment).replace(tzinfo=UTC), endpoint, uuid.UUID(who) if who else None, status, latency)
        for moment, endpoint, who, status, latency in clickhouse.query(sql, parameters)
    ]


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _summarise(
    rows: list[tuple[Any, ...]], *, today: date, days: int, start_of_today: datetime, endpoint_prefix: str, everyone: bool
) -> dict[str, Any]:
    per_day: dict[str, list[int]] = {(today - timedelta(days=offset)).isoformat(): [0, 0] for offset in range(days - 1, -1, -1)}
    latencies: dict[str, list[float]] = defaultdict(list)
    errors: dict[str, int] = defaultdict(int)
    per_user: dict[Any, int] = defaultdict(int)
    today_calls = 0
    for moment, endpoint, who, status, latency in rows:
        day = per_day.setdefault(moment.date().isoformat(), [0, 0])
        day[0] += 1
        failed = status >= 400
        day[1] += failed
        latencies[endpoint].append(latency)
        errors[endpoint] += failed
        per_user[who] += 1
        if moment >= start_of_today and endpoint.startswith(endpoint_prefix):
            today_calls += 1
    by_endpoint = [
        {"endpoint": name, "calls": len(values), "errors": errors[name], "p95_ms": round(float(np.percentile(values, 95)), 1)}
        for name, values in sorted(latencies.items(), key=lambda item: -len(item[1]))
    ]
    summary: dict[str, Any] = {
        "days": days,
        "per_day": [{"day": day, "calls": calls, "errors": failed} for day, (calls, failed) in sorted(per_day.items())],
        "by_endpoint": by_endpoint,
        "calls": len(rows),
        "calls_today": today_calls,
    }
    if everyone:
        top = sorted(((who, calls) for who, calls in per_user.items() if who is not None), key=lambda item: -item[1])[:10]
        summary["top_users"] = [{"user_id": str(who), "calls": calls} for who, calls in top]
    return summary
