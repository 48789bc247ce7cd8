"""The task queue: SAQ on Redis when REDIS_URL is set, the same job functions in-process otherwise.

A job function is a plain `async def f(**kwargs)` registered by name (`register`); whoever
enqueues names it, so the web worker need not import what the queue worker runs. With
Redis, `queue_worker()` builds the SAQ worker that runs them (heartbeats, timeouts, cron,
its sweep of abandoned jobs); without, `InProcessQueue` runs them as tasks of this event
loop, and `run_cron` ticks the same cron entries. Same code path, different queue.

A key makes a job unique while it waits or runs: enqueuing the same key again is a no-op
(False), on either queue. `touch()` inside a job proves it alive (SAQ's heartbeat).
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

import saq
from croniter import croniter

from jobspy_web.infra import metrics
from jobspy_web.infra.connection_sets import close_at_shutdown
from jobspy_web.settings import get_settings

__all__ = [
    "CronEntry",
    "InProcessQueue",
    "JobSpec",
    "SaqQueue",
    "TaskQueue",
    "get_queue",
    "queue_worker",
    "register",
    "registered",
    "run_cron",
    "touch",
    "use_queue",
]

log = logging.getLogger(__name__)
QUEUE_NAME = "jobspy"
JobFunction = Callable[..., Awaitable[Any]]


@dataclass(frozen=True)
class JobSpec:
    name: str
    function: JobFunction
    timeout_s: int = 0  # 0: no limit (a search stops its own sites)
    heartbeat_s: int = 0  # 0: none; else SAQ sweeps a job silent this long
    retries: int = 1  # attempts in all


@dataclass(frozen=True)
class CronEntry:
    """Run job `name` (no arguments) on a cron expression, once per tick across every worker."""

    name: str
    cron: str


_REGISTRY: dict[str, JobSpec] = {}
_current_saq_job: contextvars.ContextVar[saq.Job | None] = contextvars.ContextVar("current_saq_job", default=None)


def register(name: str, *, timeout_s: int = 0, heartbeat_s: int = 0, retries: int = 1) -> Callable[[JobFunction], JobFunction]:
    """Decorator: `function` becomes the job `name` on every queue."""

    def decorate(function: JobFunction) -> JobFunction:
        _REGISTRY[name] = JobSpec(name, function, timeout_s, heartbeat_s, retries)
        return function

    return decorate


def registered() -> dict[str, JobSpec]:
    return dict(_REGISTRY)


def _spec(name: str) -> JobSpec:
    try:
        return _REGISTRY[name]
    except KeyError:
        raise LookupError(f"no job function named {name!r} is registered (import its module first)") from None


async def touch() -> None:
    """Tell the queue the running job is alive (SAQ's heartbeat); in-process, nothing to do."""
    job = _current_saq_job.get()
    if job is not None:
        await job.update()


class TaskQueue(Protocol):
    async def enqueue(self, name: str, *, key: str | None = None, **kwargs: Any) -> bool:
        """Start job `name` with `kwargs` (JSON values); False if `key` is already waiting or running."""
        ...

    async def close(self) -> None: ...


class InProcessQueue:
    """The embedded default: each job is a task of the running event loop."""

    def __init__(self) -> None:
        self._running: dict[str, asyncio.Task[Any]] = {}
        self._anonymous: set[asyncio.Task[Any]] = set()

    async def enqueue(self, name: str, *, key: str | None = None, **kwargs: Any) -> bool:
        spec = _spec(name)
        if key is not None and key in self._running:
            return False
        task = asyncio.create_task(self._run(spec, kwargs), name=f"job:{name}")
        if key is None:
            self._anonymous.add(task)
            task.add_done_callback(self._anonymous.discard)
        else:
            self._running[key] = task
            task.add_done_callback(lambda _: self._running.pop(key, None))
        return True

    async def _run(self, spec: JobSpec, kwargs: dict[str, Any]) -> Any:
        attempts = 0
        while True:
            attempts += 1
            try:
                call = spec.function(**kwargs)
                return await (asyncio.wait_for(call, spec.timeout_s) if spec.timeout_s else call)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("job %s failed (attempt %s of %s)", spec.name, attempts, spec.retries)
                if attempts >= spec.retries:
                    return None

    async def drain(self) -> None:
        """Wait until every job started so far (and any they start) has finished."""
        while pending := [*self._running.values(), *self._anonymous]:
            await asyncio.gather(*pending, return_exceptions=True)

    async def close(self) -> None:
        for task in [*self._running.values(), *self._anonymous]:
            task.cancel()
        await self.drain()


class SaqQueue:
    """Production: jobs go to Redis, and a `python -m jobspy_web.cli worker` process runs them."""

    def __init__(self, url: str, name: str = QUEUE_NAME) -> None:
        self.saq = saq.Queue.from_url(url, name=name)

    async def enqueue(self, name: str, *, key: str | None = None, **kwargs: Any) -> bool:
        spec = _spec(name)
        options: dict[str, Any] = {"timeout": spec.timeout_s, "heartbeat": spec.heartbeat_s, "retries": spec.retries}
        if key is not None:
            options["key"] = key
        return await self.saq.enqueue(name, **options, **kwargs) is not None

    async def close(self) -> None:
        await self.saq.disconnect()


# One queue per event loop: a redis.asyncio client belongs to the loop that made it.
_QUEUES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, TaskQueue] = weakref.WeakKeyDictionary()


