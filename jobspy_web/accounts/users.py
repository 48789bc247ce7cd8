"""Accounts: sign up, sign in, verify email, reset and change password, export, delete."""

from __future__ import annotations

import hashlib
import re
import uuid
from collections.abc import Mapping
from datetime import timedelta
from enum import Enum
from typing import Any, ClassVar

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import update
from sqlmodel import Session, col, select

from jobspy_web.accounts.passwords import MIN_LENGTH, REFUSED, hash_password, needs_rehash, password_problem, verify_password
from jobspy_web.core.errors import DomainError
from jobspy_web.infra import audit, mail
from jobspy_web.infra.local_secrets import secret_key
from jobspy_web.licensing import licenses
from jobspy_web.models import (
    LoginSession,
    OAuthIdentity,
    Role,
    User,
)
from jobspy_web.models.base import utcnow
from jobspy_web.settings import get_settings

EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]+\.[^@\s]{2,}$")
VERIFY_LINK_HOURS = 48
RESET_LINK_HOURS = 1


class AccountErrorCode(str, Enum):
    INVALID_EMAIL = "INVALID_EMAIL"
    EMAIL_TAKEN = "EMAIL_TAKEN"
    WEAK_PASSWORD = "WEAK_PASSWORD"
    WRONG_PASSWORD = "WRONG_PASSWORD"
    INVALID_LINK = "INVALID_LINK"
    EXPIRED_LINK = "EXPIRED_LINK"
    USED_LINK = "USED_LINK"
    INVALID_NAME = "INVALID_NAME"
    BILLING_UNAVAILABLE = "BILLING_UNAVAILABLE"


class AccountError(DomainError):
    """An account request that can't be done; a raise may word its case more exactly."""

    status = 400
    messages: ClassVar[Mapping[Any, str]] = {
        AccountErrorCode.INVALID_EMAIL: "Enter a valid email address.",
        AccountErrorCode.EMAIL_TAKEN: "An account with this email already exists. Sign in, or reset your password.",
        AccountErrorCode.WEAK_PASSWORD: f"Choose a password of at least {MIN_LENGTH} characters that isn't your email. {REFUSED}",
        AccountErrorCode.WRONG_PASSWORD: "Your current password is not right.",
        AccountErrorCode.INVALID_LINK: "This link isn't valid. Copy the whole link from the email.",
        AccountErrorCode.EXPIRED_LINK: "This link has expired. Ask for a new one.",
        AccountErrorCode.USED_LINK: "This link was already used.",
        AccountErrorCode.INVALID_NAME: "Use at most 200 characters for your name.",
        AccountErrorCode.BILLING_UNAVAILABLE: "We couldn't reach our payment provider just now, so nothing was changed. Please try again.",
    }
    statuses: ClassVar[Mapping[Any, int]] = {
        AccountErrorCode.INVALID_EMAIL: 422,
        AccountErrorCode.EMAIL_TAKEN: 409,
        AccountErrorCode.WEAK_PASSWORD: 422,
        AccountErrorCode.WRONG_PASSWORD: 403,
        AccountErrorCode.INVALID_LINK: 400,
        AccountErrorCode.EXPIRED_LINK: 400,
        AccountErrorCode.USED_LINK: 409,
        AccountErrorCode.INVALID_NAME: 422,
        AccountErrorCode.BILLING_UNAVAILABLE: 503,
    }


def normalise_email(email: str) -> str:
    """Trimmed and lower-cased; raises AccountError when it can't be an address."""
    normal = (email or "").strip().lower()
    if len(normal) > 320 or not EMAIL_PATTERN.match(normal):
        raise AccountError(AccountErrorCode.INVALID_EMAIL)
    return normal


def _check_name(full_name: str) -> str:
    name = (full_name or "").strip()
    if len(name) > 200:
        raise AccountError(AccountErrorCode.INVALID_NAME)
    return name


def find_user(*, session: Session, email: str) -> User | None:
    try:
        return session.exec(select(User).where(User.email == normalise_email(email))).first()
    except AccountError:
        return None


def license_owner(*, session: Session, email: str | None) -> dict[str, Any]:
    """`issue_license` arguments for an address: its account's id, or the address itself to
    keep with the license until someone signs up with it."""
    if not email:
        return {}
    user = find_user(session=session, email=email)
    return {"user_id": user.id} if user else {"pending_email": email.strip().lower()}


