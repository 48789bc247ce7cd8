"""How each job board has been doing for this server, read from recent searches' site outcomes.

Every search stores one outcome per site (search.runner); this module looks back over the
newest ones across the whole instance, whoever ran them, and answers two questions:

  summary()          per board: success rate, median time, share blocked, last failure.
  should_back_off()  asked by the runner before it starts a site: a board that blocked
                     the last few attempts is left alone for a while, then one attempt
                     is let through to see whether it recovered.

Only the newest searches of the last days are read (WINDOW, MAX_SEARCHES), so each call
is one bounded query whatever the size of the table.
"""

from __future__ import annotations

import statistics
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, func, select

from jobspy_web.core.sites import SITES
from jobspy_web.infra.cache import get_cache
from jobspy_web.models import Search
from jobspy_web.models.base import utcnow
from jobspy_web.search.outcomes import FailureReason, SiteOutcome, SiteState, redact
from jobspy_web.settings import get_settings

__all__ = [
    "BACKOFF_BASE",
    "BACKOFF_CAP",
    "MAX_SEARCHES",
    "STREAK_LENGTH",
    "WINDOW",
    "BlockedNotice",
    "BoardHealth",
    "LastFailure",
    "blocked_notices",
    "blocked_streak",
    "should_back_off",
    "summary",
]

WINDOW = timedelta(days=7)
MAX_SEARCHES = 500  # newest searches read per call: keeps every call one cheap query
STREAK_LENGTH = 3  # this many blocked answers in a row and a board is backed off
BACKOFF_BASE = timedelta(minutes=15)  # after STREAK_LENGTH blocks; doubles per further block
BACKOFF_CAP = timedelta(hours=2)
BLOCKED_REASONS = (FailureReason.BLOCKED, FailureReason.GEOBLOCKED)
# How long the attempt let through after a backoff may take before another one is allowed.
_PROBE_MARGIN_S = 60.0


@dataclass(frozen=True)
class LastFailure:
    at: datetime
    reason: str  # a FailureReason value
    message: str  # free of proxy credentials, like detail
    detail: str = ""  # the technical text, where the outcome has one

    def as_json(self, *, with_message: bool = True) -> dict[str, Any]:
        texts = {"message": self.message, "detail": self.detail} if with_message else {}
        return {"at": self.at.isoformat(), "reason": self.reason, **texts}


@dataclass(frozen=True)
class BlockedNotice:
    """A board whose last answers were all refusals: since when, and what to tell people."""

    site: str
    since: datetime  # the first refusal of the streak
    last_blocked_at: datetime
    streak: int  # refusals in a row, newest first
    retry_at: datetime  # until then should_back_off() says wait
    message: str  # e.g. "LinkedIn has been blocking this server for 2 h: set JOBSPY_PROXIES or try later."

    def backing_off(self, now: datetime | None = None) -> bool:
        return (now or utcnow()) < self.retry_at

    def full_text(self, now: datetime | None = None) -> str:
        """The message, plus how long new searches will skip the board (when they do)."""
        now = now or utcnow()
        if not self.backing_off(now):
            return self.message
        return f"{self.message} New searches skip it for about {_for_how_long(self.retry_at - now)}."

    def as_json(self, now: datetime | None = None) -> dict[str, Any]:
        return {
            "since": self.since.isoformat(),
            "last_blocked_at": self.last_blocked_at.isoformat(),
            "streak": self.streak,
            "retry_at": self.retry_at.isoformat(),
            "backing_off": self.backing_off(now),
            "message": self.full_text(now),
        }


@dataclass(frozen=True)
class BoardHealth:
    """One board over the recent searches that asked for it."""

    site: str
    name: str
    searches: int  # recent searches that included this board, in any state
    done: int
    failed: int
    success_rate: float | None  # done / (done + failed); None before any answer
    median_ms: int | None  # of answered attempts (done or failed)
    # Answers refused (blocked or geoblocked), at once or part-way through, / (done + failed).
    blocked_share: float | None
    last_failure: LastFailure | None
    notice: BlockedNotice | None

    def as_json(self, *, with_messages: bool = True, now: datetime | None = None) -> dict[str, Any]:
        """JSON for the API; without messages for people who aren't admins."""
        return {
            "site": self.site,
            "name": self.name,
            "searches": self.searches,
            "done": self.done,
            "failed": self.failed,
            "success_rate": self.success_rate,
            "median_ms": self.median_ms,
            "blocked_share": self.blocked_share,
            "last_failure": self.last_failure.as_json(with_message=with_messages) if self.last_failure else None,
            "notice": self.notice.as_json(now) if self.notice else None,
        }


