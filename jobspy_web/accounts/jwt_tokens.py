"""Short-lived RS256 access tokens for API clients: signing key, issue, verify, revoke.

The private key comes from JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE; in development,
without either, a key pair is generated once into DATA_DIR/jwt_private.pem (mode 0600).
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import Enum
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar

from anyio import to_thread
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from joserfc import jws, jwt
from joserfc.errors import (
    ExpiredTokenError,
    InvalidClaimError,
    JoseError,
    MissingClaimError,
)
from joserfc.jwk import RSAKey
from sqlalchemy import event, inspect
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session, col, delete

from jobspy_web.core.errors import DomainError
from jobspy_web.core.tiers import Tier
from jobspy_web.db import read_session
from jobspy_web.infra.cache import get_cache
from jobspy_web.infra.local_secrets import write_private_file
from jobspy_web.models.account import ApiToken, RevokedJwt
from jobspy_web.models.base import utcnow
from jobspy_web.models.user import User
from jobspy_web.settings import get_settings, on_reset

__all__ = [
    "ALGORITHM",
    "AccessClaims",
    "IssuedToken",
    "SigningKeyError",
    "TokenError",
    "TokenErrorCode",
    "issue_access_token",
    "mark_api_token_revoked",
    "public_jwks",
    "revoke_jti",
    "signing_key",
    "user_for_claims",
    "verify_access_token",
    "verify_access_token_async",
]

ALGORITHM = "RS256"
DEV_KEY_FILENAME = "jwt_private.pem"
MAX_TOKEN_CHARS = 4096  # ours are ~800; anything far longer is not worth parsing
# Clock skew between the hosts that issue and the hosts that verify.
LEEWAY_SECONDS = 30
# How long "this jti / API token is not revoked" may be remembered. Revoking overwrites
# the entry at once; the window only matters for another process racing the revocation.
NOT_REVOKED_CACHE_SECONDS = 15


class SigningKeyError(RuntimeError):
    """The signing key is missing or unusable; the message names the variable to fix."""


class TokenErrorCode(str, Enum):
    MALFORMED = "MALFORMED"
    WRONG_ALGORITHM = "WRONG_ALGORITHM"
    BAD_SIGNATURE = "BAD_SIGNATURE"
    MISSING_CLAIM = "MISSING_CLAIM"
    EXPIRED = "EXPIRED"
    WRONG_AUDIENCE = "WRONG_AUDIENCE"
    WRONG_ISSUER = "WRONG_ISSUER"
    REVOKED = "REVOKED"
    ACCOUNT_INACTIVE = "ACCOUNT_INACTIVE"  # the account behind it was deleted or deactivated


class TokenError(DomainError):
    """Why an access token was refused: a stable `code` and a sentence for people. Always a
    401, which the API answers with a Bearer challenge (RFC 6750)."""

    status = 401
    messages: ClassVar[Mapping[Any, str]] = {
        TokenErrorCode.MALFORMED: "The access token is not a well-formed JWT from this service.",
        TokenErrorCode.WRONG_ALGORITHM: f"Access tokens must be signed with {ALGORITHM}.",
        TokenErrorCode.BAD_SIGNATURE: "The access token's signature does not match our key.",
        TokenErrorCode.MISSING_CLAIM: "The access token lacks a required claim.",
        TokenErrorCode.EXPIRED: "The access token has expired; exchange your API token for a new one.",
        TokenErrorCode.WRONG_AUDIENCE: "The access token was issued for another audience.",
        TokenErrorCode.WRONG_ISSUER: "The access token was issued by someone else.",
        TokenErrorCode.REVOKED: "The access token has been revoked.",
        TokenErrorCode.ACCOUNT_INACTIVE: "This account was deleted or deactivated.",
    }


@dataclass(frozen=True)
class IssuedToken:
    token: str
    expires_in: int  # seconds
    jti: str
    tier: Tier


@dataclass(frozen=True)
class AccessClaims:
    user_id: uuid.UUID
    tier: Tier
    jti: str
    issued_at: datetime
    expires_at: datetime
    api_token_id: uuid.UUID | None  # set when minted from a personal API token
    license_id: uuid.UUID | None = None  # set when minted from a license key (grant_type=license_key)


# --- the signing key ---------------------------------------------------------------------


def signing_key() -> RSAKey:
    """The private key we sign with (its `kid` is the RFC 7638 thumbprint)."""
    settings = get_settings()
    return _load_signing_key(
        settings.jwt_private_key.get_secret_value(),
        settings.jwt_private_key_file,
        settings.data_dir.resolve(),
        settings.environment,
    )


@lru_cache(maxsize=4)
def _load_signing_key(pem: str, pem_file: Path | None, data_dir: Path, environment: str) -> RSAKey:
    if pem and pem_file:
        raise SigningKeyError("Set JWT_PRIVATE_KEY or JWT_PRIVATE_KEY_FILE, not both.")
    if pem:
        return _import_private_key(pem, source="JWT_PRIVATE_KEY")
    if pem_file:
        return _import_private_key(pem_file.read_text(), source="JWT_PRIVATE_KEY_FILE")
    if environment == "production":
        # A generated key would differ per host and vanish with the container.
        raise SigningKeyError(
            "JWT_PRIVATE_KEY (or JWT_PRIVATE_KEY_FILE) must be set in production: an RSA private key of at least 2048 bits, PEM encoded."
        )
    path = data_dir / DEV_KEY_FILENAME
    return _import_private_key(_read_or_create_dev_key(path), source=str(path))


def _import_private_key(pem: str, *, source: str) -> RSAKey:
    try:
        native = serialization.load_pem_private_key(pem.encode(), password=None)
    except (ValueError, TypeError):
        raise SigningKeyError(f"{source}: not an unencrypted PEM private key.") from None
    if not isinstance(native, rsa.RSAPrivateKey) or native.key_size < 2048:
        raise SigningKeyError(f"{source}: must be an RSA private key of at least 2048 bits.")
    key = RSAKey.import_key(native, parameters={"use": "sig", "alg": ALGORITHM})
    key.ensure_kid()
    return key


def _read_or_create_dev_key(path: Path) -> str:
    if not path.exists():
        native = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        pem = native.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        write_private_file(path, pem)
    return path.read_text()


def public_jwks() -> dict[str, Any]:
    """The JSON Web Key Set clients verify our tokens with (public parts only): the
    signing key, and during a rotation the previous one (JWT_PREVIOUS_PUBLIC_KEY)."""
    return {"keys": [key.as_dict(private=False) for key in _verification_keys()]}


def _verification_keys() -> list[RSAKey]:
    previous = previous_public_key()
    return [signing_key(), *([previous] if previous is not None else [])]


def previous_public_key() -> RSAKey | None:
    """The key that signed before the current one, still honoured until its tokens expire."""
    return _load_previous_key(get_settings().jwt_previous_public_key)


@lru_cache(maxsize=4)
def _load_previous_key(pem: str) -> RSAKey | None:
    if not pem.strip():
        return None
    try:
        key = RSAKey.import_key(pem.replace("\\n", "\n").encode(), parameters={"use": "sig", "alg": ALGORITHM})
    except (ValueError, TypeError) as error:
        raise SigningKeyError(f"JWT_PREVIOUS_PUBLIC_KEY is not an RSA public key (PEM): {type(error).__name__}") from None
    key.ensure_kid()
    return key


def _key_for(header: Mapping[str, Any]) -> RSAKey:
    # The token names its key by kid; only ours are candidates, never a key it carries.
    for key in _verification_keys():
        if key.kid == header.get("kid"):
            return key
    return signing_key()


# --- issue -------------------------------------------------------------------------------


def issue_access_token(
    *,
    user: User,
    tier: Tier,
    api_token_id: uuid.UUID | None = None,
    license_id: uuid.UUID | None = None,
    ttl_seconds: int | None = None,
) -> IssuedToken:
    """Sign a short-lived access token for `user` at `tier` (JWT_TTL_SECONDS, or less)."""
    settings = get_settings()
    key = signing_key()
    now = int(time.time())
    jti = uuid.uuid4().hex
    ttl = min(ttl_seconds or settings.jwt_ttl_seconds, settings.jwt_ttl_seconds)
    claims: dict[str, Any] = {
        "iss": settings.jwt_issuer,
        "aud": settings.jwt_audience,
        "sub": str(user.id),
        "tier": Tier(tier).value,
        "iat": now,
        "exp": now + ttl,
        "jti": jti,
    }
    if api_token_id is not None:
        claims["tid"] = str(api_token_id)
    if license_id is not None:
        claims["lid"] = str(license_id)
    header = {"alg": ALGORITHM, "kid": key.kid}
    token = jwt.encode(header, claims, key, algorithms=[ALGORITHM])
    return IssuedToken(token=token, expires_in=ttl, jti=jti, tier=Tier(tier))


# --- verify ------------------------------------------------------------------------------

# Checked in this order, so a token that is both expired and for another audience is
# reported the same way every time.
_CLAIM_ORDER = ("exp", "aud", "iss", "iat", "nbf", "sub", "jti", "tier", "tid", "lid")


def verify_access_token(token: str) -> AccessClaims:
    """The claims of a token we issued and still honour; raises TokenError otherwise.

    Checks, in order: shape, algorithm (RS256 only, decided before any key is used),
    signature, required claims, expiry, audience, issuer, claim types, revocation of
    the jti and of the personal API token it was minted from.
    """
    access = _verified_claims(token)
    if _is_revoked(_jti_key(access.jti), lambda session: _jti_revoked(session, access.jti)):
        raise TokenError(TokenErrorCode.REVOKED)
    token_id = access.api_token_id
    if token_id is not None and _is_revoked(_api_token_key(token_id), lambda session: _api_token_revoked(session, token_id)):
        raise TokenError(TokenErrorCode.REVOKED, "The API token behind this access token was revoked.")
    _check_holder(access)
    return access


@dataclass(frozen=True)
class _Verified:
    access: AccessClaims
    expires: int  # the exp claim
    settings: object  # the settings it was verified under (keys, issuer, audience)


# Tokens whose signature and claims were checked, by their text: the same token comes back
# on every call of a client (a search polled each second), and the RS256 check and the
# claims registry cost ~400 us of CPU each time. What can change about a verified token is
# re-checked on every call: expiry here, revocation and the account in verify_access_token.
VERIFIED_TOKENS_KEPT = 4096
_verified: dict[str, _Verified] = {}


def _verified_claims(token: str) -> AccessClaims:
    known = _verified.get(token) if isinstance(token, str) else None
    if known is not None and known.settings is get_settings() and known.expires > int(time.time()) - LEEWAY_SECONDS:
        return known.access  # still within exp (and leeway), as joserfc would find it
    header, signed = _parse_compact(token)
    if header.get("alg") != ALGORITHM:
        raise TokenError(TokenErrorCode.WRONG_ALGORITHM)
    try:
        # Headers such as jku/x5u are ignored: the key is always ours, never the token's.
        valid = jws.validate_compact(signed, _key_for(header), algorithms=[ALGORITHM])
    except JoseError:
        raise TokenError(TokenErrorCode.MALFORMED) from None
    if not valid:
        raise TokenError(TokenErrorCode.BAD_SIGNATURE)

    claims = _claims_of(signed.payload)
    _check_registered_claims(claims)
    access = _access_claims(claims)
    if len(_verified) >= VERIFIED_TOKENS_KEPT:
        _verified.clear()  # bounded: a burst of new tokens costs a re-check, never memory
    _verified[token] = _Verified(access, int(claims["exp"]), get_settings())
    return access


on_reset(_verified.clear)


def _holder_key(user_id: uuid.UUID) -> str:
    return f"jwt:holder:{user_id}"


async def verify_access_token_async(token: str) -> AccessClaims:
    """verify_access_token for the event loop: the same checks in the same order, answered
    from what is remembered (the verified token in the process; its jti's, its API token's
    and its account's state in one cache round trip) without a thread; whatever is not
    remembered is looked up by verify_access_token in a worker thread."""
    access = _verified_claims(token)
    token_id = access.api_token_id
    keys = [_jti_key(access.jti), *([_api_token_key(token_id)] if token_id is not None else []), _holder_key(access.user_id)]
    remembered = await get_cache().get_many_async(*keys)
    if any(value is None for value in remembered):
        return await to_thread.run_sync(verify_access_token, token)
    if remembered[0]:
        raise TokenError(TokenErrorCode.REVOKED)
    if token_id is not None and remembered[1]:
        raise TokenError(TokenErrorCode.REVOKED, "The API token behind this access token was revoked.")
    _refuse_unless_holding(access, remembered[-1])
    return access


def _check_holder(access: AccessClaims) -> None:
    """Refuse a token whose account was deleted or deactivated, or whose password changed
    after the token was issued: the claims alone are not trusted for this.

    The account's state is one primary-key read on the primary, remembered in the cache
    for NOT_REVOKED_CACHE_SECONDS; every commit that deactivates or deletes a user or
    changes their password forgets it (_forget_changed_holders), so a change made through
    the app counts at once on every route and every worker. Only a change made outside
    the app (SQL by hand), or a read racing that commit, waits out the window.
    """
    cache = get_cache()
    key = _holder_key(access.user_id)
    holder: dict[str, Any] | None = cache.get(key)
    if holder is None:
        with read_session(fresh=True) as session:
            user = session.get(User, access.user_id)
            changed = user.password_changed_at if user is not None else None
            holder = {
                "active": user is not None and user.is_active,
                "password_changed_at": changed.timestamp() if changed is not None else None,
            }
        cache.set(key, holder, ttl_s=NOT_REVOKED_CACHE_SECONDS)
    _refuse_unless_holding(access, holder)


def _refuse_unless_holding(access: AccessClaims, holder: Any) -> None:
    if not holder["active"]:
        raise TokenError(TokenErrorCode.ACCOUNT_INACTIVE)
    changed_at = holder["password_changed_at"]
    if changed_at is not None and access.issued_at.timestamp() < changed_at:
        raise TokenError(TokenErrorCode.REVOKED, "The account's password changed after this access token was issued; get a new one.")


_HOLDER_FIELDS = ("is_active", "password_changed_at")
_CHANGED_HOLDERS = "jwt_tokens.changed_holders"  # in Session.info: user ids to forget on commit


@event.listens_for(OrmSession, "before_flush")
def _note_changed_holders(session: OrmSession, _context: Any, _instances: Any) -> None:
    changed = {
        user.id
        for user in (*session.dirty, *session.deleted)
        if isinstance(user, User)
        and (user in session.deleted or any(inspect(user).attrs[name].history.has_changes() for name in _HOLDER_FIELDS))
    }
    if changed:
        session.info.setdefault(_CHANGED_HOLDERS, set()).update(changed)


@event.listens_for(OrmSession, "after_commit")
def _forget_changed_holders(session: OrmSession) -> None:
    changed = session.info.pop(_CHANGED_HOLDERS, None)
    if changed:
        get_cache().delete(*(_holder_key(user_id) for user_id in changed))


@event.listens_for(OrmSession, "after_soft_rollback")
def _drop_changed_holders(session: OrmSession, _previous: Any) -> None:
    session.info.pop(_CHANGED_HOLDERS, None)


def _parse_compact(token: object) -> tuple[dict[str, Any], jws.CompactSignature]:
    if not isinstance(token, str) or not token or len(token) > MAX_TOKEN_CHARS:
        raise TokenError(TokenErrorCode.MALFORMED)
    try:
        signed = jws.extract_compact(token.encode())
        header = signed.headers()
    except (JoseError, ValueError, TypeError, UnicodeError):
        raise TokenError(TokenErrorCode.MALFORMED) from None
    if not isinstance(header, dict):
        raise TokenError(TokenErrorCode.MALFORMED)
    return header, signed


def _claims_of(payload: bytes) -> dict[str, Any]:
    try:
        claims = json.loads(payload)
    except (ValueError, UnicodeError):
        raise TokenError(TokenErrorCode.MALFORMED) from None
    if not isinstance(claims, dict):
        raise TokenError(TokenErrorCode.MALFORMED)
    return claims


def _check_registered_claims(claims: dict[str, Any]) -> None:
    settings = get_settings()
    registry = jwt.JWTClaimsRegistry(
        leeway=LEEWAY_SECONDS,
        iss={"essential": True, "value": settings.jwt_issuer},
        aud={"essential": True, "value": settings.jwt_audience},
        sub={"essential": True},
        jti={"essential": True},
        exp={"essential": True},
        iat={"essential": True},
        tier={"essential": True, "values": [tier.value for tier in Tier]},
    )
    ordered = {name: claims[name] for name in _CLAIM_ORDER if name in claims}
    ordered.update(claims)
    try:
        registry.validate(ordered)
    except MissingClaimError as error:
        missing = error.claim.replace(",", ", ")
        raise TokenError(TokenErrorCode.MISSING_CLAIM, f"The access token lacks: {missing}.") from None
    except ExpiredTokenError:
        raise TokenError(TokenErrorCode.EXPIRED) from None
    except InvalidClaimError as error:
        code = {"aud": TokenErrorCode.WRONG_AUDIENCE, "iss": TokenErrorCode.WRONG_ISSUER}
        raise TokenError(code.get(error.claim, TokenErrorCode.MALFORMED)) from None


def _access_claims(claims: dict[str, Any]) -> AccessClaims:
    # Only reached with our signature, so a bad value here means a bug, not an attack:
    # still refuse it cleanly rather than raise something unexpected.
    try:
        jti = claims["jti"]
        if not isinstance(jti, str) or len(jti) > 64:
            raise ValueError("jti")
        tid, lid = claims.get("tid"), claims.get("lid")
        return AccessClaims(
            user_id=uuid.UUID(claims["sub"]),
            tier=Tier(claims["tier"]),
            jti=jti,
            issued_at=datetime.fromtimestamp(claims["iat"], UTC),
            expires_at=datetime.fromtimestamp(claims["exp"], UTC),
            api_token_id=uuid.UUID(tid) if tid is not None else None,
            license_id=uuid.UUID(lid) if lid is not None else None,
        )
    except (ValueError, TypeError, AttributeError, OverflowError, OSError):
        raise TokenError(TokenErrorCode.MALFORMED) from None


# --- revocation --------------------------------------------------------------------------


def _jti_key(jti: str) -> str:
    return f"jwt:jti-revoked:{jti}"


def _api_token_key(token_id: uuid.UUID) -> str:
    return f"jwt:api-token-revoked:{token_id}"


def _is_revoked(cache_key: str, look_up: Callable[[Session], bool]) -> bool:
    cache = get_cache()
    cached = cache.get(cache_key)
    if cached is not None:
        return bool(cached)
    with read_session() as session:
        revoked = look_up(session)
    ttl = get_settings().jwt_ttl_seconds if revoked else NOT_REVOKED_CACHE_SECONDS
    cache.set(cache_key, revoked, ttl_s=ttl)
    return revoked


def _jti_revoked(session: Session, jti: str) -> bool:
    return session.get(RevokedJwt, jti) is not None


def _api_token_revoked(session: Session, token_id: uuid.UUID) -> bool:
    token = session.get(ApiToken, token_id)
    return token is None or token.revoked_at is not None


def revoke_jti(*, session: Session, jti: str, expires_at: datetime) -> None:
    """Refuse the access token `jti` from now on (kept until it would have expired).

    Revocations of tokens that have expired anyway are deleted on the way, so the table
    only ever holds live tokens' and needs no job to keep it small.
    """
    cutoff = datetime.fromtimestamp(time.time() - LEEWAY_SECONDS, UTC)
    session.exec(delete(RevokedJwt).where(col(RevokedJwt.expires_at) < cutoff))
    if session.get(RevokedJwt, jti) is None:
        session.add(RevokedJwt(jti=jti, expires_at=expires_at))
    # Marked before the caller commits: if the commit fails we refuse a live token for
    # a while, which is the safe way round.
    remaining = (expires_at - utcnow()).total_seconds()
    get_cache().set(_jti_key(jti), True, ttl_s=max(1.0, remaining + LEEWAY_SECONDS))


def mark_api_token_revoked(token_id: uuid.UUID) -> None:
    """Mark tokens minted from API token `token_id` as revoked in the cache, at once."""
    ttl = get_settings().jwt_ttl_seconds + LEEWAY_SECONDS
    get_cache().set(_api_token_key(token_id), True, ttl_s=ttl)


def user_for_claims(*, session: Session, claims: AccessClaims) -> User | None:
    """The active user a verified token speaks for; None if deleted or deactivated since."""
    user = session.get(User, claims.user_id)
    return user if user is not None and user.is_active else None