def sign_up(
    *, session: Session, email: str, password: str, full_name: str = "", ip: str | None = None, verified: bool = False
) -> User:
    """A new account; `verified` (an operator vouching for the address) sends no confirmation mail."""
    address = normalise_email(email)
    if problem := password_problem(password, email=address):
        raise AccountError(AccountErrorCode.WEAK_PASSWORD, problem)
    if find_user(session=session, email=address) is not None:
        raise AccountError(AccountErrorCode.EMAIL_TAKEN)
    user = User(email=address, password_hash=hash_password(password), full_name=_check_name(full_name) or None)
    session.add(user)
    session.flush()
    audit.record(session=session, action="user.sign_up", actor_id=user.id, subject_type="user", subject_id=user.id, ip=ip)
    if verified:
        user.email_verified_at = utcnow()
        licenses.claim_pending(session=session, user_id=user.id, email=address)
    else:
        send_verification(session=session, user=user)
    return user


def sign_up_from_the_web(*, session: Session, email: str, password: str, full_name: str = "", ip: str | None = None) -> User | None:
    """sign_up for the public form, which must not tell who has an account: for an address
    already taken it does the same work (a password hash) and mails the owner instead;
    None then, and the form answers exactly as for a new account."""
    address = normalise_email(email)
    if problem := password_problem(password, email=address):
        raise AccountError(AccountErrorCode.WEAK_PASSWORD, problem)
    existing = find_user(session=session, email=address)
    if existing is None:
        return sign_up(session=session, email=address, password=password, full_name=full_name, ip=ip)
    hash_password(password)  # the time a new account's hash takes, so the answer is as slow
    mail.send_mail(
        session=session,
        to=existing.email,
        subject="Someone tried to create an account with your address",
        body="Someone (perhaps you) tried to create a JobSpy Web account with this email address, "
        "which already has one. If it was you, sign in, or reset your password from the sign-in page. "
        "If not, you can ignore this mail: nothing changed.",
    )
    audit.record(session=session, action="user.sign_up_taken", subject_type="user", subject_id=existing.id, ip=ip)
    return None


def authenticate(*, session: Session, email: str, password: str) -> User | None:
    """The user if the password is right and the account active; None otherwise (same timing)."""
    user = find_user(session=session, email=email)
    if not verify_password(user.password_hash if user else None, password) or user is None or not user.is_active:
        return None
    if user.password_hash and needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
        session.add(user)
    return user


def record_login_failure(*, session: Session, email: str, ip: str | None, user_agent: str | None) -> None:
    user = find_user(session=session, email=email)
    audit.record(
        session=session,
        action="login.failure",
        subject_type="user" if user else None,
        subject_id=user.id if user else None,
        ip=ip,
        user_agent=user_agent,
    )


# --- signed, single-use, expiring links ------------------------------------------------


def _serializer(purpose: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key(), salt=f"jobspy-web/{purpose}")


def _password_fingerprint(user: User) -> str:
    # Changes whenever the password does, which retires every reset link issued before.
    return hashlib.sha256((user.password_hash or "").encode()).hexdigest()[:16]


def _link(path: str, token: str) -> str:
    return f"{get_settings().public_url.rstrip('/')}{path}?token={token}"


def send_verification(*, session: Session, user: User) -> None:
    token = _serializer("verify").dumps({"uid": str(user.id), "email": user.email})
    mail.send_mail(
        session=session,
        to=user.email,
        subject="Confirm your email for JobSpy Web",
        body=f"Welcome to JobSpy Web!\n\nConfirm your email address:\n{_link('/auth/verify', token)}\n\n"
        f"The link works once, for {VERIFY_LINK_HOURS} hours.",
    )


def _load(purpose: str, token: str, hours: int) -> dict[str, Any]:
    try:
        payload = _serializer(purpose).loads(token, max_age=hours * 3600)
    except SignatureExpired:
        raise AccountError(AccountErrorCode.EXPIRED_LINK) from None
    except BadSignature:
        raise AccountError(AccountErrorCode.INVALID_LINK) from None
    return payload  # type: ignore[no-any-return]


def verify_email(*, session: Session, token: str) -> User:
    payload = _load("verify", token, VERIFY_LINK_HOURS)
    user = session.get(User, uuid.UUID(payload["uid"]))
    if user is None or user.email != payload["email"]:
        raise AccountError(AccountErrorCode.INVALID_LINK, "This link isn't valid any more.")
    if user.email_verified_at is not None:
        raise AccountError(AccountErrorCode.USED_LINK, "This email address is already confirmed.")
    user.email_verified_at = utcnow()
    session.add(user)
    licenses.claim_pending(session=session, user_id=user.id, email=user.email)  # the address is proven now
    audit.record(session=session, action="user.verify_email", actor_id=user.id, subject_type="user", subject_id=user.id)
    return user


