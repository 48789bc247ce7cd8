"""The License Server: issue keys, validate them, bind them to machines, manage them.

Validation
    `validate_license` answers valid, or invalid with one `LicenseCode`, checking in this
    fixed order (the first failure wins):

      1. NOT_FOUND             no license has this key: all a key guesser can ever learn
      2. REVOKED               revoked, for good
      3. SUSPENDED             suspended until an operator reinstates it
      4. EXPIRED               expires_at has passed (null: perpetual)
      5. VERSION_UNSUPPORTED   app_version is older than LICENSE_MIN_APP_VERSION
      6. FINGERPRINT_MISMATCH  a single-machine license (max_machines 1) runs on another machine
         TOO_MANY_MACHINES     a multi-machine license already runs on max_machines others

Machines
    A fingerprint new to a license is activated (a `license_machines` row) when there is
    room, by its first validate or by `activate_machine`; `deactivate_machine` frees the
    slot. If max_machines falls below the number of machines (a change of type), the first
    max_machines to have activated keep working and the others get the code of step 6.

Cache
    Answers are remembered per key and fingerprint, under
    `license:<sha256(key)>:<sha256(fingerprint)[:32]>`: valid for an hour, invalid for five
    minutes. An entry keeps the answer as it was sent, body and signature, so a hit sends
    it again without rendering or signing (its `checked_at` is when the database decided);
    expiry and app version are checked again on every hit, and only an answer that check
    changes is signed anew. A miss counts the validation with one `UPDATE licenses ...
    RETURNING` (validation_count + 1, exact under concurrency), which also locks the row,
    then touches its machine with a second statement (the lock must come first: each
    statement reads the machines as of its start), and caches its answer before committing.
    Every change to a license takes the same lock, then forgets the license's answers,
    listed in the cache group `license:<sha256(key)>:answers`; so no answer from before a
    change outlives it and a revoked key fails its very next validate. Without Redis no
    answer is cached: a change made in another process (the CLI, say) could not reach this
    one's memory, and a SQLite lookup is fast enough for one person's installs.

    licensing.validate is the pipeline: it reads the cache in the Redis round trip of its
    rate limits (rate_limits.hit_each), then calls answer_from_cache, or on a miss: with
    PostgreSQL, one statement (licensing.store.MISS) on the event loop, deciding with
    decide_from_license and caching with remember_answer, which checks the generation
    read beside the answer, since it holds no lock by then; otherwise, and to bind a new
    machine, answer_from_database here, in a thread.

Issue, extend, change_license_type, suspend and the rest are written to be called again
with the same arguments (webhook retries): a repeat changes nothing and logs nothing.
Every change is in the audit log as `license.<verb>`.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import Enum
from functools import lru_cache
from typing import Any, NamedTuple

import orjson
from sqlalchemy import Row
from sqlmodel import Session, col, select

from jobspy_web.core.errors import DomainError
from jobspy_web.core.tiers import Tier, TierRules, rules_for
from jobspy_web.infra import audit
from jobspy_web.infra.cache import generation_key, get_cache
from jobspy_web.licensing import keys, store
from jobspy_web.licensing.signing import get_signer
from jobspy_web.models.base import utcnow
from jobspy_web.models.license import (
    License,
    LicenseMachine,
    LicenseMachinePublic,
    LicensePublic,
    LicenseStatus,
)
from jobspy_web.settings import get_settings

__all__ = [
    "LICENSE_TYPES",
    "CacheKeys",
    "IssuedLicense",
    "LicenseCode",
    "LicenseError",
    "SignedAnswer",
    "Validation",
    "activate_machine",
    "answer_cache_keys",
    "answer_from_cache",
    "answer_from_database",
    "caches_answers",
    "change_license_type",
    "claim_pending",
    "deactivate_machine",
    "decide_from_license",
    "describe_license",
    "expire_license",
    "extend_license",
    "find_license",
    "issue_license",
    "licenses_for_user",
    "list_licenses",
    "regenerate_key",
    "reinstate_license",
    "remember_answer",
    "revoke_license",
    "sign_answer",
    "standing",
    "suspend_license",
    "validate_license",
    "version_supported",
]

VALID_TTL_S = 3600
MAX_DAYS = 3650  # ten years: past it, use a perpetual license (and datetime can't overflow)
INVALID_TTL_S = 300
# A key tried on more machines than this within the hour is answered from the database.
MAX_CACHED_FINGERPRINTS = 100
LICENSE_TYPES = (Tier.FREE.value, Tier.PRO.value, Tier.TEAM.value)
APP_VERSION_PATTERN = r"^\d{1,6}(\.\d{1,6}){0,3}([-+][0-9A-Za-z.-]{1,40})?$"


class LicenseCode(str, Enum):
    NOT_FOUND = "NOT_FOUND"
    REVOKED = "REVOKED"
    SUSPENDED = "SUSPENDED"
    EXPIRED = "EXPIRED"
    VERSION_UNSUPPORTED = "VERSION_UNSUPPORTED"
    FINGERPRINT_MISMATCH = "FINGERPRINT_MISMATCH"
    TOO_MANY_MACHINES = "TOO_MANY_MACHINES"
    MACHINE_NOT_FOUND = "MACHINE_NOT_FOUND"  # deactivate: the machine isn't on this license


REASONS = {
    LicenseCode.NOT_FOUND: "No license has this key.",
    LicenseCode.REVOKED: "This license has been revoked.",
    LicenseCode.SUSPENDED: "This license is suspended; please contact support.",
    LicenseCode.EXPIRED: "This license has expired.",
    LicenseCode.VERSION_UNSUPPORTED: "This version of the app is no longer supported; please update it.",
    LicenseCode.FINGERPRINT_MISMATCH: "This license is activated on another machine.",
    LicenseCode.TOO_MANY_MACHINES: "This license is already activated on as many machines as it allows.",
    LicenseCode.MACHINE_NOT_FOUND: "This machine is not activated on this license.",
}
_STATUS_CODES = {LicenseStatus.REVOKED: LicenseCode.REVOKED, LicenseStatus.SUSPENDED: LicenseCode.SUSPENDED}
_FINAL_CODES = (LicenseCode.NOT_FOUND, LicenseCode.REVOKED, LicenseCode.SUSPENDED, LicenseCode.EXPIRED)
_FINAL_CODE_VALUES = frozenset(code.value for code in _FINAL_CODES)


class LicenseError(DomainError):
    """A license request that can't be done: a management verb's (the sentence is for the
    operator), or a validation's (a malformed request, a limit, a busy database)."""

    def __init__(
        self,
        message: str,
        code: str = "LICENSE_REFUSED",
        *,
        status: int = 400,
        fields: dict[str, str] | None = None,
        retry_after_s: int = 0,
    ) -> None:
        super().__init__(code, message, status=status, fields=fields)
        self.retry_after_s = retry_after_s  # for 429 and 503: when to try again


