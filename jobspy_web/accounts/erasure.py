"""Export and erase a person's data across every domain that holds some (the GDPR verbs).

Erasure reaches into billing (a live subscription is cancelled at Stripe first) and
licensing (keys stop validating at once), so it lives here, above both, and neither
of them imports accounts.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, update
from sqlmodel import Session, col, select

from jobspy_web.accounts.users import AccountError, AccountErrorCode
from jobspy_web.billing import checkout
from jobspy_web.infra import audit
from jobspy_web.licensing import licenses
from jobspy_web.models import (
    ApiToken,
    AuditEvent,
    License,
    LicenseStatus,
    LoginSession,
    OAuthIdentity,
    OutboxMessage,
    Payment,
    Search,
    Subscription,
    User,
)
from jobspy_web.tracker import items as tracker_items


def _row(record: Any, *, without: tuple[str, ...] = ()) -> dict[str, Any]:
    hidden = {"password_hash", "secret_hash", "license_key_hash", "sealed_key", *without}
    return {name: value for name, value in record.model_dump().items() if name not in hidden}


def export_user_data(*, session: Session, user: User) -> dict[str, Any]:
    """Everything we hold on the user, as JSON-ready data (secrets and hashes left out)."""
    searches = session.exec(select(Search).where(Search.owner_id == user.id)).all()
    return {
        "user": _row(user),
        "login_sessions": [_row(s) for s in session.exec(select(LoginSession).where(LoginSession.user_id == user.id))],
        "api_tokens": [_row(t) for t in session.exec(select(ApiToken).where(ApiToken.user_id == user.id))],
        "oauth_identities": [_row(i) for i in session.exec(select(OAuthIdentity).where(OAuthIdentity.user_id == user.id))],
        "searches": [_row(s) for s in searches],
        "tracked_jobs": tracker_items.export_owner(session=session, owner_id=user.id),
        "licenses": [_row(lic) for lic in session.exec(select(License).where(License.user_id == user.id))],
        "subscriptions": [_row(s) for s in session.exec(select(Subscription).where(Subscription.user_id == user.id))],
        "payments": [_row(p) for p in session.exec(select(Payment).where(Payment.user_id == user.id))],
        "audit_events": [_row(e) for e in session.exec(select(AuditEvent).where(AuditEvent.actor_id == user.id))],
        "mail": [_row(m) for m in session.exec(select(OutboxMessage).where(OutboxMessage.to_address == user.email))],
    }


def delete_account(*, session: Session, user: User, ip: str | None = None) -> None:
    """Erase the user's personal data. Payments stay (tax law), detached and anonymised.

    Live subscriptions are cancelled at Stripe first: if that fails, nothing is deleted,
    because a deleted account must never go on being charged.
    """
    user_id = user.id
    try:
        checkout.cancel_subscriptions(session=session, user_id=user_id)
    except checkout.BillingError:
        raise AccountError(
            AccountErrorCode.BILLING_UNAVAILABLE,
            "We couldn't cancel your subscription with Stripe just now, so nothing was deleted. Please try again.",
        ) from None
    session.execute(update(Payment).where(col(Payment.user_id) == user_id).values(user_id=None, subscription_id=None, extra_metadata={}))
    session.execute(delete(Search).where(col(Search.owner_id) == user_id))
    tracker_items.erase_owner(session=session, owner_id=user_id)
    for owned in (ApiToken.user_id, LoginSession.user_id, OAuthIdentity.user_id, Subscription.user_id):
        session.execute(delete(owned.class_).where(col(owned) == user_id))  # type: ignore[attr-defined]
    # Through the license service, so each key stops validating at once (cache included).
    for owned_license in session.exec(select(License).where(License.user_id == user_id)).all():
        if owned_license.status != LicenseStatus.REVOKED:
            licenses.revoke_license(session=session, license_id=owned_license.id, reason="account deleted")
    session.execute(
        update(License).where(col(License.user_id) == user_id).values(user_id=None, pending_email=None, sealed_key=None, extra_metadata={})
    )
    session.execute(delete(OutboxMessage).where(col(OutboxMessage.to_address) == user.email))
    session.execute(update(AuditEvent).where(col(AuditEvent.actor_id) == user_id).values(actor_id=None, ip=None, user_agent=None))
    session.delete(user)
    session.flush()
    audit.record(session=session, action="user.delete", subject_type="user", subject_id=user_id, ip=None)
