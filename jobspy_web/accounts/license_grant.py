"""The license-key grant: a desktop install trades its license key for a short-lived token.

The key is checked by the licensing domain exactly as POST /api/v1/licenses/validate checks
it (status, expiry, app version, machine binding: a new machine is activated while the
license has room). The token speaks for the license's owner at the license's tier, carries
the license's id (`lid`), and lives LICENSE_TOKEN_TTL_S at most.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import Enum
from typing import Any, ClassVar

from sqlmodel import Session, select

from jobspy_web.accounts.jwt_tokens import IssuedToken, issue_access_token
from jobspy_web.core.errors import DomainError
from jobspy_web.core.tiers import Tier
from jobspy_web.licensing import keys, licenses
from jobspy_web.models import License, User

__all__ = ["LICENSE_TOKEN_TTL_S", "LicenseGrantError", "exchange_license_key"]

LICENSE_TOKEN_TTL_S = 300


class LicenseGrantCode(str, Enum):
    UNASSIGNED = "LICENSE_UNASSIGNED"
    ACCOUNT_INACTIVE = "ACCOUNT_INACTIVE"


class LicenseGrantError(DomainError):
    """A license key that may not have a token: `code` is LICENSE_<licensing code>
    (LICENSE_NOT_FOUND, LICENSE_EXPIRED, LICENSE_TOO_MANY_MACHINES...) with its reason, 401;
    or a valid license without an active owner, 403."""

    status = 401
    statuses: ClassVar[Mapping[Any, int]] = {LicenseGrantCode.UNASSIGNED: 403, LicenseGrantCode.ACCOUNT_INACTIVE: 403}
    messages: ClassVar[Mapping[Any, str]] = {
        LicenseGrantCode.UNASSIGNED: "This license has no account yet: sign up with the email it was sent to, then try again.",
        LicenseGrantCode.ACCOUNT_INACTIVE: "The account this license belongs to was deleted or deactivated.",
    }


def exchange_license_key(*, session: Session, key: str, fingerprint: str, app_version: str) -> IssuedToken:
    """A token for the owner of a license `key` valid on `fingerprint`; LicenseGrantError otherwise."""
    checked = licenses.activate_machine(session=session, key=key, fingerprint=fingerprint, app_version=app_version)
    if checked.code is not None:
        raise LicenseGrantError(f"LICENSE_{checked.code.value}", licenses.REASONS[checked.code])
    canonical = keys.parse_key(key)
    assert canonical is not None  # activate_machine found the license by it
    found = session.exec(select(License).where(License.license_key_hash == keys.hash_key(canonical))).one()
    if found.user_id is None:
        raise LicenseGrantError(LicenseGrantCode.UNASSIGNED)
    owner = session.get(User, found.user_id)
    if owner is None or not owner.is_active:
        raise LicenseGrantError(LicenseGrantCode.ACCOUNT_INACTIVE)
    tier = Tier(checked.license_type or Tier.FREE.value)
    return issue_access_token(user=owner, tier=tier, license_id=found.id, ttl_seconds=LICENSE_TOKEN_TTL_S)