@dataclass(frozen=True)
class Validation:
    """The answer to "may this key run here?": `code` is None when it may."""

    code: LicenseCode | None = None
    license_type: str | None = None
    features: tuple[str, ...] = ()
    expires_at: datetime | None = None

    @property
    def valid(self) -> bool:
        return self.code is None

    def as_json(self) -> dict[str, Any]:
        """The public answer; an invalid one says nothing about the license beyond its code."""
        if self.code is None:
            expires_at = self.expires_at.isoformat() if self.expires_at else None
            return {"valid": True, "license_type": self.license_type, "features": list(self.features), "expires_at": expires_at}
        return {"valid": False, "code": self.code.value, "reason": REASONS[self.code]}

    @classmethod
    def from_json(cls, payload: dict[str, Any]) -> Validation:
        """The answer as_json() gave (a signed answer's body): what a client reads back."""
        if payload["valid"]:
            expires_at = datetime.fromisoformat(payload["expires_at"]) if payload["expires_at"] else None
            return cls(None, payload["license_type"], tuple(payload["features"]), expires_at)
        return cls(LicenseCode(payload["code"]))

    def _to_cache(self) -> dict[str, Any]:
        return {
            "code": self.code.value if self.code else None,
            "license_type": self.license_type,
            "features": list(self.features),
            "expires_at": self.expires_at.isoformat() if self.expires_at else None,
        }

    @classmethod
    def _from_cache(cls, value: dict[str, Any]) -> Validation:
        return cls(
            code=LicenseCode(value["code"]) if value["code"] else None,
            license_type=value["license_type"],
            features=tuple(value["features"]),
            expires_at=datetime.fromisoformat(value["expires_at"]) if value["expires_at"] else None,
        )


