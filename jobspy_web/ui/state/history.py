"""Past searches, newest first."""

from __future__ import annotations

import reflex as rx

from jobspy_web.core.sites import SITES
from jobspy_web.db import read_session, write_session
from jobspy_web.search import runner
from jobspy_web.ui.state.auth import AuthState


class HistoryState(AuthState):
    searches: list[dict[str, str]] = []

    @rx.event
    def load(self) -> None:
        user = self._current_user()
        if user is None:
            self.searches = []
            return
        with write_session() as session:
            runner.mark_interrupted(session=session)
        with read_session() as session:
            found = runner.recent_searches(session=session, owner_id=user.id, limit=50)
        self.searches = [
            {
                "id": str(item.id),
                "label": item.label,
                "status": item.status.value,
                "job_count": str(item.job_count),
                "sites": ", ".join(SITES.get(site, site) for site in item.site_outcomes),
                "created_at": item.created_at.strftime("%Y-%m-%d %H:%M UTC"),
            }
            for item in found
        ]
