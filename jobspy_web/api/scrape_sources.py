"""The figures a /metrics scrape reads from where they live (infra.metrics.register_scrape_source):
business figures from the database, boards being skipped, whether each dependency answers,
and the queue's depth in Redis. Each runs in the scrape's worker thread."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import lru_cache

import redis
from sqlalchemy import text

from jobspy_web.billing.figures import business_figures
from jobspy_web.db import primary_engine, read_session, replica_configured, replica_engine
from jobspy_web.infra.metrics import ScrapeFigure
from jobspy_web.search import board_health
from jobspy_web.settings import get_settings

__all__ = ["SOURCES"]

QUEUE_NAME = "jobspy"  # infra.queue.QUEUE_NAME: SAQ keeps its waiting jobs in saq:<name>:queued


def _business() -> Iterable[ScrapeFigure]:
    with read_session() as session:
        figures = business_figures(session=session)
    yield ScrapeFigure("jobspy_users", figures.users)
    for plan_id, count in figures.active_subscriptions.items():
        yield ScrapeFigure("jobspy_active_subscriptions", count, {"plan": plan_id})
    for status, count in figures.licenses.items():
        yield ScrapeFigure("jobspy_licenses", count, {"status": status})
    for currency, cents in figures.mrr_cents.items():
        yield ScrapeFigure("jobspy_mrr_dollars", cents / 100, {"currency": currency})


def _blocked_boards() -> Iterable[ScrapeFigure]:
    with read_session() as session:
        notices = board_health.blocked_notices(session=session)
    for site, notice in notices.items():
        yield ScrapeFigure("jobspy_board_blocked", 1 if notice.backing_off() else 0, {"site": site})


def _answers(probe: Callable[[], object]) -> int:
    try:
        probe()
    except Exception:
        return 0
    return 1


def _select_one(engine_of: Callable[[], object]) -> Callable[[], object]:
    def probe() -> object:
        with engine_of().connect() as connection:  # type: ignore[attr-defined]
            return connection.execute(text("SELECT 1"))

    return probe


@lru_cache
def _redis(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=1, socket_connect_timeout=1)


def _dependencies() -> Iterable[ScrapeFigure]:
    yield ScrapeFigure("jobspy_dependency_up", _answers(_select_one(primary_engine)), {"name": "database"})
    if replica_configured():
        yield ScrapeFigure("jobspy_dependency_up", _answers(_select_one(replica_engine)), {"name": "replica"})
    settings = get_settings()
    # "redis": REDIS_URL; a role given its own Redis (REDIS_CACHE_URL, ...) is asked apart.
    roles = {"redis": settings.redis_url, "redis_cache": settings.redis_cache_url}
    roles |= {"redis_limits": settings.redis_limits_url, "redis_state": settings.redis_state_url}
    for name, url in roles.items():
        if url:
            yield ScrapeFigure("jobspy_dependency_up", _answers(_redis(url).ping), {"name": name})


def _queue() -> Iterable[ScrapeFigure]:
    url = get_settings().state_redis_url
    if url:  # without Redis the queue is this process's tasks: nothing waits across workers
        waiting = _redis(url).llen(f"saq:{QUEUE_NAME}:queued")
        yield ScrapeFigure("jobspy_queue_depth", float(waiting), {"queue": QUEUE_NAME})  # type: ignore[arg-type]


SOURCES: dict[str, Callable[[], Iterable[ScrapeFigure]]] = {
    "business": _business,
    "boards": _blocked_boards,
    "dependencies": _dependencies,
    "queue": _queue,
}
