"""Scheduled runs through SAQ on the real Redis (DB 2): two workers, every due slot runs exactly once."""

import asyncio
from datetime import timedelta

import pytest
import redis
from redis_helpers import redis_test_url
from sqlmodel import func, select

from jobspy_web import worker as queue_worker_entry
from jobspy_web.db import read_session, write_session
from jobspy_web.infra import queue
from jobspy_web.models import Alert, RunStatus, SavedSearch, SavedSearchRun
from jobspy_web.models.base import utcnow
from jobspy_web.search import tasks
from tests.saved_searches.factories import make_user, posting, save, storing

REDIS_URL = redis_test_url(2)


@pytest.fixture
def redis_queue(monkeypatch):
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    monkeypatch.setenv("REDIS_URL", REDIS_URL)
    yield REDIS_URL
    client.flushdb()
    client.close()


async def _until(predicate, timeout_s: float = 120.0) -> None:  # a busy CI machine is slow, never wrong
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await asyncio.to_thread(predicate):
        assert asyncio.get_running_loop().time() < deadline, "timed out"
        await asyncio.sleep(0.05)


def count(model, *where) -> int:
    with read_session() as session:
        return session.exec(select(func.count()).select_from(model).where(*where)).one()


async def test_two_workers_run_each_due_slot_exactly_once(db, redis_queue, monkeypatch):
    monkeypatch.setattr(tasks, "execute", storing(lambda search: [posting(1, title=f"Engineer for {search.params['search_term']}")]))
    for index in range(12):
        save(make_user(f"user{index}@example.com"), schedule="hourly", minute=0, email_digest=False, search_terms=[f"term {index}"])
    with write_session() as session:  # every slot came due a minute ago
        for saved in session.exec(select(SavedSearch)):
            saved.next_run_at = utcnow() - timedelta(minutes=1)
            session.add(saved)

    workers = [queue.queue_worker(REDIS_URL, worker_id=f"w{index}", concurrency=5) for index in range(2)]
    producer = queue.SaqQueue(REDIS_URL)
    queue.use_queue(producer)
    started = []
    for worker in workers:
        worker.SIGNALS = []
        await worker.queue.connect()
        started.append(asyncio.create_task(worker.start()))
    try:
        # Both workers' cron ticks fire the dispatcher at once (no key: neither is deduped away).
        await asyncio.gather(*(producer.enqueue("saved_searches.dispatch") for _ in range(4)))
        await _until(lambda: count(SavedSearchRun, SavedSearchRun.status == RunStatus.COMPLETED) == 12)
        await asyncio.sleep(0.5)  # a duplicate would show up by now
        assert count(SavedSearchRun) == 12
        assert count(Alert) == 12
    finally:
        for worker in workers:
            await worker.stop()
            await worker.queue.disconnect()
        await producer.close()


def test_the_worker_registers_every_job_its_cron_names():
    names = set(queue.registered())
    assert {entry.name for entry in queue_worker_entry.CRON} <= names
    assert {"search.run", "saved_searches.run", "alerts.deliver"} <= names
