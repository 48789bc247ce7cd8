"""Our corpus: every job any search stored, as one salary fact each (models.JobSalaryFact).

sync_facts brings job_salary_facts up to date with jobs (the jobs seen since the newest
fact, so a re-seen job is refreshed), and copies the new facts to ClickHouse when it is
configured. fetch_facts reads the facts a query selects, from ClickHouse when configured,
else from the primary database: the same filters either way.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Engine, func, select
from sqlalchemy.dialects import postgresql, sqlite

from jobspy_web.infra.clickhouse import ClickHouse
from jobspy_web.insights.places import resolve_place
from jobspy_web.insights.titles import match_occupation, normalise_title
from jobspy_web.models import Job, JobSalaryFact

__all__ = ["FACT_COLUMNS", "Filters", "ensure_clickhouse_tables", "fact_for_job", "fetch_facts", "sync_facts", "sync_if_due"]

FACT_COLUMNS = (
    "job_id", "soc_code", "title_key", "seniority", "country", "state_abbr", "metro_code", "place", "site", "company",
    "is_remote", "job_type", "currency", "yearly", "pay_source", "posted_month", "job_seen_at",
)  # fmt: skip
# What an aggregation reads of each selected fact, in this order.
READ_COLUMNS = ("yearly", "currency", "site", "place", "seniority", "is_remote", "company", "posted_month", "pay_source")
_BATCH = 5000
SYNC_EVERY_S = 30.0
_PAY_SOURCES = {"direct_data": "posted", "description": "description"}

_JOB_COLUMNS: tuple[Any, ...] = (
    Job.id, Job.title, Job.company, Job.location, Job.site, Job.is_remote, Job.job_type, Job.currency,
    Job.yearly_min, Job.yearly_max, Job.salary_source, Job.date_posted, Job.first_seen_at, Job.last_seen_at,
)  # fmt: skip


def fact_for_job(job: Any, *, metros: dict[tuple[str, str], tuple[str, str]]) -> dict[str, Any]:
    """The fact of one job row (any object with Job's attribute names)."""
    title = normalise_title(job.title or "")
    occupation = match_occupation(title.key)
    place = resolve_place(job.location, metros=metros)
    low, high = job.yearly_min, job.yearly_max
    yearly = (low + high) / 2 if low and high else (low or high or None)
    posted: date = job.date_posted or job.first_seen_at.date()
    return {
        "job_id": job.id,
        "soc_code": occupation.soc_code if occupation else None,
        "title_key": title.key,
        "seniority": title.seniority,
        "country": place.country,
        "state_abbr": place.state_abbr,
        "metro_code": place.metro_code,
        "place": place.label if place.level != "any" else None,
        "site": job.site,
        "company": (job.company or "")[:200] or None,
        "is_remote": True if place.is_remote else job.is_remote,
        "job_type": (job.job_type or "").lower()[:200] or None,
        "currency": ((job.currency or "USD").upper()[:8]) if yearly else None,
        "yearly": round(yearly, 2) if yearly else None,
        "pay_source": _PAY_SOURCES.get(job.salary_source or "", job.salary_source) if yearly else None,
        "posted_month": posted.replace(day=1),
        "job_seen_at": job.last_seen_at,
    }


def sync_facts(*, engine: Engine, metros: dict[tuple[str, str], tuple[str, str]], clickhouse: ClickHouse | None = None) -> int:
    """Facts for every job seen since the newest fact; how many were written."""
    with engine.connect() as connection:
        newest = connection.execute(select(func.max(JobSalaryFact.job_seen_at))).scalar()
    statement = select(*_JOB_COLUMNS)
    if newest is not None:
        # >=: a job seen in the same instant as the newest fact may not have been read yet.
        statement = statement.where(Job.last_seen_at >= newest)  # type: ignore[arg-type]
    written = 0
    with engine.connect() as reader:
        for rows in _batches(reader.execution_options(yield_per=_BATCH).execute(statement)):
            facts = [fact_for_job(row, metros=metros) for row in rows]
            _upsert(engine, facts)
            if clickhouse is not None:
                clickhouse.insert("job_salary_facts", FACT_COLUMNS, [_for_clickhouse(fact) for fact in facts])
            written += len(facts)
    return written


_last_sync = 0.0
_sync_lock = threading.Lock()


def sync_if_due(*, engine: Engine, metros: dict[tuple[str, str], tuple[str, str]], clickhouse: ClickHouse | None) -> None:
    """sync_facts at most once every SYNC_EVERY_S in this process (a query's first step)."""
    global _last_sync
    if time.monotonic() - _last_sync < SYNC_EVERY_S or not _sync_lock.acquire(blocking=False):
        return
    try:
        sync_facts(engine=engine, metros=metros, clickhouse=clickhouse)
        _last_sync = time.monotonic()
    finally:
        _sync_lock.release()


def _batches(result: Any) -> Iterator[Sequence[Any]]:
    while rows := result.fetchmany(_BATCH):
        yield rows


def _upsert(engine: Engine, facts: list[dict[str, Any]]) -> None:
    dialect = postgresql if engine.dialect.name == "postgresql" else sqlite
    statement = dialect.insert(JobSalaryFact)
    updates = {name: statement.excluded[name] for name in FACT_COLUMNS if name != "job_id"}
    with engine.begin() as connection:
        connection.execute(statement.on_conflict_do_update(index_elements=["job_id"], set_=updates), facts)


def _for_clickhouse(fact: dict[str, Any]) -> list[Any]:
    # ClickHouse keys can't be NULL: text columns hold '' for "unknown".
    return ["" if fact[name] is None and name not in ("is_remote", "yearly") else fact[name] for name in FACT_COLUMNS]


CLICKHOUSE_FACTS_TABLE = """
CREATE TABLE IF NOT EXISTS job_salary_facts (
    job_id UUID, soc_code String, title_key String, seniority LowCardinality(String),
    country LowCardinality(String), state_abbr LowCardinality(String), metro_code LowCardinality(String),
    place String, site LowCardinality(String), company String, is_remote Nullable(Bool),
    job_type LowCardinality(String), currency LowCardinality(String), yearly Nullable(Float64),
    pay_source LowCardinality(String), posted_month Date, job_seen_at DateTime64(6, 'UTC')
) ENGINE = ReplacingMergeTree(job_seen_at)
ORDER BY (soc_code, title_key, job_id)
"""


def ensure_clickhouse_tables(clickhouse: ClickHouse) -> None:
    clickhouse.command(CLICKHOUSE_FACTS_TABLE)


@dataclass(frozen=True)
class Filters:
    """Which facts a query selects: equalities, and the first month of its window."""

    since: date
    soc_code: str | None = None
    title_key: str | None = None
    country: str | None = None
    state_abbr: str | None = None
    metro_code: str | None = None
    place: str | None = None
    is_remote: bool | None = None
    job_type: str | None = None

    def equalities(self) -> dict[str, Any]:
        names = ("soc_code", "title_key", "country", "state_abbr", "metro_code", "place", "is_remote", "job_type")
        return {name: getattr(self, name) for name in names if getattr(self, name) is not None}


def fetch_facts(*, filters: Filters, engine: Engine, clickhouse: ClickHouse | None) -> list[tuple[Any, ...]]:
    """READ_COLUMNS of every fact `filters` select, posted_month as 'YYYY-MM'."""
    if clickhouse is not None:
        return _fetch_from_clickhouse(filters, clickhouse)
    columns = [getattr(JobSalaryFact, name) for name in READ_COLUMNS]
    statement = select(*columns).where(JobSalaryFact.posted_month >= filters.since)  # type: ignore[arg-type]
    for name, value in filters.equalities().items():
        statement = statement.where(getattr(JobSalaryFact, name) == value)
    with engine.connect() as connection:
        rows = connection.execute(statement).all()
    return [(*row[:7], _month(row[7]), row[8]) for row in rows]


_CLICKHOUSE_TYPES = {"is_remote": "Bool"}


def _fetch_from_clickhouse(filters: Filters, clickhouse: ClickHouse) -> list[tuple[Any, ...]]:
    conditions = ["posted_month >= {since:Date}"]
    parameters: dict[str, Any] = {"since": filters.since.isoformat()}
    for name, value in filters.equalities().items():
        conditions.append(f"{name} = {{{name}:{_CLICKHOUSE_TYPES.get(name, 'String')}}}")
        parameters[name] = value
    selected = ", ".join(name if name != "posted_month" else "formatDateTime(posted_month, '%Y-%m')" for name in READ_COLUMNS)
    sql = f"SELECT {selected} FROM job_salary_facts FINAL WHERE {' AND '.join(conditions)}"
    return [tuple(None if value == "" else value for value in row) for row in clickhouse.query(sql, parameters)]


def _month(value: date | datetime | str) -> str:
    return value.isoformat()[:7] if not isinstance(value, str) else value[:7]