@dataclass(frozen=True)
class IssuedLicense:
    license: License
    # Shown once, never stored. None when issue_license returned an earlier license with
    # the same external_ref: that key can't be shown again (regenerate_key makes a new one).
    key: str | None


# --- validation ---------------------------------------------------------------------


@dataclass(frozen=True)
class SignedAnswer:
    """An answer as the License Server sends it: `signature` (the License-Signature
    header, see licensing.signing) covers exactly the bytes of `body`."""

    body: bytes
    signature: str
    code: str | None = None  # the answer's code (None: valid), for metrics without parsing `body`


def sign_answer(payload: dict[str, Any], *, fingerprint: str, checked_at: datetime) -> SignedAnswer:
    """`payload` with the machine it is for and when it was checked, rendered once and signed."""
    stamped = {**payload, "hardware_fp": fingerprint, "checked_at": checked_at.isoformat(timespec="seconds")}
    body = orjson.dumps(stamped)
    return SignedAnswer(body, get_signer().signature_header(body), payload.get("code"))


def validate_license(*, session: Session, key: str, fingerprint: str, app_version: str, now: datetime | None = None) -> Validation:
    """Decide whether `key` may run on `fingerprint`; never raises for a bad key.

    A cached answer is used without touching `session`; otherwise the database decides,
    the validation is counted and a machine with room is activated.
    """
    canonical = keys.parse_key(key)
    if canonical is None:
        return Validation(LicenseCode.NOT_FOUND)
    key_hash = keys.hash_key(canonical)
    now = now or utcnow()
    cached = get_cache().get(_answer_key(key_hash, fingerprint)) if caches_answers() else None
    if cached is not None:
        return _recheck(Validation._from_cache(cached), now=now, app_version=app_version)
    return _validate_in_database(session, key_hash, fingerprint, app_version, now=now)[0]


# The License Server reads the cache in the same Redis round trip as its rate limits, so it
# calls the two halves of validate_license itself, and sends what they sign.


class CacheKeys(NamedTuple):
    """What a validation reads from the cache before it decides: the cached answer and the
    generation of the license's answers; a miss passes the generation read to remember_answer."""

    answer: str
    generation: str


def caches_answers() -> bool:
    """Answers are cached only in Redis, which every process shares (see the docstring)."""
    return bool(get_settings().cache_redis_url)


def answer_cache_keys(*, key_hash: str, fingerprint: str) -> CacheKeys:
    return CacheKeys(_answer_key(key_hash, fingerprint), generation_key(_group_key(key_hash)))


def answer_from_cache(cached: dict[str, Any], *, fingerprint: str, app_version: str, now: datetime | None = None) -> SignedAnswer | None:
    """The answer cached under answer_cache_keys(...).answer, with expiry and app version checked again;
    None if there is none to send (the database must decide).

    The cached body and signature are sent as they are, `checked_at` being when the
    database decided; only an answer the re-check changes is signed again.
    """
    if "body" not in cached:
        return None  # cached by a version that kept no signed answer
    if cached["code"] not in _FINAL_CODE_VALUES:
        expires_at = cached["expires_at"]
        now = now or (utcnow() if expires_at is not None else None)
        if (now is not None and now >= datetime.fromisoformat(expires_at)) or not version_supported(app_version):
            now = now or utcnow()
            rechecked = _recheck(Validation._from_cache(cached), now=now, app_version=app_version)
            return sign_answer(rechecked.as_json(), fingerprint=fingerprint, checked_at=now)
    body, signature = cached["body"].encode(), cached["signature"]
    signer = get_signer()
    if not signer.is_current(signature):
        signature = signer.signature_header(body)  # the signing key was changed since
    return SignedAnswer(body, signature, cached["code"])


