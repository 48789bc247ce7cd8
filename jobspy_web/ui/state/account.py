"""The account page: profile, password, sessions, API tokens, connected logins, export, delete."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from typing import Any

import reflex as rx

from jobspy_web.accounts import api_tokens, erasure, login_sessions, login_throttle, users
from jobspy_web.accounts.users import AccountError
from jobspy_web.db import write_session
from jobspy_web.infra import audit
from jobspy_web.models import User
from jobspy_web.ui import routes
from jobspy_web.ui.state.auth import AuthState, forget_signed_in_hint
from jobspy_web.ui.user_agents import describe_user_agent

_WHEN = "%Y-%m-%d %H:%M UTC"


class AccountState(AuthState):
    profile_name: str = ""
    sessions: list[dict[str, str]] = []
    tokens: list[dict[str, str]] = []
    identities: list[dict[str, str]] = []
    new_token_secret: str = ""
    account_message: str = ""
    account_error: str = ""

    @rx.event
    def load(self) -> rx.event.EventSpec | None:
        redirect = self.require_user()
        if redirect is not None:
            return redirect
        self.new_token_secret = ""
        self._refresh()
        return None

    def _refresh(self) -> None:
        secret = self._cookie_secret()
        with write_session() as session:
            user = login_sessions.user_for_secret(session=session, secret=secret)
            if user is None:
                return
            self.profile_name = user.full_name or ""
            self.sessions = [
                {
                    "id": str(item.id),
                    "device": describe_user_agent(item.user_agent),
                    "ip": item.ip or "",
                    "last_seen": item.last_seen_at.strftime(_WHEN),
                    "current": "yes" if login_sessions.is_current(item, secret) else "",
                }
                for item in login_sessions.active_sessions(session=session, user_id=user.id)
            ]
            self.tokens = [
                {
                    "id": str(token.id),
                    "name": token.name,
                    "prefix": token.prefix,
                    "created": token.created_at.strftime(_WHEN),
                    "last_used": token.last_used_at.strftime(_WHEN) if token.last_used_at else "never",
                }
                for token in api_tokens.list_api_tokens(session=session, user=user)
            ]
            self.identities = [
                {"provider": identity.provider.title(), "email": identity.email or ""}
                for identity in users.connected_identities(session=session, user_id=user.id)
            ]

    def _say(self, message: str = "", error: str = "") -> None:
        self.account_message, self.account_error = message, error

    @rx.event
    def save_profile(self, form: dict[str, Any]) -> None:
        user_id = self._require_user_id()
        try:
            with write_session() as session:
                users.update_profile(session=session, user=session.get(User, user_id), full_name=str(form.get("full_name", "")))
        except AccountError as error:
            return self._say(error=error.message)
        self._say("Profile saved.")
        self._refresh()

    @rx.event
    def change_password(self, form: dict[str, Any]) -> None:
        user_id = self._require_user_id()
        if wait_s := self._password_check_waits(user_id):
            return self._say(error=f"Too many wrong passwords. Try again in {wait_s} seconds.")
        try:
            with write_session() as session:
                users.change_password(
                    session=session,
                    user=session.get(User, user_id),
                    current_password=str(form.get("current_password", "")),
                    new_password=str(form.get("new_password", "")),
                    ip=self.router.session.client_ip,
                    keep_session_secret=self._cookie_secret(),  # every other sign-in ends
                )
                login_throttle.succeeded(session=session, bucket=login_throttle.user_bucket(user_id))
        except AccountError as error:
            return self._say(error=error.message)
        self._say("Password changed. Your other sign-ins and access tokens have ended.")
        self._refresh()

    @staticmethod
    def _password_check_waits(user_id: uuid.UUID) -> int:
        """Seconds until this account's password may be checked again (0: go ahead, counted)."""
        with write_session() as session:
            return login_throttle.begin_attempt(session=session, bucket=login_throttle.user_bucket(user_id))

    @rx.event
    def end_session(self, session_id: str) -> None:
        user_id = self._require_user_id()
        with write_session() as session:
            login_sessions.end_session_by_id(session=session, user_id=user_id, session_id=uuid.UUID(session_id))
        self._refresh()

    @rx.event
    def create_token(self, form: dict[str, Any]) -> Iterator[None]:
        user_id = self._require_user_id()
        try:
            with write_session() as session:
                created = api_tokens.create_api_token(session=session, user=session.get(User, user_id), name=str(form.get("name", "")))
        except api_tokens.ApiTokenError as error:
            self._say(error=error.message)
            return
        self.new_token_secret = created.secret
        self._say("Token created. Copy it now: it won't be shown again.")
        self._refresh()
        yield  # the browser has it now; the stored state never does
        self._forget_shown("new_token_secret")

    @rx.event
    def revoke_token(self, token_id: str) -> None:
        user_id = self._require_user_id()
        with write_session() as session:
            api_tokens.revoke_api_token(session=session, user=session.get(User, user_id), token_id=uuid.UUID(token_id))
        self._say("Token revoked.")
        self._refresh()

    @rx.event
    def export_data(self) -> rx.event.EventSpec:
        user_id = self._require_user_id()
        with write_session() as session:
            user = session.get(User, user_id)
            data = erasure.export_user_data(session=session, user=user)
            audit.record(
                session=session,
                action="user.export",
                actor_id=user_id,
                subject_type="user",
                subject_id=user_id,
                ip=self.router.session.client_ip,
            )
        return rx.download(data=json.dumps(data, indent=1, default=str), filename="jobspy-web-my-data.json")

    @rx.event
    def delete_account(self, form: dict[str, Any]) -> rx.event.EventSpec | list[rx.event.EventSpec] | None:
        user_id = self._require_user_id()
        if wait_s := self._password_check_waits(user_id):
            self._say(error=f"Too many wrong passwords. Try again in {wait_s} seconds.")
            return None
        with write_session() as session:
            user = session.get(User, user_id)
            if str(form.get("confirm_email", "")).strip().lower() != user.email:
                self._say(error="Type your email address exactly to confirm.")
                return None
            if not users.authenticate(session=session, email=user.email, password=str(form.get("password", ""))):
                self._say(error="Your password is not right.")
                return None
            try:
                erasure.delete_account(session=session, user=user, ip=self.router.session.client_ip)
            except AccountError as error:
                self._say(error=error.message)
                return None
        self._show_user(None, "")
        return [forget_signed_in_hint(), rx.redirect(f"{routes.LOGIN}?notice=account_deleted")]
