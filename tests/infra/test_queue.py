"""The task queue: the same job functions in-process (the embedded default) and on SAQ with Redis (DB 1)."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
import redis
from redis_helpers import redis_test_url

from jobspy_web.infra import queue

REDIS_URL = redis_test_url(1)
calls: list[tuple[str, int]] = []
gate = asyncio.Event()


@queue.register("test.record")
async def record(value: int) -> int:
    calls.append(("record", value))
    return value * 2


@queue.register("test.wait")
async def wait_for_gate(value: int = 0) -> None:
    calls.append(("wait", value))
    await gate.wait()


@queue.register("test.flaky", retries=3)
async def flaky(value: int) -> None:
    calls.append(("flaky", value))
    if len([call for call in calls if call[0] == "flaky"]) < 3:
        raise RuntimeError("not yet")


@pytest.fixture(autouse=True)
def fresh() -> None:
    calls.clear()
    gate.clear()


async def test_in_process_runs_the_registered_function_with_its_arguments():
    inbox = queue.InProcessQueue()
    assert await inbox.enqueue("test.record", value=21)
    await inbox.drain()
    assert calls == [("record", 21)]


async def test_in_process_key_makes_a_job_unique_while_it_runs():
    inbox = queue.InProcessQueue()
    assert await inbox.enqueue("test.wait", key="k", value=1)
    await asyncio.sleep(0)
    assert not await inbox.enqueue("test.wait", key="k", value=2)
    gate.set()
    await inbox.drain()
    assert calls == [("wait", 1)]
    assert await inbox.enqueue("test.record", key="k", value=3)  # free again once finished
    await inbox.drain()


async def test_in_process_retries_a_failing_job_up_to_its_attempts():
    inbox = queue.InProcessQueue()
    await inbox.enqueue("test.flaky", value=0)
    await inbox.drain()
    assert [name for name, _ in calls] == ["flaky"] * 3


async def test_an_unregistered_name_is_refused_at_enqueue():
    with pytest.raises(LookupError, match="no job function named"):
        await queue.InProcessQueue().enqueue("test.nothing")


async def test_in_process_cron_enqueues_each_entry_when_its_minute_comes():
    now = [datetime(2026, 12, 2, 8, 0, 30, tzinfo=UTC)]
    inbox = queue.InProcessQueue()
    ticking = asyncio.create_task(queue.run_cron(inbox, [queue.CronEntry("test.wait", "* * * * *")], clock=lambda: now[0], tick_s=0.01))
    try:
        await asyncio.sleep(0.05)
        assert calls == []  # 08:01 has not come
        now[0] += timedelta(seconds=40)
        await asyncio.sleep(0.05)
        assert len(calls) == 1
        now[0] += timedelta(seconds=30)  # 08:01:40: the same tick, still running: no second one
        await asyncio.sleep(0.05)
        assert len(calls) == 1
    finally:
        ticking.cancel()
        gate.set()
        await inbox.close()


@pytest.fixture
def redis_queue_url():
    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    yield REDIS_URL
    client.flushdb()
    client.close()


async def _workers(url: str, count: int, cron=()) -> list:
    workers = [queue.queue_worker(url, cron=cron, worker_id=f"w{index}") for index in range(count)]
    for worker in workers:
        worker.SIGNALS = []  # pytest owns the signals
        await worker.queue.connect()
        worker._task = asyncio.create_task(worker.start())
    return workers


async def _stop(workers) -> None:
    for worker in workers:
        await worker.stop()
        await worker.queue.disconnect()


async def _until(predicate, timeout_s: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not predicate():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError("timed out")
        await asyncio.sleep(0.02)


async def test_saq_runs_each_job_once_across_two_workers(redis_queue_url):
    workers = await _workers(redis_queue_url, 2)
    producer = queue.SaqQueue(redis_queue_url)
    try:
        for value in range(20):
            assert await producer.enqueue("test.record", key=f"job-{value}", value=value)
        await _until(lambda: len(calls) == 20)
        await asyncio.sleep(0.2)
        assert sorted(value for _, value in calls) == list(range(20))
    finally:
        await producer.close()
        await _stop(workers)


async def test_saq_refuses_a_key_already_waiting_or_running(redis_queue_url):
    producer = queue.SaqQueue(redis_queue_url)
    try:
        assert await producer.enqueue("test.record", key="same", value=1)
        assert not await producer.enqueue("test.record", key="same", value=2)
    finally:
        await producer.close()


async def test_saq_cron_tick_runs_once_however_many_workers_schedule_it(redis_queue_url):
    workers = await _workers(redis_queue_url, 3, cron=[queue.CronEntry("test.record", "* * * * * *")])
    try:
        # Every worker enqueues the same tick (key cron:test.record); only one copy is kept.
        for worker in workers:
            await worker.schedule()
        jobs = await workers[0].queue.info(jobs=True)
        assert jobs["scheduled"] <= 1
    finally:
        await _stop(workers)
