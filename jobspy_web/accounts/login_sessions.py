"""Browser sign-ins, kept in the database so they survive restarts and span workers."""

from __future__ import annotations

import hashlib
import secrets
import uuid
from datetime import timedelta

from sqlmodel import Session, col, select

from jobspy_web.infra import audit
from jobspy_web.models import LoginSession, User
from jobspy_web.models.base import utcnow
from jobspy_web.settings import get_settings

COOKIE_NAME = "jobspy_session"
# Set and cleared beside the session cookie, readable by scripts: it only tells the page
# "this browser signed in" so "/" can show a spinner instead of the landing before the
# server has checked. It carries no secret and grants nothing: who is signed in is decided
# from COOKIE_NAME alone. A stale one (session expired) means a spinner, then the landing.
HINT_COOKIE_NAME = "jobspy_signed_in"
# last_seen_at is refreshed at most this often, so reads don't turn into writes.
TOUCH_EVERY = timedelta(minutes=5)


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def fingerprint(secret: str) -> str:
    """A stable, non-reversible name for a cookie value (what the database stores too)."""
    return _hash(secret)


def start_session(*, session: Session, user: User, ip: str | None = None, user_agent: str | None = None) -> str:
    """Create a sign-in and return its secret: the cookie value, never stored."""
    secret = secrets.token_urlsafe(32)
    session.add(
        LoginSession(
            user_id=user.id,
            secret_hash=_hash(secret),
            ip=ip,
            user_agent=(user_agent or "")[:300] or None,
            expires_at=utcnow() + timedelta(days=get_settings().session_days),
        )
    )
    audit.record(
        session=session, action="login.success", actor_id=user.id, subject_type="user", subject_id=user.id, ip=ip, user_agent=user_agent
    )
    return secret


def _live(session: Session, secret: str) -> LoginSession | None:
    if not secret or len(secret) > 100:
        return None
    found = session.exec(select(LoginSession).where(LoginSession.secret_hash == _hash(secret))).first()
    now = utcnow()
    if found is None or found.ended_at is not None or found.expires_at <= now:
        return None
    # Idle timeout: a sign-in unused for SESSION_IDLE_MINUTES ends (last_seen_at is
    # refreshed at most every TOUCH_EVERY, which the idle limit is far above).
    if now - found.last_seen_at > timedelta(minutes=get_settings().session_idle_minutes):
        found.ended_at = now
        session.add(found)
        return None
    return found


def user_for_secret(*, session: Session, secret: str) -> User | None:
    """The signed-in user for a cookie value, or None when it's unknown, ended or expired."""
    found = _live(session, secret)
    if found is None:
        return None
    user = session.get(User, found.user_id)
    if user is None or not user.is_active:
        return None
    if utcnow() - found.last_seen_at > TOUCH_EVERY:
        found.last_seen_at = utcnow()
        session.add(found)
    return user


def end_session(*, session: Session, secret: str) -> None:
    found = _live(session, secret)
    if found is not None:
        found.ended_at = utcnow()
        session.add(found)
        audit.record(session=session, action="logout", actor_id=found.user_id, subject_type="user", subject_id=found.user_id)


def end_session_by_id(*, session: Session, user_id: uuid.UUID, session_id: uuid.UUID) -> bool:
    found = session.get(LoginSession, session_id)
    if found is None or found.user_id != user_id or found.ended_at is not None:
        return False
    found.ended_at = utcnow()
    session.add(found)
    audit.record(session=session, action="session.end", actor_id=user_id, subject_type="session", subject_id=session_id)
    return True


def active_sessions(*, session: Session, user_id: uuid.UUID) -> list[LoginSession]:
    return list(
        session.exec(
            select(LoginSession)
            .where(
                LoginSession.user_id == user_id,
                col(LoginSession.ended_at).is_(None),
                col(LoginSession.expires_at) > utcnow(),
            )
            .order_by(col(LoginSession.last_seen_at).desc())
        )
    )


def is_current(login_session: LoginSession, secret: str) -> bool:
    return login_session.secret_hash == _hash(secret)
