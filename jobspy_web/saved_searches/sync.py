"""Syncing saved searches held elsewhere (the desktop app), the tracker's way (tracker.sync):
what changed here since a moment, and a batch of the client's copies applied
last-writer-wins by `updated_at`, per item.

Pulling: `changes_since` answers every saved search (deleted ones as tombstones) the server
wrote after `since`, and the `next_since` to ask with next time, a little before now so a
write still committing is sent next time rather than lost (applying one twice changes nothing).

Pushing: each incoming copy wins if its `updated_at` is later than the server's; otherwise
the server's copy stays and the answer says so (status "conflict" and a note). The tier's
limits hold as on the Saved searches page: a new one past the plan's number, or one asking
for what the plan lacks (a schedule, more sites), is refused with a note, the rest applied.
Notification channels (Apprise URLs may carry tokens) are not synced: each side keeps its own.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlmodel import Session, col, select

from jobspy_web.core import tiers
from jobspy_web.core.errors import DomainError
from jobspy_web.models import SavedSearch, SavedSearchTombstone, ScheduleKind
from jobspy_web.models.base import utcnow
from jobspy_web.saved_searches import store
from jobspy_web.search.params import SearchParamsError

__all__ = ["MAX_PUSH_ITEMS", "PULL_OVERLAP", "ChangeSet", "SavedSearchSync", "SyncResult", "apply_changes", "changes_since"]

PULL_OVERLAP = timedelta(seconds=30)  # longer than any write takes to commit
MAX_CLOCK_AHEAD = timedelta(minutes=10)  # a client's clock this far ahead would win every conflict
MAX_PUSH_ITEMS = 100  # twice Pro's 50 saved searches
CONTENT = ("name", "search_terms", "locations", "params", "schedule", "hour", "minute", "weekday", "timezone", "email_digest", "push")


class SavedSearchSync(BaseModel):
    """One saved search as sync sends it either way. Its content is checked like a form's
    (store.parse_saved_search) when applied, so a bad one is refused alone, with a note."""

    model_config = ConfigDict(extra="forbid")

    id: uuid.UUID
    updated_at: AwareDatetime
    created_at: AwareDatetime | None = None
    deleted: bool = False
    name: str = Field("", max_length=200)
    search_terms: list[str] = Field(default_factory=list, max_length=50)
    locations: list[str] = Field(default_factory=list, max_length=50)
    params: dict[str, Any] = Field(default_factory=dict)
    schedule: ScheduleKind = ScheduleKind.NONE
    hour: int = 8
    minute: int = 0
    weekday: int = 0
    timezone: str = Field("UTC", max_length=64)
    paused: bool = False
    email_digest: bool = True
    push: bool = False

    def content(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in CONTENT}


@dataclass(frozen=True)
class ChangeSet:
    items: list[dict[str, Any]]
    next_since: datetime


@dataclass(frozen=True)
class SyncResult:
    """What became of one pushed copy. `status`: applied (the client's copy is now the
    server's), unchanged (they were equal), conflict (the server's copy was newer and stays;
    `note` says so), refused (not applied: someone else's id, or past the plan's limits, or
    not a valid saved search; `note` says which)."""

    id: uuid.UUID
    status: str
    item: dict[str, Any] | None
    note: str | None = None

    def as_json(self) -> dict[str, Any]:
        return {"id": str(self.id), "status": self.status, "item": self.item, "note": self.note}


def public_item(saved: SavedSearch) -> dict[str, Any]:
    """A saved search as sync sends it (JSON-ready), without its notification channels."""
    shown = {name: getattr(saved, name) for name in CONTENT}
    shown["schedule"] = saved.schedule.value
    return {
        "id": str(saved.id),
        **shown,
        "paused": saved.paused,
        "created_at": saved.created_at.isoformat(),
        "updated_at": saved.updated_at.isoformat(),
        "deleted": False,
    }


def _tombstone_item(tombstone: SavedSearchTombstone) -> dict[str, Any]:
    return {"id": str(tombstone.id), "updated_at": tombstone.deleted_at.isoformat(), "deleted": True}


def changes_since(*, session: Session, owner_id: uuid.UUID, since: datetime | None, now: datetime | None = None) -> ChangeSet:
    """Every saved search of the owner's the server wrote after `since` (all without one),
    oldest write first, tombstones included."""
    now = now or utcnow()
    live = select(SavedSearch).where(SavedSearch.owner_id == owner_id)
    gone = select(SavedSearchTombstone).where(SavedSearchTombstone.owner_id == owner_id)
    if since is not None:
        live = live.where(col(SavedSearch.changed_at) > since)
        gone = gone.where(col(SavedSearchTombstone.changed_at) > since)
    written: list[tuple[datetime, dict[str, Any]]] = [(saved.changed_at, public_item(saved)) for saved in session.exec(live)]
    written += [(tombstone.changed_at, _tombstone_item(tombstone)) for tombstone in session.exec(gone)]
    written.sort(key=lambda pair: (pair[0], pair[1]["id"]))
    return ChangeSet(items=[item for _, item in written], next_since=now - PULL_OVERLAP)


def _check(incoming: Sequence[SavedSearchSync], now: datetime) -> None:
    if len(incoming) > MAX_PUSH_ITEMS:
        raise SearchParamsError({"items": f"Send at most {MAX_PUSH_ITEMS} saved searches at a time."})
    seen: set[uuid.UUID] = set()
    for index, item in enumerate(incoming):
        if item.id in seen:
            raise SearchParamsError({f"items.{index}.id": "This id appears twice in the batch; send each saved search once."})
        seen.add(item.id)
        if item.updated_at > now + MAX_CLOCK_AHEAD:
            raise SearchParamsError({f"items.{index}.updated_at": "This time is in the future; check the device's clock."})


def apply_changes(
    *,
    session: Session,
    owner_id: uuid.UUID,
    tier: tiers.Tier | str,
    incoming: Sequence[SavedSearchSync],
    now: datetime | None = None,
) -> list[SyncResult]:
    """Apply the client's copies last-writer-wins, within `tier`'s limits; one SyncResult per
    copy, in order. The batch is refused whole (SearchParamsError naming the field) for a
    repeated id or a time in the future, before anything is written."""
    now = now or utcnow()
    _check(incoming, now)
    return [_apply_one(session, owner_id, tier, item, now) for item in incoming]


def _apply_one(session: Session, owner_id: uuid.UUID, tier: tiers.Tier | str, incoming: SavedSearchSync, now: datetime) -> SyncResult:
    stored = session.get(SavedSearch, incoming.id)
    tombstone = session.get(SavedSearchTombstone, incoming.id)
    if (stored is not None and stored.owner_id != owner_id) or (tombstone is not None and tombstone.owner_id != owner_id):
        return SyncResult(incoming.id, "refused", None, "This id belongs to no saved search of yours; save it under a new id.")
    if incoming.deleted:
        return _apply_deletion(session, owner_id, stored, tombstone, incoming, now)
    try:
        data = store.parse_saved_search(incoming.content())
    except SearchParamsError as error:
        problems = "; ".join(f"{field}: {sentence}" for field, sentence in error.problems.items())
        return SyncResult(incoming.id, "refused", None, f"Not saved: {problems}")
    if stored is None:
        return _apply_new(session, owner_id, tier, tombstone, incoming, data, now)
    if incoming.updated_at > stored.updated_at:
        try:
            store.check_tier(data, tier)
        except DomainError as error:
            return SyncResult(incoming.id, "refused", public_item(stored), f"Not changed: {error.message}")
        _overwrite(stored, data, incoming, now)
        session.add(stored)
        session.flush()
        return SyncResult(incoming.id, "applied", public_item(stored))
    if _same(stored, data, incoming.paused):
        return SyncResult(incoming.id, "unchanged", public_item(stored))
    note = (
        f"Changed on the server at {stored.updated_at.isoformat()}, after this copy ({incoming.updated_at.isoformat()}): "
        "the server's copy was kept."
    )
    return SyncResult(incoming.id, "conflict", public_item(stored), note)


def _apply_deletion(
    session: Session,
    owner_id: uuid.UUID,
    stored: SavedSearch | None,
    tombstone: SavedSearchTombstone | None,
    incoming: SavedSearchSync,
    now: datetime,
) -> SyncResult:
    if stored is None:  # already gone here (or never came): nothing to undo
        gone = tombstone or SavedSearchTombstone(id=incoming.id, owner_id=owner_id, deleted_at=incoming.updated_at)
        return SyncResult(incoming.id, "unchanged", _tombstone_item(gone))
    if incoming.updated_at > stored.updated_at:
        session.delete(stored)
        session.flush()
        tombstone = store.bury(session, owner_id, incoming.id, deleted_at=incoming.updated_at, now=now)
        return SyncResult(incoming.id, "applied", _tombstone_item(tombstone))
    note = (
        f"Changed on the server at {stored.updated_at.isoformat()}, after it was deleted here "
        f"({incoming.updated_at.isoformat()}): the server's copy was kept."
    )
    return SyncResult(incoming.id, "conflict", public_item(stored), note)


def _apply_new(
    session: Session,
    owner_id: uuid.UUID,
    tier: tiers.Tier | str,
    tombstone: SavedSearchTombstone | None,
    incoming: SavedSearchSync,
    data: store.SavedSearchInput,
    now: datetime,
) -> SyncResult:
    if tombstone is not None and tombstone.deleted_at >= incoming.updated_at:
        note = (
            f"Deleted on the server at {tombstone.deleted_at.isoformat()}, after this copy was changed "
            f"({incoming.updated_at.isoformat()}): it stays deleted."
        )
        return SyncResult(incoming.id, "conflict", _tombstone_item(tombstone), note)
    try:
        store.check_room(session=session, owner_id=owner_id, tier=tier)
        store.check_tier(data, tier)
    except DomainError as error:
        return SyncResult(incoming.id, "refused", None, f"Not added: {error.message}")
    created = SavedSearch(id=incoming.id, owner_id=owner_id, **data.model_dump(exclude={"apprise_urls"}))
    created.created_at = incoming.created_at or incoming.updated_at
    _overwrite(created, data, incoming, now)
    if tombstone is not None:
        session.delete(tombstone)
    session.add(created)
    session.flush()
    return SyncResult(incoming.id, "applied", public_item(created))


def _overwrite(saved: SavedSearch, data: store.SavedSearchInput, incoming: SavedSearchSync, now: datetime) -> None:
    for name, value in data.model_dump(exclude={"apprise_urls"}).items():
        setattr(saved, name, value)
    saved.paused = incoming.paused
    store.plan_next(saved, now)
    # Both set, so neither takes the column's onupdate: the edit's time, and this write's.
    saved.updated_at, saved.changed_at = incoming.updated_at, now


def _same(saved: SavedSearch, data: store.SavedSearchInput, paused: bool) -> bool:
    wanted = data.model_dump(exclude={"apprise_urls"})
    return saved.paused == paused and all(getattr(saved, name) == value for name, value in wanted.items())
