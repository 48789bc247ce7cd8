"""Syncing a tracker held elsewhere (the desktop app): what changed here since a moment, and
a batch of the client's items applied last-writer-wins by `updated_at`, per item.

Pulling: `changes_since` answers every item (deleted ones as tombstones) the server wrote
after `since`, and the `next_since` to ask with next time. `next_since` lies a little
before now, so a write still committing while we read is sent next time rather than lost:
a client may get an item twice, and applying it twice changes nothing.

Pushing: each incoming item wins if its `updated_at` is later than the server's copy;
otherwise the server's copy stays and the answer says so (status "conflict" and a note the
client shows). An item under a new id for an address the server already tracks is the
same job: it is compared with that one, and the answer carries the server's id to adopt.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from jobspy_web.models import TrackedJob, TrackerStage
from jobspy_web.models.base import utcnow
from jobspy_web.tracker import items
from jobspy_web.tracker.errors import invalid
from jobspy_web.tracker.inputs import TrackedJobSync
from jobspy_web.tracker.urls import url_key

__all__ = ["MAX_CLOCK_AHEAD", "MAX_PUSH_ITEMS", "PULL_OVERLAP", "ChangeSet", "SyncResult", "apply_changes", "changes_since"]

PULL_OVERLAP = timedelta(seconds=30)  # longer than any tracker write takes to commit
MAX_CLOCK_AHEAD = timedelta(minutes=10)  # a client's clock this far ahead would win every conflict
MAX_PUSH_ITEMS = 500


@dataclass(frozen=True)
class ChangeSet:
    items: list[dict[str, Any]]
    next_since: datetime


@dataclass(frozen=True)
class SyncResult:
    """What became of one pushed item. `status`: applied (the client's copy is now the
    server's), unchanged (they were equal), conflict (the server's copy was newer and
    stays; `note` says so), refused (the id is someone else's; `item` is None)."""

    id: uuid.UUID
    status: str
    item: dict[str, Any] | None
    note: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"id": str(self.id), "status": self.status, "item": self.item, "note": self.note}


def changes_since(*, session: Session, owner_id: uuid.UUID, since: datetime | None, now: datetime | None = None) -> ChangeSet:
    """Every item of the owner's the server wrote after `since` (all of them without one),
    oldest write first, tombstones included."""
    now = now or utcnow()
    statement = select(TrackedJob).where(TrackedJob.owner_id == owner_id)
    if since is not None:
        statement = statement.where(col(TrackedJob.changed_at) > since)
    found = list(session.exec(statement.order_by(col(TrackedJob.changed_at), col(TrackedJob.id))))
    return ChangeSet(items=items.public_items(session=session, items=found), next_since=now - PULL_OVERLAP)


def _check(incoming: Sequence[TrackedJobSync], now: datetime) -> None:
    if len(incoming) > MAX_PUSH_ITEMS:
        raise invalid("items", f"Send at most {MAX_PUSH_ITEMS} items at a time.")
    seen: set[uuid.UUID] = set()
    for index, item in enumerate(incoming):
        if item.id in seen:
            raise invalid(f"items.{index}.id", "This id appears twice in the batch; send each item once.")
        seen.add(item.id)
        if item.updated_at > now + MAX_CLOCK_AHEAD:
            raise invalid(f"items.{index}.updated_at", "This time is in the future; check the device's clock.")


def apply_changes(
    *, session: Session, owner_id: uuid.UUID, incoming: Sequence[TrackedJobSync], now: datetime | None = None
) -> list[SyncResult]:
    """Apply the client's items last-writer-wins; one SyncResult per item, in order. The
    batch is refused whole (TrackerError naming the field) for a repeated id or a time in
    the future, before anything is written."""
    now = now or utcnow()
    _check(incoming, now)
    return [_apply_one(session, owner_id, item, now) for item in incoming]


def _addresses(incoming: TrackedJobSync) -> list[items.Posting]:
    return [items.Posting(site=incoming.site, url=incoming.url), *(items.Posting(site=p.site, url=p.url) for p in incoming.postings)]


