"""The tracker page's state: the person's tracked jobs as board columns and as a list, and
the one being edited. It calls the tracker domain and shows what it answers."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Any

import reflex as rx

from jobspy_web.core.errors import DomainError
from jobspy_web.core.sites import SITES
from jobspy_web.db import read_session, write_session
from jobspy_web.models import TrackerStage
from jobspy_web.tracker import export, items
from jobspy_web.tracker.inputs import TrackedJobUpdate
from jobspy_web.ui import routes
from jobspy_web.ui.state.auth import AuthState

STAGE_LABELS = {
    "saved": "Saved",
    "applied": "Applied",
    "interviewing": "Interviewing",
    "offer": "Offer",
    "rejected": "Rejected",
    "withdrawn": "Withdrawn",
}
STAGE_ORDER = [stage.value for stage in TrackerStage]
SORTS = {"updated", "title", "company", "stage", "follow_up"}


def _day(moment: str | None) -> str:
    return moment[:10] if moment else ""


def _card(shown: dict[str, Any]) -> dict[str, str]:
    stage = shown["stage"]
    return {
        "id": shown["id"],
        "title": shown["title"],
        "company": shown["company"] or "",
        "location": shown["location"] or "",
        "site": SITES.get(shown["site"], "Elsewhere"),
        "url": shown["url"],
        "salary": shown["salary_text"] or "",
        "stage": stage,
        "stage_label": STAGE_LABELS[stage],
        "since": _day(shown["stage_dates"][stage]),  # when it reached its stage
        "follow_up_on": shown["follow_up_on"] or "",
        "notes": shown["notes"],
        "updated": _day(shown["updated_at"]),
        "updated_at": shown["updated_at"],
    }


def _sorted(cards: list[dict[str, str]], sort: str) -> list[dict[str, str]]:
    if sort in ("title", "company"):
        return sorted(cards, key=lambda card: card[sort].lower())
    if sort == "stage":
        return sorted(cards, key=lambda card: STAGE_ORDER.index(card["stage"]))
    if sort == "follow_up":  # soonest first, those without a date last
        return sorted(cards, key=lambda card: (card["follow_up_on"] == "", card["follow_up_on"]))
    return sorted(cards, key=lambda card: card["updated_at"], reverse=True)


class TrackerState(AuthState):
    view: str = "board"  # board | list
    columns: dict[str, list[dict[str, str]]] = {stage: [] for stage in STAGE_ORDER}
    column_counts: dict[str, int] = {stage: 0 for stage in STAGE_ORDER}
    rows: list[dict[str, str]] = []  # the list view, filtered and sorted
    total: int = 0
    filter_stage: str = "all"
    filter_text: str = ""
    sort: str = "updated"
    _cards: list[dict[str, str]] = []
    _dragging: str = ""

    # The job open in the edit dialog.
    edit_open: bool = False
    editing: dict[str, str] = {}
    editing_postings: list[dict[str, str]] = []
    edit_errors: dict[str, str] = {}

    @rx.event
    def load(self) -> Any:
        user = self._current_user()
        if user is None:
            return rx.redirect(f"{routes.LOGIN}?next={routes.TRACKER}")
        self._reload(user.id)
        return None

    def _reload(self, owner_id: uuid.UUID) -> None:
        with read_session() as session:
            found = items.list_items(session=session, owner_id=owner_id)
            shown = items.public_items(session=session, items=found)
        self._cards = [_card(item) for item in shown]
        self._arrange()

    def _arrange(self) -> None:
        self.columns = {stage: [card for card in self._cards if card["stage"] == stage] for stage in STAGE_ORDER}
        self.column_counts = {stage: len(cards) for stage, cards in self.columns.items()}
        self.total = len(self._cards)
        words = self.filter_text.lower().split()
        kept = [
            card
            for card in self._cards
            if (self.filter_stage == "all" or card["stage"] == self.filter_stage)
            and all(word in f"{card['title']} {card['company']} {card['location']} {card['notes']}".lower() for word in words)
        ]
        self.rows = _sorted(kept, self.sort)

    @rx.event
    def show_view(self, view: str | list[str]) -> None:
        if isinstance(view, str) and view in ("board", "list"):
            self.view = view

    @rx.event
    def set_list_filter(self, name: str, value: str) -> None:
        if name == "filter_stage" and value in ("all", *STAGE_ORDER):
            self.filter_stage = value
        elif name == "filter_text":
            self.filter_text = value[:200]
        elif name == "sort" and value in SORTS:
            self.sort = value
        self._arrange()

    def _change(self, item_id: str, changes: TrackedJobUpdate) -> str | None:
        """Apply `changes`; the domain's sentence when it refuses."""
        owner_id = self._require_user_id()
        try:
            with write_session() as session:
                items.update_item(session=session, owner_id=owner_id, item_id=uuid.UUID(item_id), changes=changes)
        except (DomainError, ValueError) as error:
            self._reload(owner_id)
            return getattr(error, "message", "") or "That change couldn't be made."
        self._reload(owner_id)
        return None

    @rx.event
    def move(self, item_id: str, stage: str) -> Any:
        """The touch path (a card's select and buttons) and the end of a drag."""
        if stage not in STAGE_ORDER:
            return None
        refusal = self._change(item_id, TrackedJobUpdate(stage=TrackerStage(stage)))
        return rx.toast.error(refusal) if refusal else None

    @rx.event
    def step(self, item_id: str, direction: int) -> Any:
        card = next((card for card in self._cards if card["id"] == item_id), None)
        if card is None:
            return None
        position = STAGE_ORDER.index(card["stage"]) + (1 if direction > 0 else -1)
        if not 0 <= position < len(STAGE_ORDER):
            return None
        return TrackerState.move(item_id, STAGE_ORDER[position])

    @rx.event
    def start_drag(self, item_id: str) -> None:
        self._dragging = item_id

    @rx.event
    def drop_on(self, stage: str) -> Any:
        item_id, self._dragging = self._dragging, ""
        dropped = next((card for card in self._cards if card["id"] == item_id), None)
        if dropped is None or dropped["stage"] == stage:  # back where it was: nothing changed
            return None
        return TrackerState.move(item_id, stage)

    # --- the edit dialog ---------------------------------------------------------------

    @rx.event
    def open_item(self, item_id: str) -> Any:
        owner_id = self._require_user_id()
        try:
            with read_session() as session:
                found = items.get_item(session=session, owner_id=owner_id, item_id=uuid.UUID(item_id))
                [shown] = items.public_items(session=session, items=[found])
        except (DomainError, ValueError):
            self._reload(owner_id)
            return rx.toast.error("That job is no longer in your tracker.")
        self.editing = _card(shown)
        self.editing_postings = [{"site": SITES.get(p["site"], "Elsewhere"), "url": p["url"]} for p in shown["postings"]]
        self.edit_errors = {}
        self.edit_open = True
        return None

    @rx.event
    def set_edit_open(self, is_open: bool) -> None:
        self.edit_open = is_open

    @rx.event
    def save_item(self, form_data: dict[str, Any]) -> Any:
        item_id = self.editing.get("id", "")
        follow_up = str(form_data.get("follow_up_on") or "").strip()
        try:
            follow_up_on = date.fromisoformat(follow_up) if follow_up else None
        except ValueError:
            self.edit_errors = {"follow_up_on": "Pick a date, or leave it empty."}
            return None
        stage = str(form_data.get("stage") or self.editing.get("stage", "saved"))
        notes = str(form_data.get("notes") or "")
        try:
            changes = TrackedJobUpdate(stage=TrackerStage(stage), notes=notes, follow_up_on=follow_up_on)
        except ValueError as error:  # notes past the limit, an unknown stage
            self.edit_errors = {"notes": str(error).splitlines()[-1]}
            return None
        refusal = self._change(item_id, changes)
        if refusal:
            self.edit_errors = {"form": refusal}
            return None
        self.edit_open = False
        return rx.toast.success("Saved.")

    @rx.event
    def delete_item(self) -> Any:
        owner_id = self._require_user_id()
        try:
            with write_session() as session:
                items.delete_item(session=session, owner_id=owner_id, item_id=uuid.UUID(self.editing.get("id", "")))
        except (DomainError, ValueError):
            pass  # already gone: the reload below shows that
        self.edit_open = False
        self._reload(owner_id)
        return rx.toast.info("Removed from your tracker.")

    # --- export ------------------------------------------------------------------------

    @rx.event
    async def export(self, export_format: str) -> Any:
        user = self._current_user()
        if user is None:
            return rx.redirect(routes.LOGIN)
        if not self._cards:
            return rx.toast.info("Nothing to export yet.")
        stages = [TrackerStage(self.filter_stage)] if self.view == "list" and self.filter_stage != "all" else []
        try:
            data = await export.export_tracker(user_id=user.id, tier=self.tier, export_format=export_format, stages=stages)
        except DomainError as error:  # the day's exports are used up
            return rx.toast.error(error.message)
        return rx.download(data=data, filename=f"job-tracker.{export_format}")
