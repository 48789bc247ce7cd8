"""Which jobs each person has been shown, by dedupe identity: the basis of only-new alerts.

A job is new for a user when its dedupe key is not in their `seen_jobs`: a cross-post merged
by dedupe, or a repost under a new id that dedupe resolves to the stored job, is not new.
One indexed anti-join per run, whatever the size of the history (bench/alerts.py: 100,000).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Uuid, exists, literal
from sqlalchemy.dialects import postgresql, sqlite
from sqlmodel import Session, col, select

from jobspy_web.models import Job, SearchJob, SeenJob
from jobspy_web.models.base import UTCDateTime, utcnow


def _found_by(search_ids: Sequence[uuid.UUID]) -> Any:
    return select(Job.id, Job.dedupe_key).join(SearchJob, col(SearchJob.job_id) == Job.id).where(col(SearchJob.search_id).in_(search_ids))


def unseen_jobs(*, session: Session, user_id: uuid.UUID, search_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
    """The jobs these searches found that `user_id` has never been shown (distinct ids)."""
    if not search_ids:
        return []
    shown = exists().where(SeenJob.user_id == user_id, col(SeenJob.dedupe_key) == Job.dedupe_key)
    rows = session.exec(_found_by(search_ids).where(~shown).distinct())
    return [job_id for job_id, _key in rows]


def record_shown(*, session: Session, user_id: uuid.UUID, search_ids: Sequence[uuid.UUID]) -> None:
    """Everything these searches found now counts as shown to `user_id` (one INSERT ... SELECT)."""
    if not search_ids:
        return
    keys = select(literal(user_id, Uuid()), Job.dedupe_key, literal(utcnow(), UTCDateTime())).join(
        SearchJob, col(SearchJob.job_id) == Job.id
    )
    keys = keys.where(col(SearchJob.search_id).in_(search_ids)).distinct()
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    statement = insert(SeenJob).from_select(["user_id", "dedupe_key", "first_seen_at"], keys).on_conflict_do_nothing()
    session.execute(statement)
