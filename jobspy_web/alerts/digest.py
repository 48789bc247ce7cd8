"""The email digest: one mail per run with new jobs (through the outbox and SMTP), and its
unsubscribe link, signed so it works without signing in."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from itsdangerous import BadSignature, URLSafeSerializer
from sqlmodel import Session

from jobspy_web.core.errors import DomainError
from jobspy_web.infra import mail
from jobspy_web.infra.local_secrets import secret_key
from jobspy_web.models import Alert, Job, OutboxMessage, SavedSearch
from jobspy_web.settings import get_settings

LISTED = 25  # jobs listed in one mail; the alert's page has them all


class UnsubscribeError(DomainError):
    status = 400
    messages = {"BAD_LINK": "This unsubscribe link is not valid (it may have been cut short in your mail program)."}


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(secret_key(), salt="jobspy-web/digest-unsubscribe")


def unsubscribe_token(saved_search_id: uuid.UUID) -> str:
    return _serializer().dumps(str(saved_search_id))


def unsubscribe_url(saved_search_id: uuid.UUID) -> str:
    return f"{get_settings().public_url}/api/alerts/unsubscribe/{unsubscribe_token(saved_search_id)}"


def unsubscribe(*, session: Session, token: str) -> SavedSearch | None:
    """Stop the digest of the saved search the token names; None if it was deleted since."""
    try:
        saved_search_id = uuid.UUID(_serializer().loads(token))
    except (BadSignature, ValueError):
        raise UnsubscribeError("BAD_LINK") from None
    saved = session.get(SavedSearch, saved_search_id)
    if saved is not None:
        saved.email_digest = False
        session.add(saved)
    return saved


def digest_text(*, alert: Alert, saved: SavedSearch, jobs: Sequence[Job]) -> str:
    public = get_settings().public_url
    lines = [f"{len(jobs)} new job{'s' if len(jobs) != 1 else ''} for your saved search “{saved.name}”:", ""]
    for job in jobs[:LISTED]:
        where = ", ".join(part for part in (job.company, job.location) if part)
        lines += [f"- {job.title}" + (f" ({where})" if where else ""), f"  {job.job_url}"]
    if len(jobs) > LISTED:
        lines.append(f"…and {len(jobs) - LISTED} more.")
    lines += [
        "",
        f"See them all: {public}/alerts/{alert.id}",
        "",
        f"Stop these emails for “{saved.name}”: {unsubscribe_url(saved.id)}",
    ]
    return "\n".join(lines)


def send_digest(*, session: Session, to: str, alert: Alert, saved: SavedSearch, jobs: Sequence[Job]) -> OutboxMessage:
    """Record the digest in the outbox and send it (SMTP failures stay unsent there, retried later)."""
    subject = f"{len(jobs)} new job{'s' if len(jobs) != 1 else ''}: {saved.name}"[:200]
    return mail.send_mail(session=session, to=to, subject=subject, body=digest_text(alert=alert, saved=saved, jobs=jobs))