def answer_from_database(
    *, session: Session, key: str, fingerprint: str, app_version: str, now: datetime | None = None, counted: bool = False
) -> SignedAnswer:
    """validate_license's answer from the database, signed (the cache is not read).
    `counted`: this validation is already in validation_count (licensing.validate
    counted it, then found a machine to bind)."""
    canonical = keys.parse_key(key)
    now = now or utcnow()
    if canonical is None:
        return sign_answer(Validation(LicenseCode.NOT_FOUND).as_json(), fingerprint=fingerprint, checked_at=now)
    return _validate_in_database(session, keys.hash_key(canonical), fingerprint, app_version, now=now, counted=counted)[1]


def activate_machine(
    *,
    session: Session,
    key: str,
    fingerprint: str,
    app_version: str,
    name: str | None = None,
    now: datetime | None = None,
) -> Validation:
    """Validate from the database (never the cache), activating `fingerprint` if there is
    room and recording its `name`; the answer is the same as validate_license's."""
    canonical = keys.parse_key(key)
    if canonical is None:
        return Validation(LicenseCode.NOT_FOUND)
    key_hash = keys.hash_key(canonical)
    return _validate_in_database(session, key_hash, fingerprint, app_version, now=now or utcnow(), name=name)[0]


def _validate_in_database(
    session: Session, key_hash: str, fingerprint: str, app_version: str, *, now: datetime, name: str | None = None, counted: bool = False
) -> tuple[Validation, SignedAnswer]:
    answer, cacheable = _decide_in_database(session, key_hash, fingerprint, app_version, now=now, name=name, counted=counted)
    signed = sign_answer(answer.as_json(), fingerprint=fingerprint, checked_at=now)
    if cacheable:
        _remember(key_hash, fingerprint, answer, signed)
    return answer, signed


def _decide_in_database(
    session: Session, key_hash: str, fingerprint: str, app_version: str, *, now: datetime, name: str | None, counted: bool
) -> tuple[Validation, bool]:
    """The answer, and whether it may be cached (it may not depend on the request)."""
    connection = session.connection()
    # Counting first takes the row lock that every change to the license waits for, so
    # the answer cached below can't be older than a change that forgets it.
    counting = store.COUNT_ASYNCHRONOUSLY if connection.dialect.name == "postgresql" else store.COUNT
    row = connection.execute(store.LOCK if counted else counting, {"key_hash": key_hash, "validated_at": now}).one_or_none()
    decided = decide_from_license(row, app_version=app_version, now=now)
    if decided.machine_decides and row is not None:
        code = _bind_machine(session, row, fingerprint, app_version, name=name, now=now)
        return replace(decided.answer, code=code), True
    return decided.answer, decided.cacheable


@dataclass(frozen=True)
class Decided:
    """What a license's row says of a validation: `answer`, and whether it may be cached (it
    may not depend on the request); if `machine_decides`, the answer is valid unless the
    machine may not run it (step 6)."""

    answer: Validation
    cacheable: bool = True
    machine_decides: bool = False


def decide_from_license(row: Any, *, app_version: str, now: datetime) -> Decided:
    """Steps 1-5 of the order above, from the license's row (None: no such key). `row` has
    status, license_type, features, expires_at, as the statements below return them."""
    if row is None:
        return Decided(Validation(LicenseCode.NOT_FOUND))
    facts = Validation(None, row.license_type, tuple(row.features), row.expires_at)
    code = _STATUS_CODES.get(LicenseStatus(row.status)) or _expiry_code(row.expires_at, now)
    if code is not None:
        return Decided(replace(facts, code=code))
    if not version_supported(app_version):
        return Decided(replace(facts, code=LicenseCode.VERSION_UNSUPPORTED), cacheable=False)
    return Decided(facts, machine_decides=True)


