"""Table behaviour through the app's own sessions, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy.exc import IntegrityError, StatementError
from sqlmodel import select

from jobspy_web.db import read_session, write_session
from jobspy_web.models import Job, Search, SearchJob, User

UTC_PLUS_2 = timezone(timedelta(hours=2))


def test_duplicate_email_is_rejected(db: str) -> None:
    with write_session() as session:
        session.add(User(email="ada@example.com"))

    with pytest.raises(IntegrityError), write_session() as session:
        session.add(User(email="ada@example.com"))

    with read_session() as session:
        assert len(session.exec(select(User)).all()) == 1


def test_utc_datetime_round_trips_as_aware_utc(db: str) -> None:
    verified = datetime(2026, 1, 2, 3, 4, 5, 678901, tzinfo=UTC_PLUS_2)
    with write_session() as session:
        user = User(email="ada@example.com", email_verified_at=verified)
        session.add(user)

    with read_session() as session:
        loaded = session.get(User, user.id)
        assert loaded is not None
        assert loaded.email_verified_at == verified  # same instant, microseconds kept
        assert loaded.email_verified_at.utcoffset() == timedelta(0)
        assert loaded.created_at.utcoffset() == timedelta(0)


def test_naive_datetime_is_refused(db: str) -> None:
    with pytest.raises(StatementError, match="naive datetime"), write_session() as session:
        session.add(User(email="ada@example.com", email_verified_at=datetime(2026, 1, 2)))


def test_utc_datetime_is_utc_whatever_the_postgres_time_zone(pg_db: str) -> None:
    with write_session() as session:
        user = User(email="ada@example.com", email_verified_at=datetime.now(UTC))
        session.add(user)

    with read_session() as session:
        session.connection().exec_driver_sql("SET TIME ZONE 'Asia/Kolkata'")
        loaded = session.get(User, user.id)
        assert loaded is not None and loaded.email_verified_at is not None
        assert loaded.email_verified_at.utcoffset() == timedelta(0)


def test_extra_metadata_round_trips_nested_json_in_column_metadata(db: str) -> None:
    nested = {
        "plan": {"seats": 3, "trial": True, "ratio": 0.5, "coupon": None},
        "tags": ["beta", {"source": "stripe"}],
        "note": "unicode ✓",
    }
    with write_session() as session:
        user = User(email="ada@example.com", extra_metadata=nested)
        session.add(user)

    with read_session() as session:
        loaded = session.get(User, user.id)
        assert loaded is not None
        assert loaded.extra_metadata == nested
        # The database column is `metadata` (the attribute name is taken by SQLAlchemy).
        raw = session.connection().exec_driver_sql("SELECT metadata FROM users").scalar_one()
    # JSONB comes back decoded from psycopg; SQLite's JSON is text.
    assert (json.loads(raw) if isinstance(raw, str) else raw) == nested


def test_search_jobs_are_deleted_with_their_search(db: str) -> None:
    with write_session() as session:
        doomed, kept = Search(label="doomed"), Search(label="kept")
        jobs = [Job(dedupe_key=f"key-{n}", site="indeed", job_url=f"https://x/{n}", title="Dev") for n in range(2)]
        session.add_all([doomed, kept, *jobs])
        session.flush()  # no ORM relationships: insert parents before the link rows
        session.add_all([SearchJob(search_id=doomed.id, job_id=job.id) for job in jobs])
        session.add(SearchJob(search_id=kept.id, job_id=jobs[0].id))

    with write_session() as session:
        # ON DELETE CASCADE in the database does this, not the ORM (SQLite needs the
        # app engine's PRAGMA foreign_keys=ON).
        session.delete(session.get(Search, doomed.id))

    with read_session() as session:
        links = session.exec(select(SearchJob)).all()
        assert [(link.search_id, link.job_id) for link in links] == [(kept.id, jobs[0].id)]
        # The cascade runs from search to link only: the jobs themselves stay.
        assert len(session.exec(select(Job)).all()) == 2
