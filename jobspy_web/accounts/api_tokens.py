"""Personal API tokens: created, named, listed and revoked by their owner.

The secret (`jsw_` + 43 URL-safe characters) is shown once; we keep its SHA-256. A plain
hash is enough because the secret is 256 random bits: there is nothing to brute-force,
and a fast hash lets us find the row by it.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from typing import Any, ClassVar

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, func, select

from jobspy_web.accounts import jwt_tokens, users
from jobspy_web.accounts.entitlements import tier_for_user
from jobspy_web.accounts.jwt_tokens import IssuedToken
from jobspy_web.core.errors import DomainError
from jobspy_web.infra import audit
from jobspy_web.models.account import ApiToken
from jobspy_web.models.base import utcnow
from jobspy_web.models.user import User

__all__ = [
    "MAX_LIVE_TOKENS",
    "ApiTokenError",
    "ApiTokenErrorCode",
    "ApiTokenSummary",
    "CreatedToken",
    "authenticate_api_token",
    "create_api_token",
    "exchange_api_token",
    "exchange_password",
    "hash_secret",
    "list_api_tokens",
    "revoke_api_token",
]

SECRET_PREFIX = "jsw_"
SECRET_PATTERN = re.compile(r"jsw_[A-Za-z0-9_-]{43}")
SHOWN_PREFIX_CHARS = len(SECRET_PREFIX) + 8  # enough to tell tokens apart in a list
MAX_NAME_CHARS = 100
MAX_LIVE_TOKENS = 20


class ApiTokenErrorCode(str, Enum):
    INVALID_NAME = "INVALID_NAME"
    TOO_MANY_TOKENS = "TOO_MANY_TOKENS"


class ApiTokenError(DomainError):
    """A token that can't be made as asked: a bad name (422) or too many live ones (409)."""

    status = 422
    statuses: ClassVar[Mapping[Any, int]] = {ApiTokenErrorCode.INVALID_NAME: 422, ApiTokenErrorCode.TOO_MANY_TOKENS: 409}


@dataclass(frozen=True)
class CreatedToken:
    token_row: ApiToken
    secret: str  # the only time it exists outside the client


@dataclass(frozen=True)
class ApiTokenSummary:
    """What the owner may see of a token: never the hash."""

    id: uuid.UUID
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _clean_name(name: object) -> str:
    cleaned = " ".join(name.split()) if isinstance(name, str) else ""
    if not cleaned:
        raise ApiTokenError(ApiTokenErrorCode.INVALID_NAME, "Give the token a name, e.g. the script that uses it.")
    if len(cleaned) > MAX_NAME_CHARS:
        raise ApiTokenError(ApiTokenErrorCode.INVALID_NAME, f"Use at most {MAX_NAME_CHARS} characters for the name.")
    return cleaned


def _owned_by(user_id: uuid.UUID, *, live_only: bool) -> list[ColumnElement[bool]]:
    owned = [col(ApiToken.user_id) == user_id]
    return [*owned, col(ApiToken.revoked_at).is_(None)] if live_only else owned


def create_api_token(
    *,
    session: Session,
    user: User,
    name: str,
    ip: str | None = None,
    user_agent: str | None = None,
) -> CreatedToken:
    """A new token for `user`; raises ApiTokenError for a bad name or too many live tokens."""
    cleaned = _clean_name(name)
    # Lock the owner's row so two concurrent creates can't both see 19 and make 21.
    session.exec(select(User.id).where(User.id == user.id).with_for_update())
    live = session.exec(select(func.count()).select_from(ApiToken).where(*_owned_by(user.id, live_only=True))).one()
    if live >= MAX_LIVE_TOKENS:
        raise ApiTokenError(
            ApiTokenErrorCode.TOO_MANY_TOKENS,
            f"You have {MAX_LIVE_TOKENS} tokens already; revoke one you no longer use.",
        )
    secret = SECRET_PREFIX + secrets.token_urlsafe(32)
    token = ApiToken(
        user_id=user.id,
        name=cleaned,
        secret_hash=hash_secret(secret),
        prefix=secret[:SHOWN_PREFIX_CHARS],
    )
    session.add(token)
    session.flush()
    audit.record(
        session=session,
        action="api_token.create",
        actor_id=user.id,
        subject_type="api_token",
        subject_id=token.id,
        ip=ip,
        user_agent=user_agent,
        details={"name": cleaned},
    )
    return CreatedToken(token_row=token, secret=secret)


def list_api_tokens(*, session: Session, user: User, include_revoked: bool = False) -> list[ApiTokenSummary]:
    """The user's tokens, newest first; live ones only unless asked."""
    rows = session.exec(
        select(ApiToken).where(*_owned_by(user.id, live_only=not include_revoked)).order_by(col(ApiToken.created_at).desc())
    )
    return [
        ApiTokenSummary(
            id=row.id,
            name=row.name,
            prefix=row.prefix,
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )
        for row in rows
    ]


def revoke_api_token(
    *,
    session: Session,
    user: User,
    token_id: uuid.UUID,
    ip: str | None = None,
    user_agent: str | None = None,
) -> bool:
    """Revoke one of the user's own live tokens; False if there is no such token."""
    token = session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        return False
    token.revoked_at = utcnow()
    session.add(token)
    # Access tokens already minted from it stop working now, not when the cache expires.
    jwt_tokens.mark_api_token_revoked(token.id)
    audit.record(
        session=session,
        action="api_token.revoke",
        actor_id=user.id,
        subject_type="api_token",
        subject_id=token.id,
        ip=ip,
        user_agent=user_agent,
        details={"name": token.name},
    )
    return True


def authenticate_api_token(*, session: Session, secret: str) -> tuple[User, ApiToken] | None:
    """The owner and token for a live secret of an active user, noting its use; else None."""
    if not isinstance(secret, str) or not SECRET_PATTERN.fullmatch(secret):
        return None
    token = session.exec(select(ApiToken).where(ApiToken.secret_hash == hash_secret(secret))).first()
    if token is None or token.revoked_at is not None:
        return None
    user = session.get(User, token.user_id)
    if user is None or not user.is_active:
        return None
    token.last_used_at = utcnow()
    session.add(token)
    return user, token


# --- exchange for a short-lived access token (POST /auth/token) ---------------------------


def exchange_api_token(*, session: Session, secret: str) -> IssuedToken | None:
    """An access token for a live personal API token; None for anything else."""
    found = authenticate_api_token(session=session, secret=secret)
    if found is None:
        return None
    user, token = found
    tier = tier_for_user(session=session, user=user)
    return jwt_tokens.issue_access_token(user=user, tier=tier, api_token_id=token.id)


def exchange_password(*, session: Session, email: str, password: str) -> IssuedToken | None:
    """An access token for an active user's email and password; None otherwise."""
    user = users.authenticate(session=session, email=email, password=password)
    if user is None:
        return None
    return jwt_tokens.issue_access_token(user=user, tier=tier_for_user(session=session, user=user))
