"""The desktop app's Premium features, with the license key as the sign-in: salary insights
from the server, and the tracker synced with the person's account (last writer wins per item,
each conflict kept as a note the Settings page shows).

A sync pushes the local items changed since the last push (the server applies them
last-writer-wins and says which of its copies were newer), then pulls the server's items
changed since the last pull and applies them here the same way (tracker.sync on both ends).
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
from jobspy_web.client import PremiumClient, PremiumError
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


def sync_tracker(*, session: Session) -> SyncReport:
    """Push then pull; the report (counts and conflict notes) is kept for the Settings page."""
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
    finally:
        client.close()
    report = SyncReport(
        synced_at=started.isoformat(timespec="seconds"),
        sent=len(local),
        received=len(pulled.get("items", [])),
        notes=notes[:MAX_NOTES],
        pushed_since=started.isoformat(),
        pulled_since=pulled.get("next_since"),
    )
    local_mode.write_private(_sync_file(), json.dumps(asdict(report)))
    return report
