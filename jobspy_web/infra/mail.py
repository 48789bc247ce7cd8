"""Outgoing mail: always recorded in the outbox; sent by SMTP when SMTP_URL is set."""

from __future__ import annotations

import logging
import re
import smtplib
import ssl
import sys
import uuid
from datetime import datetime
from email.message import EmailMessage
from urllib.parse import unquote, urlsplit

from sqlmodel import Session, col, select

from jobspy_web.infra import metrics
from jobspy_web.models import OutboxMessage, Role, User
from jobspy_web.models.base import utcnow
from jobspy_web.settings import get_settings

log = logging.getLogger(__name__)


def send_mail(*, session: Session, to: str, subject: str, body: str) -> OutboxMessage:
    message = OutboxMessage(to_address=to, subject=subject, body=body)
    session.add(message)
    settings = get_settings()
    if not settings.smtp_url.get_secret_value():
        # The embedded default has no mail server: the admin reads the outbox. The body is
        # never logged: it holds live confirmation and reset links.
        log.info("mail to %s: %s (no SMTP_URL; read it in the admin outbox)", to, subject)
        if not _admin_exists(session):
            # The first run: nobody can read the outbox yet, so the links go to the operator's
            # terminal once. Not a log record (those are redacted and kept): `serve` shows
            # CONSOLE_MARK lines on the terminal and leaves them out of its log file.
            print(console_notice(to, subject, body), file=sys.stderr, flush=True)
        return message
    try:
        _deliver(settings.smtp_url.get_secret_value(), settings.mail_from, to, subject, body)
        message.sent_at = utcnow()
        metrics.count_mail("sent")
    except (OSError, smtplib.SMTPException) as error:
        metrics.count_mail("failed")
        log.error("mail to %s failed: %s", to, type(error).__name__)  # it stays unsent in the outbox
    return message


CONSOLE_MARK = "[mail] "
_LINK = re.compile(r"https?://\S+")


def console_notice(to: str, subject: str, body: str) -> str:
    """What an unsent first-run mail shows the operator: who, what, its links; each line marked."""
    lines = [f"mail to {to}: {subject} (not sent: no SMTP_URL, and no admin yet to read the outbox)"]
    lines += [f"  open: {link}" for link in _LINK.findall(body)]
    return "\n".join(CONSOLE_MARK + line for line in lines)


def _admin_exists(session: Session) -> bool:
    return session.exec(select(User.id).where(User.role == Role.ADMIN, col(User.is_active).is_(True)).limit(1)).first() is not None


def _deliver(smtp_url: str, sender: str, to: str, subject: str, body: str) -> None:
    parts = urlsplit(smtp_url)
    email = EmailMessage()
    email["From"], email["To"], email["Subject"] = sender, to, subject
    email.set_content(body)
    secure = parts.scheme == "smtps"
    client_class = smtplib.SMTP_SSL if secure else smtplib.SMTP
    with client_class(parts.hostname or "localhost", parts.port or (465 if secure else 587), timeout=10) as client:
        if not secure and client.has_extn("starttls"):
            client.starttls(context=ssl.create_default_context())
        if parts.username:
            client.login(unquote(parts.username), unquote(parts.password or ""))
        client.send_message(email)


def resend_unsent(*, session: Session, since: datetime, limit: int = 100) -> int:
    """Try again the mails SMTP failed on (still unsent in the outbox, newer than `since`)."""
    smtp_url = get_settings().smtp_url.get_secret_value()
    if not smtp_url:
        return 0  # nothing was meant to go out: the outbox is the delivery
    statement = select(OutboxMessage).where(col(OutboxMessage.sent_at).is_(None), col(OutboxMessage.created_at) >= since)
    sent = 0
    for message in session.exec(statement.order_by(col(OutboxMessage.created_at)).limit(limit)):
        try:
            _deliver(smtp_url, get_settings().mail_from, message.to_address, message.subject, message.body)
        except (OSError, smtplib.SMTPException) as error:
            log.error("mail to %s failed again: %s", message.to_address, type(error).__name__)
            continue
        message.sent_at = utcnow()
        session.add(message)
        sent += 1
    return sent


def outbox(*, session: Session, limit: int = 50, to: str | None = None) -> list[OutboxMessage]:
    statement = select(OutboxMessage).order_by(col(OutboxMessage.created_at).desc()).limit(limit)
    if to is not None:
        statement = statement.where(OutboxMessage.to_address == to)
    return list(session.exec(statement))


def outbox_message(*, session: Session, message_id: uuid.UUID) -> OutboxMessage | None:
    return session.get(OutboxMessage, message_id)