async def remember_answer(*, key_hash: str, fingerprint: str, answer: Validation, signed: SignedAnswer, generation: int) -> None:
    """Cache an answer decided outside the license's row lock: kept only if the license's
    answers are still at `generation`, as read beside the (missing) answer before deciding."""
    if caches_answers():
        await get_cache().set_in_group_async(**_cache_entry(key_hash, fingerprint, answer, signed), generation=generation)


def _recheck(cached: Validation, *, now: datetime, app_version: str) -> Validation:
    """A cached answer, with the checks that depend on the clock and the request redone."""
    if cached.code in _FINAL_CODES:
        return cached
    expired = _expiry_code(cached.expires_at, now)
    if expired is not None:
        return replace(cached, code=expired)
    if not version_supported(app_version):
        return replace(cached, code=LicenseCode.VERSION_UNSUPPORTED)
    return cached


def standing(license: Any, *, now: datetime | None = None) -> str:
    """What a license is right now, for people: "active", "suspended", "revoked" or "expired",
    decided by the rules validate applies (its status first, then its expiry)."""
    code = _STATUS_CODES.get(LicenseStatus(license.status)) or _expiry_code(license.expires_at, now or utcnow())
    return code.value.lower() if code is not None else "active"


def _expiry_code(expires_at: datetime | None, now: datetime) -> LicenseCode | None:
    return LicenseCode.EXPIRED if expires_at is not None and now >= expires_at else None


@lru_cache(maxsize=256)
def _version_tuple(version: str) -> tuple[int, ...]:
    # Pre-release and build suffixes ("2.1.0-beta.1") compare as their release.
    numbers = re.match(r"\d+(\.\d+)*", version)
    parts = [int(part) for part in numbers.group().split(".")] if numbers else [0]
    return tuple(parts + [0] * (4 - len(parts)))


def version_supported(app_version: str) -> bool:
    """Whether `app_version` is at least LICENSE_MIN_APP_VERSION (step 5)."""
    return _version_tuple(app_version) >= _version_tuple(get_settings().license_min_app_version)


def _bind_machine(
    session: Session, license_row: Row[Any], fingerprint: str, app_version: str, *, name: str | None, now: datetime
) -> LicenseCode | None:
    # The caller holds the license's row lock, which every change to its machines takes.
    connection = session.connection()
    seen = {"for_license": license_row.id, "for_fingerprint": fingerprint, "max_machines": license_row.max_machines}
    touched = {"seen_at": now, "version": app_version, "machine_name": name or None}
    if connection.execute(store.SEEN_AGAIN, {**seen, **touched}).first() is not None:
        return None
    machines, known = connection.execute(store.MACHINE_COUNT, seen).one()
    if not known and machines < license_row.max_machines:
        session.add(
            LicenseMachine(
                license_id=license_row.id, fingerprint=fingerprint, name=name, app_version=app_version, first_seen_at=now, last_seen_at=now
            )
        )
        _audit(session, "machine_activate", license_row.id, None, machine=name, fingerprint=fingerprint[:16])
        return None
    return LicenseCode.FINGERPRINT_MISMATCH if license_row.max_machines == 1 else LicenseCode.TOO_MANY_MACHINES


# --- the cache ----------------------------------------------------------------------


def _fingerprint_hash(fingerprint: str) -> str:
    return keys.hash_key(fingerprint)[:32]


def _answer_key(key_hash: str, fingerprint: str) -> str:
    return f"license:{key_hash}:{_fingerprint_hash(fingerprint)}"


def _group_key(key_hash: str) -> str:
    return f"license:{key_hash}:answers"


def _remember(key_hash: str, fingerprint: str, answer: Validation, signed: SignedAnswer) -> None:
    # Answers about a license are kept in its group, forgotten together when it changes. The
    # caller holds the license's row lock, so no change is forgetting them at the same time.
    if caches_answers():
        get_cache().set_in_group(**_cache_entry(key_hash, fingerprint, answer, signed))