@dataclass(frozen=True)
class _Attempt:
    """One site's outcome in one search, with the time it most likely answered."""

    at: datetime
    outcome: SiteOutcome

    @property
    def answered(self) -> bool:
        return self.outcome.state in (SiteState.DONE, SiteState.FAILED)

    @property
    def blocked(self) -> bool:
        """Refused outright: what a backoff streak is made of."""
        return self.outcome.state == SiteState.FAILED and self.outcome.reason in BLOCKED_REASONS

    @property
    def refused(self) -> bool:
        """Blocked at once, or after some jobs (a done outcome may say what stopped it)."""
        return self.answered and self.outcome.reason in BLOCKED_REASONS


@dataclass
class _History:
    """Everything recent for one site, newest first."""

    searches: int = 0
    attempts: list[_Attempt] = field(default_factory=list)


def summary(*, session: Session, now: datetime | None = None, window: timedelta = WINDOW) -> list[BoardHealth]:
    """Every board in SITES (in that order), over the newest MAX_SEARCHES searches of `window`."""
    now = now or utcnow()
    histories = _histories(session, now=now, window=window)
    with_proxies = bool(get_settings().jobspy_proxies)
    return [_health(site, histories.get(site, _History()), now=now, with_proxies=with_proxies) for site in SITES]


def blocked_notices(*, session: Session, now: datetime | None = None, n: int = STREAK_LENGTH) -> dict[str, BlockedNotice]:
    """The boards on a blocked streak right now, {site: notice}; one query for all of them.

    Read-only (unlike should_back_off): for pages that warn before anyone searches.
    """
    now = now or utcnow()
    histories = _histories(session, now=now, window=WINDOW)
    with_proxies = bool(get_settings().jobspy_proxies)
    notices = {site: _streak_notice(site, history.attempts, n=n, now=now, with_proxies=with_proxies) for site, history in histories.items()}
    return {site: notice for site, notice in notices.items() if notice is not None}


def blocked_streak(*, session: Session, site: str, n: int = STREAK_LENGTH, now: datetime | None = None) -> BlockedNotice | None:
    """A notice when `site`'s last `n` answers (across the instance) were all refusals, else None."""
    now = now or utcnow()
    history = _histories(session, now=now, window=WINDOW).get(site, _History())
    return _streak_notice(site, history.attempts, n=n, now=now, with_proxies=bool(get_settings().jobspy_proxies))


def should_back_off(*, session: Session, site: str, now: datetime | None = None) -> BlockedNotice | None:
    """The notice when the runner should skip `site` now; None when it should scrape it.

    After a streak of refusals the board is left alone for BACKOFF_BASE after the last
    one, doubling with each further refusal, at most BACKOFF_CAP. When that has passed,
    the first caller gets None (its attempt tells whether the board recovered) and the
    others keep backing off until that attempt's outcome is stored or its time runs out.
    So call it once per attempt, right before scraping.
    """
    now = now or utcnow()
    notice = blocked_streak(session=session, site=site, now=now)
    if notice is None or notice.backing_off(now):
        return notice
    return None if _claim_probe(site, notice.retry_at) else notice


def _histories(session: Session, *, now: datetime, window: timedelta) -> dict[str, _History]:
    # The last sign of life: when the search ended, or its latest heartbeat while it runs.
    last_seen = func.coalesce(col(Search.finished_at), col(Search.heartbeat_at))
    rows = session.exec(
        select(Search.site_outcomes, Search.created_at, Search.started_at, last_seen)
        .where(col(Search.created_at) >= now - window)
        .order_by(col(Search.created_at).desc())
        .limit(MAX_SEARCHES)
    ).all()
    histories: dict[str, _History] = {}
    for outcomes, created_at, started_at, seen_at in rows:
        for site, raw in (outcomes or {}).items():
            history = histories.setdefault(site, _History())
            history.searches += 1
            outcome = _read_outcome(raw)
            if outcome is not None:
                at = _answered_at(outcome, created_at, started_at, seen_at)
                history.attempts.append(_Attempt(at, outcome))
    for history in histories.values():
        # Searches overlap: order by when each site answered, not when its search began.
        history.attempts.sort(key=lambda attempt: attempt.at, reverse=True)
    return histories


