"""Saved searches on the task queue: 500 due in one minute on 2 queue workers, the queue's own
cost per job, and only-new for a user with 100,000 seen jobs.

    .venv/bin/python bench/alerts.py [--searches 500] [--workers 2] [--seen 100000]

1. 500 saved searches (one replayed site each, the replay proxy in its own process) come due
   in the same minute; two `python -m jobspy_web.cli worker` processes on Redis (DB 1) take
   them. Every one must run exactly once and none be lost. Prints searches per minute per
   worker and the p95 delay from the slot to the run's start.
2. The queue's own cost per job: enqueue to start of a job whose work is nothing (a site that
   answers at once costs the same), through SAQ on Redis, against calling the job function
   directly in the same run (target <= 5 ms).
3. Only-new for one run of 100 jobs against a user who has seen 100,000 (target <= 50 ms).
PostgreSQL (a throwaway database) as in production.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

REDIS_URL = "redis://127.0.0.1:6379/1"  # issue 13's queue database


def start_proxy() -> tuple[subprocess.Popen[str], str, str]:
    proxy = subprocess.Popen([sys.executable, "-m", "tests.replay", "--port", "0"], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proxy.stdout is not None
    url = proxy.stdout.readline().split(": ", 1)[1].strip()
    ca_cert = proxy.stdout.readline().split(": ", 1)[1].strip()
    return proxy, url, ca_cert


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def make_due_searches(count: int) -> datetime:
    """`count` Pro users' saved searches, all due at the current minute's slot."""
    from sqlmodel import select

    from jobspy_web.db import write_session
    from jobspy_web.models import Role, SavedSearch, User
    from jobspy_web.models.base import utcnow
    from jobspy_web.saved_searches import store

    with write_session() as session:
        for index in range(count):
            user = User(email=f"bench{index}@example.com", role=Role.PRO)
            session.add(user)
            session.flush()
            data = store.parse_saved_search(
                {
                    "name": f"bench {index}",
                    "search_terms": [f"python developer {index % 7}"],
                    "params": {"site_name": ["indeed"], "results_wanted": 5},
                    "schedule": "hourly",
                    "minute": 0,
                    "email_digest": False,
                }
            )
            store.create_saved_search(session=session, owner_id=user.id, tier="pro", data=data)
    slot = utcnow().replace(second=0, microsecond=0) + timedelta(minutes=1)  # the next minute, as cron fires
    with write_session() as session:
        for saved in session.exec(select(SavedSearch)):
            saved.next_run_at, saved.minute = slot, slot.minute
            session.add(saved)
    return slot


def scheduled_runs(count: int, workers: int, env: dict[str, str]) -> None:
    import redis
    from sqlmodel import func, select

    import jobspy_web.worker  # noqa: F401  (the job names this process enqueues)
    from jobspy_web.db import read_session
    from jobspy_web.infra import queue
    from jobspy_web.models import RunStatus, SavedSearchRun
    from jobspy_web.models.base import utcnow

    redis.Redis.from_url(REDIS_URL).flushdb()
    slot = make_due_searches(count)
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "jobspy_web.cli", "worker", "--concurrency", "8"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(workers)
    ]
    try:
        time.sleep(3)  # the workers connect and import

        async def fire() -> None:  # the minute's cron tick, as each worker's would enqueue it
            producer = queue.SaqQueue(REDIS_URL)
            await asyncio.gather(*(producer.enqueue("saved_searches.dispatch") for _ in range(workers)))
            await producer.close()

        time.sleep(max(0.0, (slot - utcnow()).total_seconds()))  # until the slot's minute begins
        started = time.perf_counter()
        asyncio.run(fire())
        deadline = started + 1800
        while time.perf_counter() < deadline:
            with read_session() as session:
                done = session.exec(
                    select(func.count()).select_from(SavedSearchRun).where(SavedSearchRun.status == RunStatus.COMPLETED)
                ).one()
            if done >= count:
                break
            time.sleep(1)
        elapsed = time.perf_counter() - started
        time.sleep(2)  # a duplicate would have shown up by now
        with read_session() as session:
            all_runs = list(session.exec(select(SavedSearchRun)))
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(30)
    per_search = {}
    for run in all_runs:
        per_search[run.saved_search_id] = per_search.get(run.saved_search_id, 0) + 1
    delays = [(run.started_at - run.slot_at).total_seconds() for run in all_runs if run.started_at]
    completed = sum(run.status is RunStatus.COMPLETED for run in all_runs)
    print(f"\n1. {count} saved searches due in one minute, {workers} queue workers (PostgreSQL, Redis, replayed Indeed)")
    print(f"   runs {len(all_runs)}, completed {completed}, saved searches run exactly once: {sum(v == 1 for v in per_search.values())}")
    print(f"   lost: {count - len(per_search)}   run twice: {sum(v > 1 for v in per_search.values())}")
    print(f"   all done in {elapsed:.1f} s: {count / (elapsed / 60) / workers:.0f} searches per minute per worker")
    print(f"   slot -> start delay  p50 {statistics.median(delays):.1f} s   p95 {percentile(delays, 0.95):.1f} s")
    assert len(all_runs) == count == completed == len(per_search), "every saved search runs exactly once"


async def queue_cost(jobs: int) -> None:
    from jobspy_web.infra import queue

    started_at: dict[str, float] = {}

    @queue.register("bench.noop")
    async def noop(mark: str) -> None:
        started_at[mark] = time.perf_counter()

    direct = []
    for index in range(jobs):
        before = time.perf_counter()
        await noop(f"direct-{index}")
        direct.append(started_at[f"direct-{index}"] - before)

    # A queue of its own: the app's cron entries (queued by workers of an earlier run) stay out of it.
    worker = queue.queue_worker(REDIS_URL, worker_id="bench", concurrency=1, name="bench-cost")
    worker.SIGNALS = []
    await worker.queue.connect()
    running = asyncio.create_task(worker.start())
    producer = queue.SaqQueue(REDIS_URL, name="bench-cost")
    via_queue = []
    try:
        await asyncio.sleep(0.5)
        for index in range(jobs):  # one at a time: the cost of one job, not of a backlog
            mark = f"queued-{index}"
            before = time.perf_counter()
            await producer.enqueue("bench.noop", mark=mark)
            while mark not in started_at:
                await asyncio.sleep(0.0002)
            via_queue.append(started_at[mark] - before)
    finally:
        await worker.stop()
        await worker.queue.disconnect()
        await producer.close()
        running.cancel()
    queued_ms, direct_ms = statistics.median(via_queue) * 1000, statistics.median(direct) * 1000
    print(f"\n2. the queue's own cost per job, {jobs} jobs one at a time (SAQ on Redis)")
    print(f"   direct call to start   median {direct_ms:.3f} ms")
    print(f"   enqueue to start       median {queued_ms:.2f} ms   p95 {percentile(via_queue, 0.95) * 1000:.2f} ms")
    print(f"   queue cost per job     {queued_ms - direct_ms:.2f} ms   (target <= 5 ms)")


def _only_new_runs(user_id: uuid.UUID, tag: str, rounds: int) -> list[float]:
    from jobspy_web.db import write_session
    from jobspy_web.search import jobs, runner, seen
    from jobspy_web.search.params import parse_search_params

    timings = []
    for round_number in range(rounds):
        rows = [
            {
                "id": f"{tag}{round_number}-{index}",
                "job_url": f"https://indeed.example/{tag}{round_number}/{index}",
                "title": f"Engineer {tag} {round_number}-{index}",
                "company": f"Company {index}",
                "location": "Austin, TX",
            }
            for index in range(100)
        ]
        with write_session() as session:
            search = runner.create_search(session=session, params=parse_search_params({"search_term": "x"}), owner_id=user_id)
            jobs.store_site_jobs(session=session, search_id=search.id, site="indeed", rows=rows)
        with write_session() as session:
            started = time.perf_counter()
            new = seen.take_unseen(session=session, user_id=user_id, search_ids=[search.id])
            session.flush()
            timings.append(time.perf_counter() - started)
        assert len(new) == 100
    return timings


def only_new(seen_count: int, rounds: int = 9) -> None:
    """A run's only-new for a user with `seen_count` seen jobs, against one with none (the
    baseline in the same run: what the history's size adds) and a bare round trip."""
    from sqlalchemy import insert, text

    from jobspy_web.db import write_session
    from jobspy_web.models import Role, SeenJob, User
    from jobspy_web.models.base import utcnow

    with write_session() as session:
        heavy, light = User(email="seen-heavy@example.com", role=Role.PRO), User(email="seen-light@example.com", role=Role.PRO)
        session.add_all([heavy, light])
        session.flush()
        heavy_id, light_id = heavy.id, light.id
        now = utcnow()
        for start in range(0, seen_count, 10_000):
            rows = [{"user_id": heavy_id, "dedupe_key": f"{index:064x}", "first_seen_at": now} for index in range(start, start + 10_000)]
            session.execute(insert(SeenJob), rows)
    with write_session() as session:  # as autovacuum does soon after a load this size: the planner's statistics
        session.execute(text("ANALYZE seen_jobs"))
    round_trips = []
    for _ in range(rounds):
        with write_session() as session:
            started = time.perf_counter()
            session.execute(text("SELECT 1"))
            round_trips.append(time.perf_counter() - started)
    heavy_times, light_times = [], []
    for index in range(3):  # alternating, so load on the machine falls on both alike
        heavy_times += _only_new_runs(heavy_id, f"h{index}", rounds // 3)
        light_times += _only_new_runs(light_id, f"l{index}", rounds // 3)
    heavy_ms, light_ms = statistics.median(heavy_times) * 1000, statistics.median(light_times) * 1000
    print("\n3. only-new for one run of 100 jobs (read the run's jobs, look up and record their identities)")
    print(f"   a user with {seen_count:,} seen   median {heavy_ms:.1f} ms   worst {max(heavy_times) * 1000:.1f} ms   (target <= 50 ms)")
    print(f"   a user with none seen        median {light_ms:.1f} ms   (the history adds {heavy_ms - light_ms:+.1f} ms)")
    print(f"   one bare round trip          median {statistics.median(round_trips) * 1000:.2f} ms (how busy the machine is)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--searches", type=int, default=500)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seen", type=int, default=100_000)
    parser.add_argument("--queue-jobs", type=int, default=500)
    args = parser.parse_args()

    from db_helpers import temporary_postgres_database, upgrade_to_head

    data_dir = tempfile.mkdtemp(prefix="bench-alerts-")
    proxy, url, ca_cert = start_proxy()
    try:
        with temporary_postgres_database("jobspy_bench_alerts") as database_url:
            upgrade_to_head(database_url)
            os.environ.update(DATA_DIR=data_dir, DATABASE_URL=database_url, REDIS_URL=REDIS_URL, JOBSPY_PROXIES=url, JOBSPY_CA_CERT=ca_cert)
            env = {**os.environ, "REFLEX_TELEMETRY_ENABLED": "false"}
            asyncio.run(queue_cost(args.queue_jobs))
            only_new(args.seen)
            if args.searches:  # --searches 0: only the queue's cost and only-new
                scheduled_runs(args.searches, args.workers, env)
            from jobspy_web.db import reset_engines

            reset_engines()
    finally:
        proxy.terminate()
        proxy.wait(10)


if __name__ == "__main__":
    main()
