"""Past searches, newest first, a page at a time: reopen, run again, refill, rename, delete."""

from __future__ import annotations

import uuid
from typing import Any

import reflex as rx

from jobspy_web.core.sites import SITES
from jobspy_web.db import read_session, write_session
from jobspy_web.search import runner
from jobspy_web.search.params import SearchParamsError
from jobspy_web.ui.state.auth import AuthState

PAGE_SIZE = 20


class HistoryState(AuthState):
    searches: list[dict[str, str]] = []
    page: int = 0
    has_next: bool = False
    renaming_id: str = ""  # the search whose name is being edited
    rename_error: str = ""

    @rx.event
    def load(self) -> None:
        self.page, self.renaming_id, self.rename_error = 0, "", ""
        self._refresh()

    def _refresh(self) -> None:
        user = self._current_user()
        if user is None:
            self.searches, self.has_next = [], False
            return
        with write_session() as session:
            runner.mark_interrupted(session=session)
        with read_session() as session:
            # One more than a page: whether a next page exists, without counting them all.
            found = runner.recent_searches(session=session, owner_id=user.id, limit=PAGE_SIZE + 1, offset=self.page * PAGE_SIZE)
        self.has_next = len(found) > PAGE_SIZE
        self.searches = [
            {
                "id": str(item.id),
                "label": item.label,
                "status": item.status.value,
                "active": "yes" if item.status.is_active else "",
                "job_count": str(item.job_count),
                "sites": ", ".join(SITES.get(site, site) for site in item.site_outcomes),
                "created_at": item.created_at.strftime("%Y-%m-%d %H:%M UTC"),
            }
            for item in found[:PAGE_SIZE]
        ]

    @rx.event
    def next_page(self) -> None:
        if self.has_next:
            self.page += 1
            self._refresh()

    @rx.event
    def previous_page(self) -> None:
        if self.page > 0:
            self.page -= 1
            self._refresh()

    @rx.event
    def start_rename(self, search_id: str) -> None:
        self.renaming_id, self.rename_error = search_id, ""

    @rx.event
    def cancel_rename(self) -> None:
        self.renaming_id, self.rename_error = "", ""

    @rx.event
    def rename(self, form: dict[str, Any]) -> Any:
        owner_id = self._require_user_id()
        try:
            with write_session() as session:
                renamed = runner.rename_search(
                    session=session, search_id=uuid.UUID(self.renaming_id), owner_id=owner_id, label=str(form.get("label", ""))
                )
        except (SearchParamsError, ValueError) as error:
            self.rename_error = error.problems.get("label", "") if isinstance(error, SearchParamsError) else "Name: try again."
            return None
        self.renaming_id, self.rename_error = "", ""
        self._refresh()
        return rx.toast.success("Renamed.") if renamed is not None else rx.toast.error("That search no longer exists.")

    @rx.event
    def delete(self, search_id: str) -> Any:
        owner_id = self._require_user_id()
        with write_session() as session:
            deleted = runner.delete_search(session=session, search_id=uuid.UUID(search_id), owner_id=owner_id)
        self._refresh()
        if not self.searches and self.page > 0:  # the last one of its page
            self.page -= 1
            self._refresh()
        return rx.toast.success("Search deleted.") if deleted else rx.toast.error("A running search can't be deleted; cancel it first.")
