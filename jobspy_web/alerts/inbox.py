"""In-app alerts: what the bell counts and the Alerts page lists, each linking to its new jobs."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import func, update
from sqlmodel import Session, col, select

from jobspy_web.core.errors import DomainError
from jobspy_web.models import Alert, Job
from jobspy_web.models.base import utcnow


class AlertError(DomainError):
    status = 404
    messages = {"NOT_FOUND": "That alert no longer exists."}


def create_alert(
    *,
    session: Session,
    user_id: uuid.UUID,
    title: str,
    body: str = "",
    job_ids: Sequence[uuid.UUID] = (),
    saved_search_id: uuid.UUID | None = None,
    run_id: uuid.UUID | None = None,
) -> Alert:
    alert = Alert(
        user_id=user_id,
        title=title[:200],
        body=body,
        job_ids=[str(job_id) for job_id in job_ids],
        saved_search_id=saved_search_id,
        run_id=run_id,
    )
    session.add(alert)
    session.flush()
    return alert


def unread_count(*, session: Session, user_id: uuid.UUID) -> int:
    statement = select(func.count()).select_from(Alert).where(Alert.user_id == user_id, col(Alert.read_at).is_(None))
    return session.exec(statement).one()


def list_alerts(*, session: Session, user_id: uuid.UUID, limit: int = 50) -> list[Alert]:
    statement = select(Alert).where(Alert.user_id == user_id).order_by(col(Alert.created_at).desc()).limit(limit)
    return list(session.exec(statement))


def get_alert(*, session: Session, user_id: uuid.UUID, alert_id: uuid.UUID) -> Alert:
    alert = session.get(Alert, alert_id)
    if alert is None or alert.user_id != user_id:  # someone else's looks like a missing one
        raise AlertError("NOT_FOUND")
    return alert


def open_alert(*, session: Session, user_id: uuid.UUID, alert_id: uuid.UUID) -> tuple[Alert, list[Job]]:
    """The alert, marked read, and its new jobs in the order they were found."""
    alert = get_alert(session=session, user_id=user_id, alert_id=alert_id)
    if alert.read_at is None:
        alert.read_at = utcnow()
        session.add(alert)
    ids = [uuid.UUID(job_id) for job_id in alert.job_ids]
    found = {job.id: job for job in session.exec(select(Job).where(col(Job.id).in_(ids)))}
    return alert, [found[job_id] for job_id in ids if job_id in found]


def mark_all_read(*, session: Session, user_id: uuid.UUID) -> int:
    result = session.execute(update(Alert).where(col(Alert.user_id) == user_id, col(Alert.read_at).is_(None)).values(read_at=utcnow()))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