def _cache_entry(key_hash: str, fingerprint: str, answer: Validation, signed: SignedAnswer) -> dict[str, Any]:
    # A NOT_FOUND answer has no license to forget it with, so it goes in a group of its own
    # (one per key hash, like a license's): nothing deletes it before it expires.
    return {
        "key": _answer_key(key_hash, fingerprint),
        "value": {**answer._to_cache(), "body": signed.body.decode(), "signature": signed.signature},
        "ttl_s": VALID_TTL_S if answer.valid else INVALID_TTL_S,
        "group": _group_key(key_hash),
        "group_ttl_s": VALID_TTL_S,
        "max_entries": MAX_CACHED_FINGERPRINTS,
    }


def _forget_answers(key_hash: str) -> None:
    if caches_answers():
        get_cache().delete_group(_group_key(key_hash))


# --- issuing and managing -----------------------------------------------------------


def issue_license(
    *,
    session: Session,
    license_type: str,
    user_id: uuid.UUID | None = None,
    pending_email: str | None = None,
    days: int | None = None,
    expires_at: datetime | None = None,
    max_machines: int | None = None,
    external_ref: str | None = None,
    actor_id: uuid.UUID | None = None,
) -> IssuedLicense:
    """A new license with a new key (shown once), its features and machines from the tier.

    No `days` or `expires_at`: perpetual. Without a `user_id`, `pending_email` (an address
    with no account yet, see accounts.users.license_owner) is kept with the license, unassigned.
    With an `external_ref` already used, returns that license (key None) and changes nothing.
    """
    rules = _rules(license_type)
    if days is not None and expires_at is not None:
        raise LicenseError("Give days or expires_at, not both.")
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise LicenseError(f"A license lasts 1 to {MAX_DAYS} days (or leave it perpetual).")
    if max_machines is not None and max_machines < 1:
        raise LicenseError("A license needs at least one machine.")
    if external_ref is not None and (earlier := _by_external_ref(session, external_ref)) is not None:
        return IssuedLicense(earlier, None)
    key = keys.generate_key()
    license = License(
        user_id=user_id,
        license_key_hash=keys.hash_key(key),
        key_prefix=keys.display_prefix(key),
        license_type=license_type,
        features=list(rules.features),
        max_machines=max_machines or rules.license_machines,
        expires_at=expires_at or (utcnow().replace(microsecond=0) + timedelta(days=days) if days is not None else None),
        external_ref=external_ref,
        pending_email=pending_email if user_id is None and pending_email else None,
    )
    # Two deliveries of one webhook at the same instant: the unique external_ref fails the
    # second transaction, and its retry finds the first license above.
    session.add(license)
    session.flush()
    owner = str(user_id) if user_id else None
    _audit(session, "issue", license.id, actor_id, license_type=license_type, expires_at=_iso(license.expires_at), user_id=owner)
    return IssuedLicense(license, key)


def suspend_license(*, session: Session, license_id: uuid.UUID, actor_id: uuid.UUID | None = None, reason: str | None = None) -> License:
    """Stop the license until reinstated. Revoked licenses stay revoked."""
    license = _locked(session, license_id)
    if license.status is LicenseStatus.REVOKED:
        raise LicenseError("This license is revoked; a revoked license can't be suspended.")
    return _set_status(session, license, LicenseStatus.SUSPENDED, "suspend", actor_id, reason)


def revoke_license(*, session: Session, license_id: uuid.UUID, actor_id: uuid.UUID | None = None, reason: str | None = None) -> License:
    """Stop the license for good: its key never validates again."""
    license = _locked(session, license_id)
    return _set_status(session, license, LicenseStatus.REVOKED, "revoke", actor_id, reason)


def reinstate_license(*, session: Session, license_id: uuid.UUID, actor_id: uuid.UUID | None = None, reason: str | None = None) -> License:
    """Lift a suspension."""
    license = _locked(session, license_id)
    if license.status is LicenseStatus.REVOKED:
        raise LicenseError("This license is revoked, which is final; issue a new one instead.")
    return _set_status(session, license, LicenseStatus.ACTIVE, "reinstate", actor_id, reason)


