"""The queue worker: every job function (searches, saved-search runs, alerts) and the periodic ones.

`python -m jobspy_web.cli worker` runs `run_worker()` (SAQ on REDIS_URL); `serve --workers N`
starts N of them beside the app. Without Redis, the app calls `start_in_process()`: the same
job functions and cron entries on the app's own event loop.

Periodic jobs (once per tick across every worker):
  every minute   saved_searches.dispatch   claim due schedule slots, queue their runs
                 alerts.retry              channels whose backoff has passed
  every 5 min    housekeeping              searches left running, expired sessions and revoked
                                           JWTs, failed mail, old anonymous searches, reminders
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
from datetime import timedelta

from sqlalchemy import delete
from sqlmodel import Session, col

import jobspy_web.alerts.delivery
import jobspy_web.search.tasks  # noqa: F401  (registers search.run)
from jobspy_web.accounts.entitlements import tier_for_user
from jobspy_web.alerts import delivery, inbox, webpush
from jobspy_web.core.tiers import Tier
from jobspy_web.db import write_session
from jobspy_web.infra import logging as app_logging
from jobspy_web.infra import mail, queue
from jobspy_web.models import LoginSession, RevokedJwt, Search, SearchStatus, User
from jobspy_web.models.base import utcnow
from jobspy_web.saved_searches import runs
from jobspy_web.search import runner
from jobspy_web.settings import get_settings
from jobspy_web.tracker import reminders

log = logging.getLogger(__name__)

ANONYMOUS_SEARCHES_KEPT = timedelta(days=30)
MAIL_RETRIED_FOR = timedelta(days=2)
CRON = [
    queue.CronEntry("saved_searches.dispatch", "* * * * *"),
    queue.CronEntry("alerts.retry", "* * * * *"),
    queue.CronEntry("housekeeping", "*/5 * * * *"),
]


def _tier_of(session: Session, user: User) -> Tier:
    return tier_for_user(session=session, user=user)


@queue.register("saved_searches.dispatch")
async def dispatch_job() -> int:
    return await runs.dispatch_due(tier_of=_tier_of)


def purge_expired_credentials(session: Session) -> int:
    """Revoked JWTs past their expiry (they fail on `exp` anyway) and login sessions past theirs."""
    now = utcnow()
    jwts = session.execute(delete(RevokedJwt).where(col(RevokedJwt.expires_at) < now - timedelta(minutes=5)))
    sessions = session.execute(delete(LoginSession).where(col(LoginSession.expires_at) < now))
    return int(jwts.rowcount or 0) + int(sessions.rowcount or 0)  # type: ignore[attr-defined]


def prune_anonymous_searches(session: Session) -> int:
    """Searches nobody owns, finished and older than a month (their job links go with them)."""
    cutoff = utcnow() - ANONYMOUS_SEARCHES_KEPT
    result = session.execute(
        delete(Search).where(
            col(Search.owner_id).is_(None),
            col(Search.created_at) < cutoff,
            col(Search.status).not_in([SearchStatus.QUEUED, SearchStatus.RUNNING]),
        )
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def send_reminders(session: Session) -> int:
    """Tracker follow-ups whose date has come: an in-app alert, by email, and pushed if a browser asked."""
    now = utcnow()
    due = reminders.due_reminders(session, now)
    alert_ids = []
    for reminder in due:
        alert = inbox.create_alert(session=session, user_id=reminder.owner_id, title=reminder.text, body=reminder.url)
        channels = ["email"] + (["push"] if webpush.subscriptions(session=session, user_id=reminder.owner_id) else [])
        delivery.plan_deliveries(session=session, alert=alert, saved=None, channels=channels)
        alert_ids.append(alert.id)
    reminders.mark_reminded(session, [reminder.item_id for reminder in due], now)
    return len(alert_ids)


def housekeeping_once() -> dict[str, int]:
    """One pass of every periodic chore; each in its own transaction so one failing spares the rest."""
    done: dict[str, int] = {}
    chores = {
        "interrupted_searches": lambda session: runner.mark_interrupted(session=session),
        "expired_credentials": purge_expired_credentials,
        "mail_resent": lambda session: mail.resend_unsent(session=session, since=utcnow() - MAIL_RETRIED_FOR),
        "anonymous_searches_pruned": prune_anonymous_searches,
        "reminders": send_reminders,
    }
    for name, chore in chores.items():
        try:
            with write_session() as session:
                done[name] = chore(session)
        except Exception:
            log.exception("housekeeping: %s failed", name)
            done[name] = -1
    return done


@queue.register("housekeeping")
async def housekeeping_job() -> dict[str, int]:
    done = await asyncio.to_thread(housekeeping_once)
    await delivery.deliver_due()  # reminders just planned go out now
    return done


_in_process: set[asyncio.Task[None]] = set()


def start_in_process() -> None:
    """The embedded default: cron entries ticking on this event loop, jobs as its tasks."""
    if get_settings().state_redis_url:
        return  # queue workers do it
    task = asyncio.get_running_loop().create_task(queue.run_cron(queue.get_queue(), CRON))
    _in_process.add(task)
    task.add_done_callback(_in_process.discard)


def run_worker(*, concurrency: int = 10) -> None:
    """Run a SAQ worker on REDIS_URL until SIGINT/SIGTERM."""
    url = get_settings().state_redis_url  # REDIS_STATE_URL, else REDIS_URL: where infra.queue enqueues
    if not url:
        raise SystemExit("REDIS_URL is not set: without Redis the app runs its jobs itself (no worker needed)")
    app_logging.configure()  # the web workers' structured lines (JSON in production)
    worker_id = f"{socket.gethostname()}:{os.getpid()}"

    async def main() -> None:
        worker = queue.queue_worker(url, cron=CRON, concurrency=concurrency, worker_id=worker_id)
        queue.use_queue(queue.SaqQueue(url))  # jobs that queue others use the same Redis
        await worker.queue.connect()
        try:
            await worker.start()
        finally:
            await worker.queue.disconnect()

    asyncio.run(main())
