"""Follow-up reminders: the tracked jobs whose follow-up date has come, for the alerts
worker to send through the person's alert channels, and marking them sent.

A reminder goes out once per follow-up date: changing the date (PATCH, sync) clears
`reminded_at`, so the new date gets its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import update
from sqlmodel import Session, col, select

from jobspy_web.models import TrackedJob, TrackerStage

__all__ = ["DueReminder", "due_reminders", "mark_reminded"]


@dataclass(frozen=True)
class DueReminder:
    item_id: uuid.UUID
    owner_id: uuid.UUID
    title: str
    company: str | None
    stage: TrackerStage
    follow_up_on: date
    url: str

    @property
    def text(self) -> str:
        """One line for a notification: 'Follow up: Senior Engineer at Acme (applied)'."""
        at = f" at {self.company}" if self.company else ""
        return f"Follow up: {self.title}{at} ({self.stage.value})"


def due_reminders(session: Session, now: datetime, *, limit: int = 500) -> list[DueReminder]:
    """Live tracked jobs whose follow-up date is `now`'s date (UTC) or earlier and whose
    reminder hasn't gone out, the earliest date first (at most `limit`)."""
    rows = session.exec(
        select(TrackedJob)
        .where(
            col(TrackedJob.follow_up_on) <= now.date(),
            col(TrackedJob.reminded_at).is_(None),
            col(TrackedJob.deleted_at).is_(None),
        )
        .order_by(col(TrackedJob.follow_up_on), col(TrackedJob.id))
        .limit(limit)
    )
    return [
        DueReminder(
            item_id=row.id,
            owner_id=row.owner_id,
            title=row.title,
            company=row.company,
            stage=row.stage,
            follow_up_on=row.follow_up_on,
            url=row.url,
        )
        for row in rows
        if row.follow_up_on is not None
    ]


def mark_reminded(session: Session, item_ids: Iterable[uuid.UUID], now: datetime) -> int:
    """Note that these items' reminders went out (not a change of the person's: `updated_at`
    stays, so syncing devices see nothing new). Returns how many were marked."""
    ids = list(item_ids)
    if not ids:
        return 0
    result = session.execute(
        update(TrackedJob).where(col(TrackedJob.id).in_(ids), col(TrackedJob.reminded_at).is_(None)).values(reminded_at=now)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