def extend_license(
    *,
    session: Session,
    license_id: uuid.UUID,
    days: int | None = None,
    until: datetime | None = None,
    actor_id: uuid.UUID | None = None,
) -> License:
    """Push the expiry later, never earlier; a perpetual license stays perpetual.

    `until` is absolute, so repeating it is harmless (billing: the paid period's end);
    `days` counts from the later of now and the current expiry (operators).
    """
    if (days is None) == (until is None):
        raise LicenseError("Give days or until, one of them.")
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise LicenseError(f"Extend by 1 to {MAX_DAYS} days.")
    license = _locked(session, license_id)
    if license.expires_at is None:
        return license
    target = until if until is not None else max(utcnow(), license.expires_at) + timedelta(days=days or 0)
    if target <= license.expires_at:
        return license
    previous, license.expires_at = license.expires_at, target
    return _changed(session, license, "extend", actor_id, expires_at=_iso(target), previous=_iso(previous))


def expire_license(*, session: Session, license_id: uuid.UUID, at: datetime, actor_id: uuid.UUID | None = None) -> License:
    """End the license at `at` (billing: the subscription ended), never later than it
    already ends; validating after `at` answers EXPIRED. Repeating it is harmless."""
    license = _locked(session, license_id)
    if license.expires_at is not None and license.expires_at <= at:
        return license
    previous, license.expires_at = license.expires_at, at
    return _changed(session, license, "expire", actor_id, expires_at=_iso(at), previous=_iso(previous))


def change_license_type(*, session: Session, license_id: uuid.UUID, license_type: str, actor_id: uuid.UUID | None = None) -> License:
    """Move to another tier: its features and machine count replace the license's."""
    rules = _rules(license_type)
    license = _locked(session, license_id)
    if license.license_type == license_type:
        return license
    previous = license.license_type
    license.license_type, license.features, license.max_machines = license_type, list(rules.features), rules.license_machines
    return _changed(session, license, "change_type", actor_id, license_type=license_type, previous=previous)


def regenerate_key(*, session: Session, license_id: uuid.UUID, actor_id: uuid.UUID | None = None) -> IssuedLicense:
    """Replace the key (shown once); the old one stops validating at once. Machines stay."""
    license = _locked(session, license_id)
    if license.status is LicenseStatus.REVOKED:
        raise LicenseError("This license is revoked; it gets no new key.")
    old_hash, key = license.license_key_hash, keys.generate_key()
    license.license_key_hash, license.key_prefix = keys.hash_key(key), keys.display_prefix(key)
    _changed(session, license, "regenerate_key", actor_id)
    _forget_answers(old_hash)
    return IssuedLicense(license, key)


def deactivate_machine(
    *,
    session: Session,
    fingerprint: str,
    key: str | None = None,
    license_id: uuid.UUID | None = None,
    owner_id: uuid.UUID | None = None,
    actor_id: uuid.UUID | None = None,
) -> LicenseCode | None:
    """Free the slot `fingerprint` holds on the license named by `key` or `license_id`.

    None when done; NOT_FOUND (no such license, or not `owner_id`'s when given) or
    MACHINE_NOT_FOUND otherwise.
    """
    canonical = keys.parse_key(key) if key is not None else None
    statement = select(License).with_for_update().execution_options(populate_existing=True)
    if canonical is not None:
        statement = statement.where(License.license_key_hash == keys.hash_key(canonical))
    elif license_id is not None:
        statement = statement.where(License.id == license_id)
    else:
        return LicenseCode.NOT_FOUND
    license = session.exec(statement).one_or_none()
    if license is None or (owner_id is not None and license.user_id != owner_id):
        return LicenseCode.NOT_FOUND
    machine = session.exec(
        select(LicenseMachine).where(LicenseMachine.license_id == license.id, LicenseMachine.fingerprint == fingerprint)
    ).one_or_none()
    if machine is None:
        return LicenseCode.MACHINE_NOT_FOUND
    session.delete(machine)
    _changed(session, license, "machine_deactivate", actor_id, machine=machine.name, fingerprint=fingerprint[:16])
    return None


# --- reading ------------------------------------------------------------------------


