"""The desktop app's Premium features, with the license key as the sign-in: salary insights
from the server, and the tracker and saved searches synced with the person's account (last
writer wins per item, each conflict kept as a note the Settings page shows).

A sync pushes the local items changed since the last push (the server applies them
last-writer-wins and says which of its copies were newer), then pulls the server's items
changed since the last pull and applies them here the same way (tracker.sync and
saved_searches.sync on both ends); the tracker first, then the saved searches, each with
cursors of its own.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlmodel import Session

from jobspy_web.accounts import local_mode
from jobspy_web.accounts.entitlements import tier_for_user
from jobspy_web.client import PremiumClient, PremiumError
from jobspy_web.saved_searches import sync as saved_sync
from jobspy_web.settings import get_settings
from jobspy_web.tracker import sync
from jobspy_web.tracker.inputs import TrackedJobSync

__all__ = ["SyncReport", "last_sync", "salary_insights", "sync_tracker"]

MAX_NOTES = 20


@dataclass(frozen=True)
class SyncReport:
    synced_at: str = ""
    sent: int = 0
    received: int = 0
    notes: list[str] = field(default_factory=list)  # conflicts: whose copy was kept, and why
    pushed_since: str | None = None
    pulled_since: str | None = None
    searches_sent: int = 0  # saved searches, with cursors of their own
    searches_received: int = 0
    searches_pushed_since: str | None = None
    searches_pulled_since: str | None = None


def _sync_file() -> Path:
    return local_mode.local_data_dir() / "sync.json"


def last_sync() -> SyncReport:
    try:
        return SyncReport(**json.loads(_sync_file().read_text()))
    except (OSError, ValueError, TypeError):
        return SyncReport()


def _premium_client() -> PremiumClient:
    status = local_mode.license_status()
    key = local_mode.stored_key()
    if not status.licensed or not key:
        raise PremiumError("Salary insights and sync come with a Pro license: enter your key first.")
    return PremiumClient(get_settings().license_server_url, license_key=key)


def salary_insights(*, title: str, location: str | None = None) -> dict[str, Any]:
    """The server's answer for `title` in `location` (see api/premium.py); PremiumError otherwise."""
    client = _premium_client()
    try:
        return client.salary_insights(title=title, location=location)
    finally:
        client.close()


def _as_sync_item(item: dict[str, Any]) -> dict[str, Any]:
    # The public shape, less what only the server writes (TrackedJobSync forbids the rest).
    return {name: value for name, value in item.items() if name != "created_at"}


def _apply_here(session: Session, owner_id: Any, pulled: list[dict[str, Any]]) -> list[str]:
    notes: list[str] = []
    incoming: list[TrackedJobSync] = []
    for item in pulled:
        try:
            incoming.append(TrackedJobSync.model_validate(_as_sync_item(item)))
        except ValidationError:
            notes.append(f"Skipped “{item.get('title', '?')}” from your account: this version can't read it.")
    for result in sync.apply_changes(session=session, owner_id=owner_id, incoming=incoming):
        if result.status == "conflict":
            title = (result.item or {}).get("title", "a job")
            notes.append(f"“{title}”: the copy on this computer was changed later and was kept; it goes to your account next.")
    return notes


def _apply_searches_here(session: Session, owner: Any, pulled: list[dict[str, Any]]) -> list[str]:
    notes: list[str] = []
    incoming: list[saved_sync.SavedSearchSync] = []
    names: dict[str, str] = {}
    for item in pulled:
        try:
            incoming.append(saved_sync.SavedSearchSync.model_validate(item))
            names[str(item.get("id"))] = str(item.get("name") or "a saved search")
        except ValidationError:
            notes.append(f"Skipped the saved search “{item.get('name', '?')}” from your account: this version can't read it.")
    tier = tier_for_user(session=session, user=owner)
    for result in saved_sync.apply_changes(session=session, owner_id=owner.id, tier=tier, incoming=incoming):
        name = names.get(str(result.id), "a saved search")
        if result.status == "conflict":
            notes.append(f"Saved search “{name}”: the copy on this computer was changed later and was kept; it goes to your account next.")
        elif result.status == "refused" and result.note:
            notes.append(f"Saved search “{name}” from your account: {result.note}")
    return notes


def _sync_searches(session: Session, client: PremiumClient, owner: Any, previous: SyncReport) -> tuple[int, int, str | None, list[str]]:
    """Push then pull the saved searches: (sent, received, the next pull's cursor, notes)."""
    since = datetime.fromisoformat(previous.searches_pushed_since) if previous.searches_pushed_since else None
    local = saved_sync.changes_since(session=session, owner_id=owner.id, since=since).items
    notes: list[str] = []
    if local:
        names = {item["id"]: item.get("name") or "a saved search" for item in local}
        answer = client.push_saved_searches(local)
        for result in answer.get("results", []):
            if result.get("status") in ("conflict", "refused") and result.get("note"):
                notes.append(f"Saved search “{names.get(result.get('id'), 'a saved search')}”: {result['note']}")
    pulled = client.saved_search_changes(since=previous.searches_pulled_since)
    notes += _apply_searches_here(session, owner, pulled.get("items", []))
    return len(local), len(pulled.get("items", [])), pulled.get("next_since"), notes


def sync_tracker(*, session: Session) -> SyncReport:
    """Push then pull the tracker, then the saved searches (the Settings page's Sync now); the
    report (counts and conflict notes) is kept for the Settings page."""
    previous = last_sync()
    owner = local_mode.ensure_local_user(session=session)
    started = datetime.now(UTC)
    client = _premium_client()
    try:
        since = datetime.fromisoformat(previous.pushed_since) if previous.pushed_since else None
        local = sync.changes_since(session=session, owner_id=owner.id, since=since).items
        notes: list[str] = []
        if local:
            answer = client.push_tracker([_as_sync_item(item) for item in local])
            for result in answer.get("results", []):
                if result.get("status") in ("conflict", "refused") and result.get("note"):
                    notes.append(f"“{(result.get('item') or {}).get('title', 'a job')}”: {result['note']}")
        pulled = client.tracker_changes(since=previous.pulled_since)
        notes += _apply_here(session, owner.id, pulled.get("items", []))
        searches_sent, searches_received, searches_pulled_since, search_notes = _sync_searches(session, client, owner, previous)
        notes += search_notes
    finally:
        client.close()
    report = SyncReport(
        synced_at=started.isoformat(timespec="seconds"),
        sent=len(local),
        received=len(pulled.get("items", [])),
        notes=notes[:MAX_NOTES],
        pushed_since=started.isoformat(),
        pulled_since=pulled.get("next_since"),
        searches_sent=searches_sent,
        searches_received=searches_received,
        searches_pushed_since=started.isoformat(),
        searches_pulled_since=searches_pulled_since,
    )
    local_mode.write_private(_sync_file(), json.dumps(asdict(report)))
    return report
