"""Sending an alert on its outside channels: the email digest, each Apprise URL, Web Push.

Each channel is one `AlertDelivery` row and is tried on its own, at the same time as the
others and with its own timeout, so a failing one never blocks the rest. A failure is kept
(status `failing`, the error in a sentence) and retried with backoff (1, 5, 15, 60 min, 6 h),
then given up. `deliver_due` is the retry sweep the queue runs every minute.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from datetime import datetime, timedelta

import apprise
from sqlmodel import Session, col, select

from jobspy_web.alerts import digest, webpush
from jobspy_web.db import read_session, write_session
from jobspy_web.infra import mail, queue
from jobspy_web.models import Alert, AlertDelivery, DeliveryStatus, Job, PushSubscription, SavedSearch, User
from jobspy_web.models.base import utcnow
from jobspy_web.settings import get_settings

log = logging.getLogger(__name__)

# Wait after the n-th failed attempt; after the last, the channel gives up on this alert.
BACKOFF = (timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=15), timedelta(hours=1), timedelta(hours=6))
ATTEMPT_TIMEOUT_S = 20.0


class ChannelFailed(RuntimeError):
    """A channel refused or could not be reached; the message is shown to the owner."""


def channels_of(saved: SavedSearch) -> list[str]:
    names = ["email"] if saved.email_digest else []
    names += [f"apprise:{index}" for index in range(len(saved.apprise_urls))]
    return [*names, "push"] if saved.push else names


def plan_deliveries(*, session: Session, alert: Alert, saved: SavedSearch | None, channels: list[str] | None = None) -> list[AlertDelivery]:
    """One pending delivery per channel the saved search has (or per channel named)."""
    names = channels if channels is not None else channels_of(saved) if saved is not None else []
    planned = [AlertDelivery(alert_id=alert.id, channel=channel) for channel in names]
    session.add_all(planned)
    session.flush()
    return planned


def _send_apprise(url: str, title: str, body: str) -> None:
    notifier = apprise.Apprise()
    if not notifier.add(url):
        raise ChannelFailed("the notification URL is not understood")
    if not notifier.notify(title=title, body=body):
        raise ChannelFailed("the service did not accept the notification")


def _alert_link(alert: Alert) -> str:
    return f"{get_settings().public_url}/alerts/{alert.id}"


def _attempt(delivery_id: uuid.UUID) -> None:
    """Try one delivery once (blocking: run in a thread), then record how it went."""
    with read_session() as session:
        delivery = session.get(AlertDelivery, delivery_id)
        alert = session.get(Alert, delivery.alert_id) if delivery else None
        saved = session.get(SavedSearch, alert.saved_search_id) if alert and alert.saved_search_id else None
        user = session.get(User, alert.user_id) if alert else None
        if delivery is None or alert is None or user is None:
            return
        jobs = [session.get(Job, uuid.UUID(job_id)) for job_id in alert.job_ids]
    error: str | None = None
    try:
        if delivery.channel == "email":
            with write_session() as session:
                if saved is None:  # not from a saved search (a tracker reminder): a plain mail
                    mail.send_mail(session=session, to=user.email, subject=alert.title, body=f"{alert.body}\n\n{_alert_link(alert)}")
                else:
                    digest.send_digest(session=session, to=user.email, alert=alert, saved=saved, jobs=[job for job in jobs if job])
        elif delivery.channel.startswith("apprise:"):
            if saved is None:
                raise ChannelFailed("this channel belongs to a saved search that was deleted")
            index = int(delivery.channel.partition(":")[2])
            if index >= len(saved.apprise_urls):
                raise ChannelFailed("this channel was removed from the saved search")
            _send_apprise(saved.apprise_urls[index], alert.title, f"{alert.body}\n{_alert_link(alert)}")
        elif delivery.channel == "push":
            _push(user.id, alert)
    except ChannelFailed as failure:
        error = str(failure)
    except Exception as failure:  # a bug or an odd service: this channel fails, the others go on
        log.warning("alert %s: channel %s failed", alert.id, delivery.channel, exc_info=True)
        error = f"unexpected error ({type(failure).__name__})"
    _record(delivery_id, error)


def _push(user_id: uuid.UUID, alert: Alert) -> None:
    with read_session() as session:
        browsers = webpush.subscriptions(session=session, user_id=user_id)
    if not browsers:
        raise ChannelFailed("no browser has push turned on for this account")
    payload = {"title": alert.title, "body": alert.body, "url": f"/alerts/{alert.id}"}
    gone, failed = [], 0
    for browser in browsers:
        try:
            if not webpush.send(browser, payload):
                gone.append(browser.id)
        except webpush.PushFailed:
            failed += 1
    if gone:
        with write_session() as session:
            for browser_id in gone:
                found = session.get(PushSubscription, browser_id)
                if found is not None:
                    session.delete(found)
    if failed + len(gone) == len(browsers):
        raise ChannelFailed("every browser's push service refused the notification")


def _record(delivery_id: uuid.UUID, error: str | None, now: datetime | None = None) -> None:
    now = now or utcnow()
    with write_session() as session:
        delivery = session.get(AlertDelivery, delivery_id, with_for_update=True)
        if delivery is None:
            return
        delivery.attempts += 1
        if error is None:
            delivery.status, delivery.sent_at, delivery.next_attempt_at, delivery.last_error = DeliveryStatus.SENT, now, None, None
        elif delivery.attempts > len(BACKOFF):
            delivery.status, delivery.next_attempt_at, delivery.last_error = DeliveryStatus.GAVE_UP, None, error[:300]
        else:
            delivery.status, delivery.last_error = DeliveryStatus.FAILING, error[:300]
            delivery.next_attempt_at = now + BACKOFF[delivery.attempts - 1]
        session.add(delivery)


async def _attempt_all(delivery_ids: list[uuid.UUID], attempt: Callable[[uuid.UUID], None] = _attempt) -> None:
    async def one(delivery_id: uuid.UUID) -> None:
        try:
            await asyncio.wait_for(asyncio.to_thread(attempt, delivery_id), ATTEMPT_TIMEOUT_S)
        except TimeoutError:
            await asyncio.to_thread(_record, delivery_id, f"no answer within {ATTEMPT_TIMEOUT_S:.0f} s")

    await asyncio.gather(*(one(delivery_id) for delivery_id in delivery_ids))


def _due(*, alert_id: uuid.UUID | None, now: datetime) -> list[uuid.UUID]:
    with read_session() as session:
        statement = select(AlertDelivery.id).where(
            col(AlertDelivery.status).in_([DeliveryStatus.PENDING, DeliveryStatus.FAILING]),
            col(AlertDelivery.next_attempt_at).is_(None) | (col(AlertDelivery.next_attempt_at) <= now),
        )
        if alert_id is not None:
            statement = statement.where(AlertDelivery.alert_id == alert_id)
        return list(session.exec(statement))


async def deliver_alert(alert_id: uuid.UUID) -> None:
    """Try every channel of a new alert once, concurrently."""
    await _attempt_all(await asyncio.to_thread(lambda: _due(alert_id=alert_id, now=utcnow())))


async def deliver_due(now: datetime | None = None) -> int:
    """Retry every delivery whose backoff has passed; how many were tried."""
    due = await asyncio.to_thread(lambda: _due(alert_id=None, now=now or utcnow()))
    await _attempt_all(due)
    return len(due)


def channel_health(*, session: Session, saved_search_id: uuid.UUID) -> dict[str, dict[str, str]]:
    """Each channel's latest delivery: {"email": {"status": "failing", "error": "..."}, ...}."""
    statement = (
        select(AlertDelivery)
        .join(Alert, col(Alert.id) == AlertDelivery.alert_id)
        .where(Alert.saved_search_id == saved_search_id)
        .order_by(col(AlertDelivery.created_at))
    )
    latest: dict[str, dict[str, str]] = {}
    for delivery in session.exec(statement):
        latest[delivery.channel] = {"status": delivery.status.value, "error": delivery.last_error or ""}
    return latest


@queue.register("alerts.deliver")
async def deliver_alert_job(alert_id: str) -> None:
    await deliver_alert(uuid.UUID(alert_id))


@queue.register("alerts.retry")
async def retry_due_job() -> int:
    return await deliver_due()
