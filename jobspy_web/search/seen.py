"""Which jobs each person has been shown, by dedupe identity: the basis of only-new alerts.

A job is new for a user when neither of its identities is in their `seen_jobs`: its stored
dedupe key (a cross-post merged by dedupe is one job) and its title-company-city identity
(`jobs.dedupe_key` of the posting). The second catches a repost on the same board under a
new id and URL, which storing keeps apart as a second opening alike. One indexed lookup per
run, whatever the size of the history (bench/alerts.py: 100,000 seen jobs).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import text
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from jobspy_web.models import Job, SearchJob, SeenJob
from jobspy_web.models.base import utcnow
from jobspy_web.search import jobs


def _found(session: Session, search_ids: Sequence[uuid.UUID]) -> list[tuple[uuid.UUID, set[str]]]:
    """Each distinct job the searches found, with both its identities."""
    columns: list[Any] = [Job.id, Job.dedupe_key, Job.title, Job.company, Job.location]
    rows = session.execute(
        select(*columns).join(SearchJob, col(SearchJob.job_id) == Job.id).where(col(SearchJob.search_id).in_(search_ids)).distinct()
    )
    return [
        (job_id, {key, jobs.dedupe_key({"title": title, "company": company, "location": location})})
        for job_id, key, title, company, location in rows
    ]


def _seen_keys(session: Session, user_id: uuid.UUID, keys: set[str]) -> set[str]:
    seen: set[str] = set()
    ordered = sorted(keys)
    for start in range(0, len(ordered), 500):  # bounded IN lists (SQLite's parameter limit)
        batch = ordered[start : start + 500]
        seen.update(session.exec(select(SeenJob.dedupe_key).where(SeenJob.user_id == user_id, col(SeenJob.dedupe_key).in_(batch))))
    return seen


def _insert_seen(session: Session, user_id: uuid.UUID, keys: set[str]) -> None:
    if not keys:
        return
    now = utcnow()
    insert: Any = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    session.execute(
        insert(SeenJob).on_conflict_do_nothing(),
        [{"user_id": user_id, "dedupe_key": key, "first_seen_at": now} for key in sorted(keys)],
    )


# PostgreSQL: the lookup and the insert of the new identities in one round trip.
_TAKE_SQL = text(
    # One primary-key probe per identity (user_id, dedupe_key): the cost stays with the run's
    # size, never the history's (a filter over the user's rows would grow with it).
    "WITH shown AS (SELECT dedupe_key FROM seen_jobs WHERE user_id = :user_id AND dedupe_key = ANY(CAST(:keys AS varchar[]))), "
    "added AS (INSERT INTO seen_jobs (user_id, dedupe_key, first_seen_at) "
    "SELECT :user_id, key, :now FROM unnest(CAST(:keys AS varchar[])) AS key WHERE key NOT IN (SELECT dedupe_key FROM shown) "
    "ON CONFLICT DO NOTHING) "
    "SELECT dedupe_key FROM shown"
)


def take_unseen(*, session: Session, user_id: uuid.UUID, search_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """The jobs these searches found that `user_id` was never shown; from now on they all count
    as shown. One read of the searches' jobs, then one lookup-and-insert of their identities."""
    if not search_ids:
        return []
    found = _found(session, search_ids)
    keys: set[str] = set().union(*(keys for _, keys in found)) if found else set()
    if not keys:
        return []
    if session.get_bind().dialect.name == "postgresql":
        parameters = {"user_id": user_id, "keys": sorted(keys), "now": utcnow()}
        seen = set(session.execute(_TAKE_SQL, parameters).scalars())
    else:
        seen = _seen_keys(session, user_id, keys)
        _insert_seen(session, user_id, keys - seen)
    return [job_id for job_id, job_keys in found if not job_keys & seen]


def record_shown(*, session: Session, user_id: uuid.UUID, search_ids: Sequence[uuid.UUID]) -> None:
    """Everything these searches found now counts as shown to `user_id`."""
    take_unseen(session=session, user_id=user_id, search_ids=search_ids)
