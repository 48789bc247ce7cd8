"""Signing in with GitHub or Google: decide what an OAuth identity means for our accounts.

Linking an identity to an existing account is always explicit: an unlinked identity whose
email matches an account does NOT sign into it; the person signs in with their password
and connects the provider from the account page.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from enum import Enum

from pydantic import SecretStr
from sqlmodel import Session, select

from jobspy_web.accounts.users import find_user, normalise_email
from jobspy_web.infra import audit
from jobspy_web.models import OAuthIdentity, User
from jobspy_web.models.base import utcnow
from jobspy_web.settings import Settings, get_settings


@dataclass(frozen=True)
class Provider:
    name: str
    authorize_url: str
    access_token_url: str
    userinfo_url: str
    scope: str


PROVIDERS = {
    "github": Provider(
        "github",
        "https://github.com/login/oauth/authorize",
        "https://github.com/login/oauth/access_token",
        "https://api.github.com/user",
        "read:user user:email",
    ),
    "google": Provider(
        "google",
        "https://accounts.google.com/o/oauth2/v2/auth",
        "https://oauth2.googleapis.com/token",
        "https://openidconnect.googleapis.com/v1/userinfo",
        "openid email profile",
    ),
}


def configured_providers() -> list[str]:
    settings = get_settings()
    return [provider for provider in ("github", "google") if all(client_credentials(provider, settings))]


def client_credentials(provider: str, settings: Settings | None = None) -> tuple[str, str]:
    settings = settings or get_settings()
    secret: SecretStr = getattr(settings, f"{provider}_client_secret")
    return getattr(settings, f"{provider}_client_id"), secret.get_secret_value()


class Outcome(str, Enum):
    SIGNED_IN = "signed_in"
    CREATED = "created"
    LINKED = "linked"
    NEEDS_LINK = "needs_link"  # the email has an account: sign in with it, then connect
    LINKED_ELSEWHERE = "linked_elsewhere"  # this identity belongs to another account
    NO_EMAIL = "no_email"


@dataclass(frozen=True)
class OAuthResult:
    outcome: Outcome
    user: User | None = None


def resolve_identity(
    *,
    session: Session,
    provider: str,
    subject: str,
    email: str | None,
    email_verified: bool,
    current_user_id: uuid.UUID | None = None,
) -> OAuthResult:
    identity = session.exec(select(OAuthIdentity).where(OAuthIdentity.provider == provider, OAuthIdentity.subject == subject)).first()
    if current_user_id is not None:  # connecting from the account page
        if identity is not None and identity.user_id != current_user_id:
            return OAuthResult(Outcome.LINKED_ELSEWHERE)
        user = session.get(User, current_user_id)
        if identity is None:
            session.add(OAuthIdentity(user_id=current_user_id, provider=provider, subject=subject, email=email))
            audit.record(
                session=session,
                action="oauth.link",
                actor_id=current_user_id,
                subject_type="user",
                subject_id=current_user_id,
                details={"provider": provider},
            )
        return OAuthResult(Outcome.LINKED, user)
    if identity is not None:
        user = session.get(User, identity.user_id)
        return OAuthResult(Outcome.SIGNED_IN, user) if user and user.is_active else OAuthResult(Outcome.NO_EMAIL)
    if not email or not email_verified:
        return OAuthResult(Outcome.NO_EMAIL)
    address = normalise_email(email)
    if find_user(session=session, email=address) is not None:
        return OAuthResult(Outcome.NEEDS_LINK)
    user = User(email=address, email_verified_at=utcnow())
    session.add(user)
    session.flush()
    session.add(OAuthIdentity(user_id=user.id, provider=provider, subject=subject, email=address))
    audit.record(
        session=session, action="user.sign_up", actor_id=user.id, subject_type="user", subject_id=user.id, details={"provider": provider}
    )
    return OAuthResult(Outcome.CREATED, user)