def get_queue() -> TaskQueue:
    """This process's queue (call from inside the event loop that will use it)."""
    loop = asyncio.get_running_loop()
    queue = _QUEUES.get(loop)
    if queue is None:
        url = get_settings().state_redis_url  # REDIS_STATE_URL, else REDIS_URL
        queue = _QUEUES[loop] = SaqQueue(url) if url else InProcessQueue()
        if isinstance(queue, SaqQueue):
            close_at_shutdown(queue.close)  # its Redis connections, before their loop closes
    return queue


def use_queue(queue: TaskQueue) -> None:
    """Make `queue` this loop's queue (tests, benches and the worker choose their own)."""
    _QUEUES[asyncio.get_running_loop()] = queue


def _saq_function(spec: JobSpec) -> Callable[..., Awaitable[Any]]:
    async def run(ctx: dict[str, Any], **kwargs: Any) -> Any:
        token = _current_saq_job.set(ctx.get("job"))
        started = time.monotonic()
        try:
            return await spec.function(**kwargs)
        finally:
            _current_saq_job.reset(token)
            metrics.observe_job(QUEUE_NAME, spec.name, time.monotonic() - started)

    # SAQ names cron jobs by __qualname__; it must be the registered name.
    run.__qualname__ = run.__name__ = spec.name
    return run


def queue_worker(
    url: str, *, cron: Iterable[CronEntry] = (), concurrency: int = 10, name: str = QUEUE_NAME, worker_id: str | None = None
) -> saq.Worker:
    """A SAQ worker for every registered job function and the given cron entries.

    Cron entries are unique per tick (SAQ keys them `cron:<name>`), so any number of workers
    enqueue each tick once. SAQ's sweep (every minute) finishes a killed worker's jobs as
    aborted once their heartbeat is stale; the search itself is settled as interrupted by its
    watchers and housekeeping, from its own heartbeat in the database.
    """
    functions = {spec.name: _saq_function(spec) for spec in _REGISTRY.values()}
    cron_jobs = [saq.CronJob(functions[entry.name], cron=entry.cron, unique=True, timeout=0) for entry in cron]
    return saq.Worker(
        saq.Queue.from_url(url, name=name),
        functions=list(functions.items()),
        cron_jobs=cron_jobs,
        concurrency=concurrency,
        id=worker_id,
    )


async def run_cron(
    queue: TaskQueue, cron: Iterable[CronEntry], *, clock: Callable[[], datetime] = lambda: datetime.now(UTC), tick_s: float = 5.0
) -> None:
    """The in-process cron: enqueue each entry when its time has come, until cancelled."""
    entries = list(cron)
    due = {entry.name: croniter(entry.cron, clock()).get_next(datetime) for entry in entries}
    while True:
        now = clock()
        for entry in entries:
            if due[entry.name] <= now:
                due[entry.name] = croniter(entry.cron, now).get_next(datetime)
                await queue.enqueue(entry.name, key=f"cron:{entry.name}")
        await asyncio.sleep(tick_s)
