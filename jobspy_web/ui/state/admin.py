"""The admin page: users and their tiers, licenses, board health and proxies, the outbox, recent audit events."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

import reflex as rx

from jobspy_web.accounts import users
from jobspy_web.accounts.entitlements import tier_for_user
from jobspy_web.accounts.users import AccountError
from jobspy_web.billing import checkout
from jobspy_web.core.sites import SITES
from jobspy_web.db import read_session, write_session
from jobspy_web.infra import audit, mail
from jobspy_web.infra.log_redaction import redact
from jobspy_web.licensing import licenses
from jobspy_web.licensing.licenses import LicenseError
from jobspy_web.models import Role, User
from jobspy_web.models.base import utcnow
from jobspy_web.search import board_health, proxy_pool
from jobspy_web.settings import get_settings
from jobspy_web.ui.state.auth import AuthState

_WHEN = "%Y-%m-%d %H:%M"


class AdminState(AuthState):
    users: list[dict[str, str]] = []
    licenses: list[dict[str, str]] = []
    outbox: list[dict[str, str]] = []
    events: list[dict[str, str]] = []
    boards: list[dict[str, str]] = []
    proxies: list[dict[str, str]] = []  # one row per (proxy, board it was used for); host:port only
    proxies_configured: bool = False
    issued_key: str = ""  # a key just issued here, shown once
    revealed_mail: dict[str, str] = {}  # {"id", "body"}: one mail with its links, shown once
    admin_error: str = ""
    issue_errors: dict[str, str] = {}  # the license form's fields the server refused, by name

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
                for user in users.list_users(session=session)
            ]
            emails = {user["id"]: user["email"] for user in self.users}
            self.licenses = [
                {
                    "id": str(item.id),
                    "prefix": item.key_prefix,
                    "owner": emails.get(str(item.user_id), item.pending_email or "unassigned"),
                    "type": item.license_type,
                    "status": licenses.standing(item),  # the rules validate applies: expired shows expired
                    "expires": item.expires_at.strftime(_WHEN) if item.expires_at else "never",
                    "validations": str(item.validation_count),
                }
                for item in licenses.list_licenses(session=session, limit=200)
            ]
            self.outbox = [
                {
                    "id": str(message.id),
                    "to": message.to_address,
                    "subject": message.subject,
                    # Live confirmation and reset links stay out of the page: reveal_mail shows one.
                    "body": redact(message.body),
                    "when": message.created_at.strftime(_WHEN),
                    "sent": "sent" if message.sent_at else "not sent",
                }
                for message in mail.outbox(session=session)
            ]
            self.events = [
                {
                    "action": event.action,
                    # People by their email (the users listed above), other subjects by type and id.
                    "actor": emails.get(str(event.actor_id), str(event.actor_id or "system")),
                    "subject": emails.get(str(event.subject_id))
                    if event.subject_type == "user" and str(event.subject_id) in emails
                    else f"{event.subject_type or ''} {event.subject_id or ''}".strip(),
                    "ip": event.ip or "",
                    "when": event.created_at.strftime(_WHEN),
                }
                for event in audit.recent(session=session, limit=100)
            ]
        self._refresh_boards()

    def _refresh_boards(self) -> None:
        now = utcnow()
        with read_session() as session:
            self.boards = [_board_row(board, now) for board in board_health.summary(session=session, now=now)]
        configured = get_settings().jobspy_proxies
        self.proxies_configured = bool(configured)
        self.proxies = [
            {
                "proxy": health.proxy,
                "site": SITES.get(site.site, site.site),
                "ok": str(site.ok),
                "failed": str(site.failed),
                "state": site.state,
                "until": _when(site.set_aside_until),
            }
            for health in proxy_pool.status(configured, now=now)
            for site in health.sites
        ]
        # A proxy no board has used yet still gets a row: the admin sees it is configured.
        used = {row["proxy"] for row in self.proxies}
        self.proxies += [
            {"proxy": name, "site": "–", "ok": "0", "failed": "0", "state": "untested", "until": ""}
            for name in dict.fromkeys(proxy_pool.display_name(proxy) for proxy in configured)
            if name not in used
        ]

    @rx.event
    def set_role(self, user_id: str, role: str) -> None:
        admin = self._current_user()
        if admin is None or admin.role != Role.ADMIN:
            return
        with write_session() as session:
            user = session.get(User, uuid.UUID(user_id))
            if user is not None and role in {r.value for r in Role}:
                users.set_role(session=session, user=user, role=Role(role), actor_id=admin.id)
        self._refresh()

    def _admin_id(self) -> uuid.UUID | None:
        admin = self._current_user()
        return admin.id if admin is not None and admin.role == Role.ADMIN else None

    @rx.event
    def issue_license(self, form: dict[str, str]) -> Iterator[None]:
        """Issue from the form: email, type, days (empty: perpetual). The key shows once."""
        admin_id = self._admin_id()
        if admin_id is None:
            return
        self.issue_errors, arguments = read_issue_form(form)
        if self.issue_errors:
            self.admin_error, self.issued_key = "", ""
            return
        try:
            with write_session() as session:
                issued = licenses.issue_license(
                    session=session,
                    license_type=arguments["license_type"],
                    **users.license_owner(session=session, email=arguments["email"]),
                    days=arguments["days"],
                    actor_id=admin_id,
                )
                if issued.key and (issued.license.user_id is not None or issued.license.pending_email):
                    # The owner sees it once on their Licenses page too (a pending owner once
                    # they sign up), not only the admin who issued it.
                    checkout.seal_key(issued.license, issued.key)
                    session.add(issued.license)
        except (LicenseError, ValueError, KeyError) as error:
            self.admin_error, self.issued_key = _sentence(error), ""
            return
        self.admin_error, self.issued_key = "", issued.key or ""
        self._refresh()
        yield  # shown once: the browser has it, the stored state never does
        self._forget_shown("issued_key")

    @rx.event
    def reveal_mail(self, message_id: str) -> Iterator[None]:
        """One mail with its live links, to the admin only, shown once (never kept in the state)."""
        if self._admin_id() is None:
            return
        try:
            wanted = uuid.UUID(message_id)
        except ValueError:
            return
        with read_session() as session:
            message = mail.outbox_message(session=session, message_id=wanted)
        if message is None:
            return
        self.revealed_mail = {"id": str(message.id), "body": message.body}
        yield
        self._forget_shown("revealed_mail")

    @rx.event
    def change_license(self, license_id: str, action: str) -> None:
        """suspend | revoke | reinstate | extend30 | type:<tier>; each one lands in the audit log."""
        admin_id = self._admin_id()
        if admin_id is None:
            return
        target = uuid.UUID(license_id)
        try:
            with write_session() as session:
                if action.startswith("type:"):
                    licenses.change_license_type(session=session, license_id=target, license_type=action[5:], actor_id=admin_id)
                elif action == "extend30":
                    licenses.extend_license(session=session, license_id=target, days=30, actor_id=admin_id)
                else:
                    verbs = {
                        "suspend": licenses.suspend_license,
                        "revoke": licenses.revoke_license,
                        "reinstate": licenses.reinstate_license,
                    }
                    verbs[action](session=session, license_id=target, actor_id=admin_id)
        except (LicenseError, KeyError) as error:
            self.admin_error = _sentence(error)
            return
        self.admin_error = ""
        self._refresh()


def _board_row(board: board_health.BoardHealth, now: datetime) -> dict[str, str]:
    failure = board.last_failure
    return {
        "site": board.site,
        "name": board.name,
        "searches": str(board.searches),
        "success": _percent(board.success_rate),
        "median": f"{board.median_ms / 1000:.1f} s" if board.median_ms is not None else "–",
        "blocked": _percent(board.blocked_share),
        "last_failure": f"{_when(failure.at)} · {failure.reason.replace('_', ' ')}" if failure else "none",
        "failure_text": " · ".join(part for part in (failure.message, failure.detail) if part) if failure else "",
        "notice": board.notice.full_text(now) if board.notice else "",
    }


def _percent(share: float | None) -> str:
    return f"{share * 100:.0f} %" if share is not None else "–"


def _when(moment: datetime | None) -> str:
    return f"{moment.strftime(_WHEN)} UTC" if moment is not None else ""


def read_issue_form(form: dict[str, Any]) -> tuple[dict[str, str], dict[str, Any]]:
    """The issue form checked on the server: (a sentence per refused field, issue arguments).

    Each sentence starts with the field's label, so it reads on its own next to the field."""
    errors: dict[str, str] = {}
    email = str(form.get("email", "")).strip()
    if email:
        try:
            email = users.normalise_email(email)
        except AccountError:
            errors["email"] = "Owner's email: enter an address like name@example.com, or leave it empty."
    license_type = str(form.get("license_type", "pro"))
    if license_type not in licenses.LICENSE_TYPES:
        errors["license_type"] = f"Type: choose one of {', '.join(licenses.LICENSE_TYPES)}."
    days_text = str(form.get("days", "")).strip()
    days = int(days_text) if re.fullmatch(r"[0-9]{1,5}", days_text) else None
    if days_text and (days is None or not 1 <= days <= licenses.MAX_DAYS):
        errors["days"] = f"Days: enter a whole number from 1 to {licenses.MAX_DAYS}, or leave it empty for a perpetual license."
    return errors, {"email": email, "license_type": license_type, "days": days}


def _sentence(error: Exception) -> str:
    return str(error) if isinstance(error, LicenseError) else "Check the form: type, email and days."