def claim_pending(*, session: Session, user_id: uuid.UUID, email: str) -> int:
    """Give a user the licenses issued to their address before they had an account; how many.

    Call it only once the address is proven (confirmed, or vouched for by an operator)."""
    waiting = session.exec(select(License).where(col(License.user_id).is_(None), License.pending_email == email.strip().lower())).all()
    for license in waiting:
        license.user_id, license.pending_email = user_id, None
        session.add(license)
    return len(waiting)


def licenses_for_user(*, session: Session, user_id: uuid.UUID) -> list[LicensePublic]:
    """The user's licenses, newest first, each with its machines (never a key)."""
    licenses = session.exec(select(License).where(License.user_id == user_id).order_by(col(License.created_at).desc())).all()
    return [describe_license(session=session, license=license) for license in licenses]


def list_licenses(
    *, session: Session, user_id: uuid.UUID | None = None, status: LicenseStatus | None = None, limit: int = 1000
) -> list[License]:
    statement = select(License).order_by(col(License.created_at).desc()).limit(limit)
    if user_id is not None:
        statement = statement.where(License.user_id == user_id)
    if status is not None:
        statement = statement.where(License.status == status)
    return list(session.exec(statement))


def describe_license(*, session: Session, license: License) -> LicensePublic:
    machines = session.exec(
        select(LicenseMachine).where(LicenseMachine.license_id == license.id).order_by(col(LicenseMachine.first_seen_at))
    ).all()
    return LicensePublic.model_validate(
        {**license.model_dump(), "machines": [LicenseMachinePublic.model_validate(m.model_dump()) for m in machines]}
    )


def find_license(*, session: Session, reference: str) -> License:
    """The license a person means by `reference`: its id, its key, or its key's prefix."""
    reference = reference.strip()
    try:
        found = session.get(License, uuid.UUID(reference))
    except ValueError:
        canonical = keys.parse_key(reference)
        if canonical is not None:
            found = session.exec(select(License).where(License.license_key_hash == keys.hash_key(canonical))).first()
        else:
            matches = session.exec(select(License).where(License.key_prefix == reference.upper()).limit(2)).all()
            if len(matches) > 1:
                raise LicenseError(f"More than one license starts with {reference}; use its id.") from None
            found = matches[0] if matches else None
    if found is None:
        raise LicenseError(f"No license matches {reference}.")
    return found


# --- helpers ------------------------------------------------------------------------


def _rules(license_type: str) -> TierRules:
    if license_type not in LICENSE_TYPES:
        raise LicenseError(f"Unknown license type {license_type!r}; use one of {', '.join(LICENSE_TYPES)}.")
    return rules_for(license_type)


def _by_external_ref(session: Session, external_ref: str) -> License | None:
    return session.exec(select(License).where(License.external_ref == external_ref)).one_or_none()


def _locked(session: Session, license_id: uuid.UUID) -> License:
    # The row lock a validation miss also takes (see "Cache" above).
    license = session.exec(
        select(License).where(License.id == license_id).with_for_update().execution_options(populate_existing=True)
    ).one_or_none()
    if license is None:
        raise LicenseError(f"No license {license_id}.")
    return license


def _set_status(
    session: Session, license: License, status: LicenseStatus, verb: str, actor_id: uuid.UUID | None, reason: str | None
) -> License:
    if license.status is status:
        return license
    previous, license.status = license.status, status
    return _changed(session, license, verb, actor_id, reason=reason, previous=previous.value)


def _changed(session: Session, license: License, verb: str, actor_id: uuid.UUID | None, **details: Any) -> License:
    session.add(license)
    session.flush()
    _forget_answers(license.license_key_hash)
    _audit(session, verb, license.id, actor_id, **details)
    return license


def _audit(session: Session, verb: str, license_id: uuid.UUID, actor_id: uuid.UUID | None, **details: Any) -> None:
    audit.record(
        session=session,
        action=f"license.{verb}",
        actor_id=actor_id,
        subject_type="license",
        subject_id=license_id,
        details={name: value for name, value in details.items() if value is not None},
    )


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None
