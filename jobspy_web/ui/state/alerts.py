"""The bell and the Alerts page: unread count, the list, one alert's new jobs."""

from __future__ import annotations

import uuid

import reflex as rx

from jobspy_web.alerts import inbox
from jobspy_web.core.errors import DomainError
from jobspy_web.db import read_session, write_session
from jobspy_web.search import jobs
from jobspy_web.ui.state.auth import AuthState


class AlertsState(AuthState):
    unread: int = 0
    alerts: list[dict[str, str]] = []
    # The alert opened at /alerts/[alert_id].
    opened_title: str = ""
    opened_body: str = ""
    opened_jobs: list[dict[str, str]] = []
    opened_error: str = ""

    @rx.var
    def unread_label(self) -> str:
        return "99+" if self.unread > 99 else str(self.unread)

    def _refresh_unread(self, user_id: uuid.UUID) -> None:
        with read_session() as session:
            self.unread = inbox.unread_count(session=session, user_id=user_id)

    @rx.event
    def load_unread(self) -> None:
        user = self._current_user()
        if user is None:
            self.unread = 0
            return
        self._refresh_unread(user.id)

    @rx.event
    def load(self) -> None:
        user = self._current_user()
        if user is None:
            self.alerts, self.unread = [], 0
            return
        with read_session() as session:
            found = inbox.list_alerts(session=session, user_id=user.id)
            self.unread = inbox.unread_count(session=session, user_id=user.id)
        self.alerts = [
            {
                "id": str(alert.id),
                "title": alert.title,
                "body": alert.body,
                "read": "read" if alert.read_at else "unread",
                "created_at": alert.created_at.strftime("%Y-%m-%d %H:%M UTC"),
            }
            for alert in found
        ]

    @rx.event
    def open_alert(self) -> None:
        """on_load of /alerts/[alert_id]: the alert's new jobs, and it counts as read."""
        user = self._current_user()
        self.opened_title, self.opened_body, self.opened_jobs, self.opened_error = "", "", [], ""
        if user is None:
            return
        try:
            alert_id = uuid.UUID(str(self.router.page.params.get("alert_id", "")))
            with write_session() as session:
                alert, found = inbox.open_alert(session=session, user_id=user.id, alert_id=alert_id)
        except (ValueError, DomainError):
            self.opened_error = inbox.AlertError.messages["NOT_FOUND"]
            return
        self.opened_title, self.opened_body = alert.title, alert.body
        self.opened_jobs = [
            {
                "title": job.title,
                "company": job.company or "",
                "location": job.location or "",
                "salary": jobs.salary_text(job),
                "job_url": job.job_url,
            }
            for job in found
        ]
        self._refresh_unread(user.id)

    @rx.event
    def mark_all_read(self) -> None:
        user = self._current_user()
        if user is None:
            return
        with write_session() as session:
            inbox.mark_all_read(session=session, user_id=user.id)
        self.load()
