"""Board health from stored site outcomes: rates, medians, blocked streaks and the backoff the
runner asks about. Searches are real rows on SQLite and PostgreSQL (the `db` fixture)."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest
import redis
from redis_helpers import redis_test_url
from sqlmodel import select

from jobspy_web.accounts import users
from jobspy_web.db import read_session, write_session
from jobspy_web.infra.cache import get_cache
from jobspy_web.models import Search, SearchStatus
from jobspy_web.search import board_health, runner
from jobspy_web.search.outcomes import FailureReason, SiteOutcome, SiteState
from jobspy_web.search.params import SITES, parse_search_params
from jobspy_web.settings import reset_process_state

NOW = datetime(2025, 6, 2, 12, 0, tzinfo=UTC)
REDIS_TEST_URL = redis_test_url(15)  # 10-14 belong to other tests and the bench


@pytest.fixture(autouse=True)
def fresh_cache(monkeypatch):
    """The in-process cache, new for each test (should_back_off keeps its probe claims there)."""
    monkeypatch.setenv("REDIS_URL", "")
    monkeypatch.setenv("JOBSPY_PROXIES", "")
    reset_process_state()
    yield


def done(count: int = 10, ms: int = 1000) -> SiteOutcome:
    return SiteOutcome(SiteState.DONE, count=count, elapsed_ms=ms)


def failed(reason: FailureReason = FailureReason.BLOCKED, ms: int = 1000, message: str = "HTTP 429 Too Many Requests") -> SiteOutcome:
    return SiteOutcome(SiteState.FAILED, reason=reason, message=message, elapsed_ms=ms)


def add_search(outcomes: dict[str, SiteOutcome], *, at: datetime, owner_id: uuid.UUID | None = None) -> None:
    """A search that started at `at` and ended with `outcomes`, as the runner leaves it."""
    params = parse_search_params({"search_term": "nurse", "site_name": list(outcomes)})
    with write_session() as session:
        created = runner.create_search(session=session, params=params, owner_id=owner_id)
        created.site_outcomes = {site: outcome.as_json() for site, outcome in outcomes.items()}
        created.status = SearchStatus.COMPLETED
        created.created_at = created.started_at = at
        created.finished_at = created.heartbeat_at = at + timedelta(minutes=2)
        session.add(created)


def add_user(email: str) -> uuid.UUID:
    with write_session() as session:
        return users.sign_up(session=session, email=email, password="correct horse battery").id


def summary(now: datetime = NOW) -> dict[str, board_health.BoardHealth]:
    with read_session() as session:
        return {board.site: board for board in board_health.summary(session=session, now=now)}


def streak(site: str = "linkedin", now: datetime = NOW) -> board_health.BlockedNotice | None:
    with read_session() as session:
        return board_health.blocked_streak(session=session, site=site, now=now)


def back_off(now: datetime, site: str = "linkedin") -> board_health.BlockedNotice | None:
    with read_session() as session:
        return board_health.should_back_off(session=session, site=site, now=now)


def test_summary_counts_answers_of_every_owner_and_ignores_the_rest(db):
    ada, bob = add_user("ada@example.com"), add_user("bob@example.com")
    hours = [NOW - timedelta(hours=h) for h in range(8, 0, -1)]
    add_search({"linkedin": done(ms=1000), "indeed": done(ms=500)}, at=hours[0], owner_id=ada)
    add_search({"linkedin": failed(FailureReason.BLOCKED, ms=2000)}, at=hours[1], owner_id=bob)
    add_search({"linkedin": done(ms=3000)}, at=hours[2])
    add_search({"linkedin": failed(FailureReason.TIMEOUT, ms=4000, message="no answer within 120 s")}, at=hours[3], owner_id=ada)
    add_search({"linkedin": SiteOutcome(SiteState.CANCELLED, message="search cancelled")}, at=hours[4], owner_id=bob)
    add_search({"linkedin": SiteOutcome(SiteState.INTERRUPTED)}, at=hours[5])
    add_search({"linkedin": SiteOutcome(SiteState.QUEUED)}, at=hours[6])
    add_search({"linkedin": failed(FailureReason.BLOCKED)}, at=NOW - board_health.WINDOW - timedelta(hours=1))  # too old

    boards = summary()

    assert list(boards) == list(SITES)
    linkedin = boards["linkedin"]
    assert (linkedin.searches, linkedin.done, linkedin.failed) == (7, 2, 2)
    assert linkedin.success_rate == 0.5  # cancelled, interrupted and queued don't count
    assert linkedin.median_ms == 2500  # of 1000, 2000, 3000, 4000
    assert linkedin.blocked_share == 0.25
    assert linkedin.last_failure is not None
    assert linkedin.last_failure.reason == "timeout" and linkedin.last_failure.message == "no answer within 120 s"
    assert linkedin.last_failure.at == hours[3] + timedelta(seconds=4)  # its search's start plus its own time
    assert linkedin.notice is None
    assert (boards["indeed"].searches, boards["indeed"].success_rate, boards["indeed"].median_ms) == (1, 1.0, 500)
    google = boards["google"]
    assert (google.searches, google.success_rate, google.median_ms, google.blocked_share, google.last_failure) == (
        0,
        None,
        None,
        None,
        None,
    )


def test_geoblocked_counts_as_blocked_and_messages_lose_proxy_credentials(db):
    add_search(
        {"glassdoor": failed(FailureReason.GEOBLOCKED, message="451 via http://ada:s3cret@10.0.0.1:8080")}, at=NOW - timedelta(hours=2)
    )
    add_search({"glassdoor": done()}, at=NOW - timedelta(hours=1))

    glassdoor = summary()["glassdoor"]

    assert glassdoor.blocked_share == 0.5 and glassdoor.success_rate == 0.5
    assert glassdoor.last_failure is not None and "s3cret" not in glassdoor.last_failure.message
    assert "10.0.0.1:8080" in glassdoor.last_failure.message
    assert "s3cret" not in str(glassdoor.as_json())


def test_a_board_that_blocked_part_way_counts_as_done_and_as_refused_but_breaks_no_streak(db):
    for minutes_ago in (40, 30, 20):
        add_search({"linkedin": failed()}, at=NOW - timedelta(minutes=minutes_ago))
    stopped_early = SiteOutcome(SiteState.DONE, count=40, reason=FailureReason.BLOCKED, message="Stopped early", elapsed_ms=1000)
    add_search({"linkedin": stopped_early}, at=NOW - timedelta(minutes=10))

    linkedin = summary()["linkedin"]

    assert (linkedin.done, linkedin.failed, linkedin.success_rate, linkedin.blocked_share) == (1, 3, 0.25, 1.0)
    assert linkedin.notice is None and streak() is None  # it answered with jobs: not blocked outright


@pytest.mark.skipif("detail" not in SiteOutcome.__dataclass_fields__, reason="outcomes without a detail text")
def test_the_last_failure_carries_the_redacted_detail(db):
    outcome = SiteOutcome(SiteState.FAILED, reason=FailureReason.NETWORK, message="Couldn't reach Indeed.", elapsed_ms=5)
    raw = {**outcome.as_json(), "detail": "ProxyError via http://ada:s3cret@10.0.0.1:8080"}
    add_search({"indeed": outcome}, at=NOW - timedelta(hours=1))
    with write_session() as session:
        stored = session.exec(select(Search)).one()
        stored.site_outcomes = {"indeed": raw}
        session.add(stored)

    last_failure = summary()["indeed"].last_failure

    assert last_failure is not None and last_failure.detail == "ProxyError via http://***@10.0.0.1:8080"
    assert "detail" not in last_failure.as_json(with_message=False)


def test_three_refusals_in_a_row_make_a_notice_that_says_since_when(db):
    add_search({"linkedin": done()}, at=NOW - timedelta(hours=3))
    for minutes_ago in (120, 60, 30):
        add_search({"linkedin": failed()}, at=NOW - timedelta(minutes=minutes_ago, seconds=1))
    add_search({"linkedin": SiteOutcome(SiteState.CANCELLED)}, at=NOW - timedelta(minutes=10))  # says nothing either way

    notice = streak()

    assert notice is not None
    assert notice.streak == 3
    assert notice.since == NOW - timedelta(minutes=120)
    assert notice.last_blocked_at == NOW - timedelta(minutes=30)
    assert notice.message == "LinkedIn has been blocking this server for 2 h: set JOBSPY_PROXIES or try later."
    assert summary()["linkedin"].notice == notice
    with read_session() as session:
        assert board_health.blocked_notices(session=session, now=NOW) == {"linkedin": notice}


def test_the_notice_says_the_proxies_are_blocked_too_when_there_are_some(db, monkeypatch):
    monkeypatch.setenv("JOBSPY_PROXIES", "http://ada:s3cret@10.0.0.1:8080, 10.0.0.2:3128")
    reset_process_state()
    for minutes_ago in (25, 15, 5):
        add_search({"indeed": failed(ms=0)}, at=NOW - timedelta(minutes=minutes_ago))

    notice = streak("indeed")

    assert notice is not None
    assert (
        notice.message
        == "Indeed has been blocking this server and its proxies for 25 min: add other proxies to JOBSPY_PROXIES or try later."
    )
    assert "s3cret" not in notice.message


def test_no_notice_for_two_refusals_or_when_the_newest_answer_worked(db):
    for minutes_ago in (50, 40):
        add_search({"linkedin": failed(), "indeed": failed()}, at=NOW - timedelta(minutes=minutes_ago))
    add_search({"indeed": failed(FailureReason.TIMEOUT)}, at=NOW - timedelta(minutes=35))
    add_search({"indeed": failed()}, at=NOW - timedelta(minutes=30))
    assert streak("linkedin") is None  # only two
    assert streak("indeed") is None  # a timeout broke the streak

    add_search({"linkedin": failed()}, at=NOW - timedelta(minutes=20))
    assert streak("linkedin") is not None
    add_search({"linkedin": done()}, at=NOW - timedelta(minutes=10))
    assert streak("linkedin") is None


def test_backoff_waits_then_lets_one_attempt_through_and_doubles_when_it_is_refused(db):
    last = NOW - timedelta(hours=1)
    for minutes_before in (20, 10, 0):
        add_search({"linkedin": failed(ms=0)}, at=last - timedelta(minutes=minutes_before))

    waiting = back_off(last + timedelta(minutes=14))
    assert waiting is not None and waiting.retry_at == last + timedelta(minutes=15)
    assert waiting.full_text(last + timedelta(minutes=14)).endswith("New searches skip it for about 1 min.")
    assert back_off(last + timedelta(minutes=16)) is None  # the window closed: this attempt probes
    assert back_off(last + timedelta(minutes=16)) is not None  # the others wait for its answer
    assert back_off(last + timedelta(minutes=16), site="indeed") is None  # other boards carry on

    probe = last + timedelta(minutes=16)
    add_search({"linkedin": failed(ms=0)}, at=probe)  # refused again: 30 min this time
    assert back_off(probe + timedelta(minutes=29)) is not None
    assert back_off(probe + timedelta(minutes=31)) is None

    add_search({"linkedin": done(ms=0)}, at=probe + timedelta(minutes=31))  # it recovered
    assert back_off(probe + timedelta(minutes=32)) is None
    assert back_off(probe + timedelta(minutes=32)) is None  # no probe needed any more


def test_backoff_is_capped(db):
    for minutes_ago in range(100, 0, -10):
        add_search({"bayt": failed(FailureReason.GEOBLOCKED, ms=0)}, at=NOW - timedelta(minutes=minutes_ago))

    notice = streak("bayt")

    assert notice is not None and notice.streak == 10
    assert notice.retry_at == notice.last_blocked_at + board_health.BACKOFF_CAP


@pytest.mark.parametrize("backend", ["memory", "redis"])
def test_only_one_attempt_probes_per_window_in_any_process(db, monkeypatch, backend):
    monkeypatch.setenv("REDIS_URL", REDIS_TEST_URL if backend == "redis" else "")
    reset_process_state()
    _forget_probes()
    last = NOW - timedelta(hours=1)
    for minutes_before in (2, 1, 0):
        add_search({"naukri": failed(ms=0)}, at=last - timedelta(minutes=minutes_before))
    after = last + timedelta(minutes=16)
    try:
        answers = [back_off(after, site="naukri") for _ in range(3)]
        _close(get_cache())
        get_cache.cache_clear()  # like another worker: a new client (in memory: a new process)
        answers.append(back_off(after, site="naukri"))
        _close(get_cache())
    finally:
        _forget_probes()
    assert [answer is None for answer in answers[:3]] == [True, False, False]
    # Another worker sees the claim through Redis; a new process's memory knows nothing of it.
    assert (answers[3] is None) == (backend == "memory")


def _close(cache) -> None:
    client = getattr(cache, "_client", None)
    if client is not None:
        client.close()


def _forget_probes() -> None:
    client = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        keys = list(client.scan_iter("jobspy:board_health:probe:*"))
        if keys:
            client.delete(*keys)
    finally:
        client.close()
