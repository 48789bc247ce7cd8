"""What hangs off a user: login sessions, personal API tokens, OAuth identities, mail."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import UniqueConstraint
from sqlmodel import Field, SQLModel

from jobspy_web.models.base import UTCDateTime, created_at_field, utcnow, uuid_pk


class LoginSession(SQLModel, table=True):
    """A signed-in browser. The cookie holds a random secret; we keep only its SHA-256."""

    __tablename__ = "login_sessions"

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    secret_hash: str = Field(max_length=64, unique=True)
    ip: str | None = Field(default=None, max_length=45)
    user_agent: str | None = Field(default=None, max_length=300)
    created_at: datetime = created_at_field()
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False)
    ended_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ApiToken(SQLModel, table=True):
    """A personal API token: shown once, stored as a hash, exchanged for short-lived JWTs."""

    __tablename__ = "api_tokens"

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    name: str = Field(max_length=100)
    secret_hash: str = Field(max_length=64, unique=True)
    prefix: str = Field(max_length=16)
    created_at: datetime = created_at_field()
    last_used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class RevokedJwt(SQLModel, table=True):
    """JWT ids refused before their expiry (kept until then, then purgeable)."""

    __tablename__ = "revoked_jwts"

    jti: str = Field(primary_key=True, max_length=64)
    expires_at: datetime = Field(sa_type=UTCDateTime, nullable=False, index=True)


class OAuthIdentity(SQLModel, table=True):
    __tablename__ = "oauth_identities"
    __table_args__ = (UniqueConstraint("provider", "subject"),)

    id: uuid.UUID = uuid_pk()
    user_id: uuid.UUID = Field(foreign_key="users.id", index=True, ondelete="CASCADE")
    provider: str = Field(max_length=32)
    subject: str = Field(max_length=255)
    email: str | None = Field(default=None, max_length=320)
    created_at: datetime = created_at_field()


class OutboxMessage(SQLModel, table=True):
    """Every mail we send; without SMTP this is where it waits for the admin to read."""

    __tablename__ = "outbox"

    id: uuid.UUID = uuid_pk()
    to_address: str = Field(max_length=320, index=True)
    subject: str = Field(max_length=200)
    body: str
    created_at: datetime = created_at_field()
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
