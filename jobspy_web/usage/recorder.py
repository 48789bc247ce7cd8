"""Usage events written off the request path, in batches.

record() only appends to an in-memory queue (about a microsecond); a writer thread takes
what has queued every FLUSH_EVERY_S, or at once when BATCH_SIZE events wait, and writes it
in one statement (usage.store). stop() writes what is left, so a clean shutdown loses
nothing; it runs from the app's lifespan and, failing that, at interpreter exit.
"""

from __future__ import annotations

import atexit
import logging
import threading
from collections import deque
from collections.abc import Callable, Sequence
from functools import lru_cache

from jobspy_web.usage import store
from jobspy_web.usage.events import UsageEvent

__all__ = ["BATCH_SIZE", "FLUSH_EVERY_S", "UsageEvent", "UsageRecorder", "get_recorder", "stop_recorder"]

log = logging.getLogger(__name__)
BATCH_SIZE = 500
FLUSH_EVERY_S = 1.0
MAX_QUEUED = 100_000  # past this (the store down for minutes), the oldest events are dropped


Writer = Callable[[Sequence[UsageEvent]], None]


class UsageRecorder:
    def __init__(self, write: Writer, *, batch_size: int = BATCH_SIZE, flush_every_s: float = FLUSH_EVERY_S) -> None:
        self._write = write
        self._batch_size = batch_size
        self._flush_every_s = flush_every_s
        self._queue: deque[UsageEvent] = deque(maxlen=MAX_QUEUED)
        self._wake = threading.Event()
        self._stopping = False
        self._write_lock = threading.Lock()  # the thread and flush() never write the same events twice
        self._thread = threading.Thread(target=self._run, name="usage-writer", daemon=True)
        self._thread.start()

    def record(self, event: UsageEvent) -> None:
        self._queue.append(event)
        if len(self._queue) >= self._batch_size:
            self._wake.set()

    def flush(self) -> int:
        """Write everything queued now, in this thread; how many events were written.

        Only what was queued when it started: the events recorded while a batch is being
        written wait for the next flush. Draining until empty chased the queue's tail, a
        few dozen events per write, each write costing the GIL's turn (bench/load.py's
        mix: batches of ~30 at ~50 us of CPU an event, against ~6 us in batches of 500)."""
        written = 0
        with self._write_lock:
            pending = len(self._queue)
            while pending > 0:  # only this lock's holder takes from the queue
                batch = [self._queue.popleft() for _ in range(min(self._batch_size, pending))]
                pending -= len(batch)
                try:
                    self._write(batch)
                except Exception:
                    # Put them back for the next try; the store may be restarting.
                    self._queue.extendleft(reversed(batch))
                    log.exception("could not write %d usage events; kept for the next try", len(batch))
                    break
                written += len(batch)
        return written

    def stop(self) -> None:
        """Stop the writer thread and write what is left."""
        self._stopping = True
        self._wake.set()
        self._thread.join(timeout=10)
        self.flush()

    @property
    def queued(self) -> int:
        return len(self._queue)

    def _run(self) -> None:
        while not self._stopping:
            self._wake.wait(self._flush_every_s)
            self._wake.clear()
            if self._queue:
                self.flush()


@lru_cache(maxsize=1)
def get_recorder() -> UsageRecorder:
    """This process's recorder, writing to usage.store (ClickHouse or the primary database)."""
    recorder = UsageRecorder(store.write_events)
    atexit.register(recorder.stop)
    return recorder


def stop_recorder() -> None:
    """Write what is queued and stop (the app's shutdown; tests)."""
    if get_recorder.cache_info().currsize:
        recorder = get_recorder()
        recorder.stop()
        atexit.unregister(recorder.stop)
    get_recorder.cache_clear()
