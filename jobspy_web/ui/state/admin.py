"""The admin page: users and their tiers, the outbox, recent audit events."""

from __future__ import annotations

import uuid

import reflex as rx

from jobspy_web.db import read_session, write_session
from jobspy_web.models import Role, User
from jobspy_web.services import accounts, audit, mail
from jobspy_web.services.tiers import tier_for_user
from jobspy_web.ui.state.auth import AuthState

_WHEN = "%Y-%m-%d %H:%M"


class AdminState(AuthState):
    users: list[dict[str, str]] = []
    outbox: list[dict[str, str]] = []
    events: list[dict[str, str]] = []

    @rx.event
    def load(self) -> rx.event.EventSpec | None:
        redirect = self.require_admin()
        if redirect is not None or not self.is_admin:
            return redirect
        self._refresh()
        return None

    def _refresh(self) -> None:
        with read_session() as session:
            self.users = [
                {
                    "id": str(user.id),
                    "email": user.email,
                    "role": user.role.value,
                    "tier": tier_for_user(session=session, user=user).value,
                    "verified": "yes" if user.email_verified_at else "no",
                    "created": user.created_at.strftime(_WHEN),
                }
                for user in accounts.list_users(session=session)
            ]
            self.outbox = [
                {"to": message.to_address, "subject": message.subject, "body": message.body, "when": message.created_at.strftime(_WHEN), "sent": "sent" if message.sent_at else "not sent"}
                for message in mail.outbox(session=session)
            ]
            self.events = [
                {"action": event.action, "subject": f"{event.subject_type or ''} {event.subject_id or ''}".strip(), "ip": event.ip or "", "when": event.created_at.strftime(_WHEN)}
                for event in audit.recent(session=session, limit=100)
            ]

    @rx.event
    def set_role(self, user_id: str, role: str) -> None:
        admin = self._current_user()
        if admin is None or admin.role != Role.ADMIN:
            return
        with write_session() as session:
            user = session.get(User, uuid.UUID(user_id))
            if user is not None and role in {r.value for r in Role}:
                accounts.set_role(session=session, user=user, role=Role(role), actor_id=admin.id)
        self._refresh()
