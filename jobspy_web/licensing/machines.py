"""The machines a license runs on, as a client holding the key sees them.

Only a machine bound to the key may ask (the key alone is not enough: a leaked key must not
list where it runs). The answer names each machine and when it was last seen; it carries a
short fingerprint to tell them apart, never a whole one (a whole fingerprint plus the key is
what a machine proves itself with).
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from jobspy_web.licensing import keys
from jobspy_web.licensing.licenses import REASONS, LicenseCode, LicenseError
from jobspy_web.models import License, LicenseMachine

__all__ = ["SHORT_FINGERPRINT", "machines_for_holder"]

SHORT_FINGERPRINT = 12  # as the Licenses page shows them


def machines_for_holder(*, session: Session, key: str, fingerprint: str) -> dict[str, Any]:
    """{"max_machines", "machines": [...]} for the license of `key`, asked by the machine
    `fingerprint`; LicenseError 404 NOT_FOUND (no such key) or 403 MACHINE_NOT_FOUND (this
    machine isn't bound to it)."""
    canonical = keys.parse_key(key)
    license = None
    if canonical is not None:
        license = session.exec(select(License).where(License.license_key_hash == keys.hash_key(canonical))).one_or_none()
    if license is None:
        raise LicenseError(REASONS[LicenseCode.NOT_FOUND], LicenseCode.NOT_FOUND.value, status=404)
    bound = list(
        session.exec(
            select(LicenseMachine)
            .where(LicenseMachine.license_id == license.id)
            .order_by(col(LicenseMachine.first_seen_at), col(LicenseMachine.id))
        )
    )
    if not any(machine.fingerprint == fingerprint for machine in bound):
        raise LicenseError(REASONS[LicenseCode.MACHINE_NOT_FOUND], LicenseCode.MACHINE_NOT_FOUND.value, status=403)
    return {
        "max_machines": license.max_machines,
        "machines": [
            {
                "name": machine.name,
                "short_fingerprint": machine.fingerprint[:SHORT_FINGERPRINT],
                "app_version": machine.app_version,
                "first_seen_at": machine.first_seen_at.isoformat(),
                "last_seen_at": machine.last_seen_at.isoformat(),
                "this_machine": machine.fingerprint == fingerprint,
            }
            for machine in bound
        ],
    }
