"""Record security events in `audit_log`."""

from __future__ import annotations

import uuid
from typing import Any

from sqlmodel import Session, col, select

from jobspy_web.models.audit import AuditEvent

_SECRET_WORDS = ("password", "secret", "token", "key", "hash")


def record(
    *,
    session: Session,
    action: str,
    actor_id: uuid.UUID | None = None,
    subject_type: str | None = None,
    subject_id: str | uuid.UUID | None = None,
    ip: str | None = None,
    user_agent: str | None = None,
    details: dict[str, Any] | None = None,
) -> AuditEvent:
    safe = {name: value for name, value in (details or {}).items() if not any(word in name.lower() for word in _SECRET_WORDS)}
    event = AuditEvent(
        action=action,
        actor_id=actor_id,
        subject_type=subject_type,
        subject_id=str(subject_id) if subject_id is not None else None,
        ip=ip,
        user_agent=(user_agent or "")[:300] or None,
        extra_metadata=safe,
    )
    session.add(event)
    return event


def recent(*, session: Session, limit: int = 100, subject_id: str | None = None) -> list[AuditEvent]:
    statement = select(AuditEvent).order_by(col(AuditEvent.created_at).desc()).limit(limit)
    if subject_id is not None:
        statement = statement.where(AuditEvent.subject_id == subject_id)
    return list(session.exec(statement))