def _read_outcome(raw: Any) -> SiteOutcome | None:
    # Rows written by older versions may not fit today's shape; they just don't count.
    try:
        return SiteOutcome.from_json(raw)
    except (KeyError, TypeError, ValueError):
        return None


def _answered_at(outcome: SiteOutcome, created_at: datetime, started_at: datetime | None, last_seen: datetime | None) -> datetime:
    """When a site answered: its search's start plus its own time, never after the search's end."""
    begun = started_at or created_at
    if outcome.elapsed_ms is None:
        return last_seen or begun
    answered = begun + timedelta(milliseconds=outcome.elapsed_ms)
    return min(answered, last_seen) if last_seen else answered


def _health(site: str, history: _History, *, now: datetime, with_proxies: bool) -> BoardHealth:
    answered = [attempt for attempt in history.attempts if attempt.answered]
    done = sum(attempt.outcome.state == SiteState.DONE for attempt in answered)
    failures = [attempt for attempt in answered if attempt.outcome.state == SiteState.FAILED]
    times = [attempt.outcome.elapsed_ms for attempt in answered if attempt.outcome.elapsed_ms is not None]
    return BoardHealth(
        site=site,
        name=SITES.get(site, site),
        searches=history.searches,
        done=done,
        failed=len(failures),
        success_rate=_share(done, len(answered)),
        median_ms=round(statistics.median(times)) if times else None,
        blocked_share=_share(sum(attempt.refused for attempt in answered), len(answered)),
        last_failure=_last_failure(failures),
        notice=_streak_notice(site, history.attempts, n=STREAK_LENGTH, now=now, with_proxies=with_proxies),
    )


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _last_failure(failures: Sequence[_Attempt]) -> LastFailure | None:
    if not failures:
        return None
    newest = failures[0]
    reason = newest.outcome.reason.value if newest.outcome.reason else FailureReason.ERROR.value
    # Stored texts are redacted already; again here in case an old row wasn't.
    detail = str(getattr(newest.outcome, "detail", "") or "")
    return LastFailure(at=newest.at, reason=reason, message=redact(newest.outcome.message), detail=redact(detail))


def _streak_notice(site: str, attempts: Iterable[_Attempt], *, n: int, now: datetime, with_proxies: bool) -> BlockedNotice | None:
    streak: list[_Attempt] = []
    for attempt in attempts:
        if not attempt.answered:
            continue  # queued, running, cancelled, interrupted: the board said nothing
        if not attempt.blocked:
            break
        streak.append(attempt)
    if len(streak) < max(n, 1):
        return None
    since, last = streak[-1].at, streak[0].at
    return BlockedNotice(
        site=site,
        since=since,
        last_blocked_at=last,
        streak=len(streak),
        retry_at=last + _backoff(len(streak), n),
        message=_blocked_sentence(SITES.get(site, site), now - since, with_proxies=with_proxies),
    )


def _backoff(streak: int, n: int) -> timedelta:
    doublings = min(streak - n, 16)  # the cap is reached long before; keeps the number small
    return min(BACKOFF_BASE * 2**doublings, BACKOFF_CAP)


def _blocked_sentence(name: str, duration: timedelta, *, with_proxies: bool) -> str:
    how_long = _for_how_long(duration)
    if with_proxies:
        return f"{name} has been blocking this server and its proxies for {how_long}: add other proxies to JOBSPY_PROXIES or try later."
    return f"{name} has been blocking this server for {how_long}: set JOBSPY_PROXIES or try later."


def _for_how_long(duration: timedelta) -> str:
    minutes = max(1, round(duration.total_seconds() / 60))
    if minutes < 60:
        return f"{minutes} min"
    hours = round(minutes / 60)
    return f"{hours} h" if hours < 48 else f"{round(hours / 24)} days"


def _claim_probe(site: str, retry_at: datetime) -> bool:
    """True for the first caller after the backoff ending at `retry_at` (any process)."""
    # A group that holds one entry: set_in_group refuses every other key, atomically in
    # memory and in Redis. The group is per backoff window, so each window gets one probe.
    group = f"board_health:probe:{site}:{int(retry_at.timestamp())}"
    lasts_s = get_settings().jobspy_site_timeout_seconds + _PROBE_MARGIN_S
    return get_cache().set_in_group(f"{group}:{uuid.uuid4().hex}", 1, ttl_s=lasts_s, group=group, group_ttl_s=lasts_s, max_entries=1)