def request_password_reset(*, session: Session, email: str, ip: str | None = None) -> None:
    """Mail a reset link if the account exists; says nothing either way (no account probing)."""
    user = find_user(session=session, email=email)
    if user is None or not user.is_active:
        return
    token = _serializer("reset").dumps({"uid": str(user.id), "pw": _password_fingerprint(user)})
    mail.send_mail(
        session=session,
        to=user.email,
        subject="Reset your JobSpy Web password",
        body=f"Someone asked to reset your password. If it was you, choose a new one here:\n"
        f"{_link('/reset', token)}\n\nThe link works once, for {RESET_LINK_HOURS} hour. "
        "If it wasn't you, ignore this email.",
    )
    audit.record(session=session, action="user.reset_request", actor_id=user.id, subject_type="user", subject_id=user.id, ip=ip)


def reset_password(*, session: Session, token: str, new_password: str, ip: str | None = None) -> User:
    payload = _load("reset", token, RESET_LINK_HOURS)
    user = session.get(User, uuid.UUID(payload["uid"]))
    if user is None or not user.is_active:
        raise AccountError(AccountErrorCode.INVALID_LINK, "This link isn't valid any more.")
    if payload["pw"] != _password_fingerprint(user):
        raise AccountError(AccountErrorCode.USED_LINK, "This link was already used. Ask for a new one.")
    _set_password(session=session, user=user, new_password=new_password)
    # A reset proves control of the mailbox, so the address counts as confirmed.
    user.email_verified_at = user.email_verified_at or utcnow()
    end_all_sessions(session=session, user_id=user.id)
    audit.record(session=session, action="user.password_reset", actor_id=user.id, subject_type="user", subject_id=user.id, ip=ip)
    return user


def change_password(
    *,
    session: Session,
    user: User,
    current_password: str,
    new_password: str,
    ip: str | None = None,
    keep_session_secret: str = "",
) -> None:
    """A new password; every other sign-in ends (the one whose cookie is
    `keep_session_secret` stays) and access tokens issued before now are refused."""
    if not verify_password(user.password_hash, current_password):
        raise AccountError(AccountErrorCode.WRONG_PASSWORD)
    _set_password(session=session, user=user, new_password=new_password)
    end_all_sessions(session=session, user_id=user.id, except_secret=keep_session_secret)
    audit.record(session=session, action="user.password_change", actor_id=user.id, subject_type="user", subject_id=user.id, ip=ip)


def _set_password(*, session: Session, user: User, new_password: str) -> None:
    if problem := password_problem(new_password, email=user.email):
        raise AccountError(AccountErrorCode.WEAK_PASSWORD, problem)
    user.password_hash = hash_password(new_password)
    # Rounded up to whole seconds, like a JWT's iat: a token minted in this same second,
    # before or after the change, is refused too (asking again a second later works).
    now = utcnow()
    user.password_changed_at = now.replace(microsecond=0) + timedelta(seconds=1 if now.microsecond else 0)
    session.add(user)


def end_all_sessions(*, session: Session, user_id: uuid.UUID, except_secret: str = "") -> None:
    """End the user's sign-ins, all but the one whose cookie is `except_secret` (if any)."""
    statement = update(LoginSession).where(col(LoginSession.user_id) == user_id, col(LoginSession.ended_at).is_(None))
    if except_secret:
        statement = statement.where(col(LoginSession.secret_hash) != hashlib.sha256(except_secret.encode()).hexdigest())
    session.execute(statement.values(ended_at=utcnow()))


def update_profile(*, session: Session, user: User, full_name: str) -> User:
    user.full_name = _check_name(full_name) or None
    session.add(user)
    return user


def set_role(*, session: Session, user: User, role: Role, actor_id: uuid.UUID | None = None) -> User:
    previous = user.role
    user.role = role
    session.add(user)
    audit.record(
        session=session,
        action="user.role_change",
        actor_id=actor_id,
        subject_type="user",
        subject_id=user.id,
        details={"from": previous.value, "to": role.value},
    )
    return user


def list_users(*, session: Session, limit: int = 200) -> list[User]:
    return list(session.exec(select(User).order_by(col(User.created_at).desc()).limit(limit)))


def connected_identities(*, session: Session, user_id: uuid.UUID) -> list[OAuthIdentity]:
    return list(session.exec(select(OAuthIdentity).where(OAuthIdentity.user_id == user_id)))