def _apply_one(session: Session, owner_id: uuid.UUID, incoming: TrackedJobSync, now: datetime, *, again: bool = False) -> SyncResult:
    stored = session.get(TrackedJob, incoming.id)
    if stored is not None and stored.owner_id != owner_id:
        return SyncResult(incoming.id, "refused", None, "This id belongs to no job of yours; give the job a new id and send it again.")
    postings = _addresses(incoming)
    merged_note = None
    if stored is None:
        stored = items.item_for_keys(session, owner_id, [url_key(posting.url) for posting in postings])
        if stored is not None:
            merged_note = f"This job was already tracked under id {stored.id}; use that id from now on."
    if stored is None:
        created = TrackedJob(id=incoming.id, owner_id=owner_id, url=incoming.url, site=incoming.site, title=incoming.title)
        created.created_at = incoming.created_at or now
        _overwrite(created, incoming, now)
        try:
            with items.savepoint(session):
                session.add(created)
                session.flush()
                items.link_postings(session, owner_id, created.id, postings)
        except IntegrityError:
            if again:
                raise
            # The same job pushed by another request meanwhile: compare with that one.
            return _apply_one(session, owner_id, incoming, now, again=True)
        return SyncResult(incoming.id, "applied", _shown(session, created))
    if incoming.updated_at > stored.updated_at:
        _overwrite(stored, incoming, now)
        session.add(stored)
        session.flush()
        items.link_postings(session, owner_id, stored.id, postings)
        return SyncResult(incoming.id, "applied", _shown(session, stored), merged_note)
    if _content(stored) == _incoming_content(incoming):
        return SyncResult(incoming.id, "unchanged", _shown(session, stored), merged_note)
    note = (
        f"Changed on the server at {stored.updated_at.isoformat()}, after this copy ({incoming.updated_at.isoformat()}): "
        "the server's copy was kept."
    )
    return SyncResult(incoming.id, "conflict", _shown(session, stored), f"{merged_note} {note}" if merged_note else note)


def _overwrite(item: TrackedJob, incoming: TrackedJobSync, now: datetime) -> None:
    item.url, item.site, item.title = incoming.url, incoming.site, incoming.title
    item.company, item.location, item.salary_text = incoming.company, incoming.location, incoming.salary_text
    item.description, item.notes = incoming.description, incoming.notes
    if incoming.follow_up_on != item.follow_up_on:
        item.follow_up_on, item.reminded_at = incoming.follow_up_on, None
    if incoming.stage_dates is not None:
        for stage in items.STAGES:
            setattr(item, f"{stage.value}_at", incoming.stage_dates.get(stage))
        item.stage = incoming.stage
        if items.stage_date(item, incoming.stage) is None:
            setattr(item, f"{incoming.stage.value}_at", incoming.updated_at)
    else:
        if items.stage_date(item, TrackerStage.SAVED) is None:
            item.saved_at = incoming.created_at or incoming.updated_at
        items.move_to_stage(item, incoming.stage, at=incoming.updated_at)
    item.deleted_at = incoming.updated_at if incoming.deleted else None
    item.updated_at, item.changed_at = incoming.updated_at, now


def _content(item: TrackedJob) -> tuple[Any, ...]:
    return (
        item.url, item.site, item.title, item.company, item.location, item.salary_text, item.description,
        item.notes, item.stage, item.follow_up_on, item.deleted_at is not None,
    )  # fmt: skip


def _incoming_content(incoming: TrackedJobSync) -> tuple[Any, ...]:
    return (
        incoming.url, incoming.site, incoming.title, incoming.company, incoming.location, incoming.salary_text,
        incoming.description, incoming.notes, incoming.stage, incoming.follow_up_on, incoming.deleted,
    )  # fmt: skip


def _shown(session: Session, item: TrackedJob) -> dict[str, Any]:
    return items.public_items(session=session, items=[item])[0]
