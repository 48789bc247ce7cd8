"""How `pytest -n N` shares the suite out among its workers (tests/conftest.py picks this).

- A unit of work is a whole test file, so module-scoped fixtures (a License Server process,
  a PostgreSQL primary and replica) start once, on one worker, not once per worker.
- Files that share something outside their tmp dirs form one unit (SHARED_UNITS).
- The browser unit (the e2e tests, the desktop app) goes first, to a worker of its own, and
  nothing runs after it there: pytest-playwright keeps an event loop running in that worker
  until its session ends, and pytest-asyncio can't start one after it. It is also the
  longest unit, so it starts at once while the other workers share out the rest.
"""

from __future__ import annotations

import fcntl
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path

import pytest
from xdist.scheduler import LoadScopeScheduling
from xdist.workermanage import WorkerController

BROWSER_UNIT = "browser"
# Test files (path prefixes, from the repo's root) that share something outside their tmp
# dirs: each entry's files run on one worker, one file after another.
SHARED_UNITS = {
    "tests/e2e/": BROWSER_UNIT,  # one built .web and one app server for the session
    "tests/desktop/test_desktop_app.py": BROWSER_UNIT,  # compiles the UI into that same .web
    "tests/extension/": "extension",  # extension/dist, rebuilt by a session fixture
}


def unit_of(nodeid: str, shared_units: Mapping[str, str] = SHARED_UNITS) -> str:
    """The unit a test belongs to: its shared unit's name, or else its file."""
    path = nodeid.split("::", 1)[0]
    for prefix, unit in shared_units.items():
        if path.startswith(prefix):
            return unit
    return path


class SuiteScheduling(LoadScopeScheduling):
    def __init__(self, config: pytest.Config, log: object = None, shared_units: Mapping[str, str] = SHARED_UNITS) -> None:
        super().__init__(config, log)  # type: ignore[arg-type]
        self.shared_units = shared_units
        self.browser_node: WorkerController | None = None

    def _split_scope(self, nodeid: str) -> str:
        # (The "@group" that --dist loadgroup appends to an id is after the file's path.)
        return unit_of(nodeid, self.shared_units)

    def _assign_work_unit(self, node: WorkerController) -> None:
        if self.browser_node is None and BROWSER_UNIT in self.workqueue:
            if len(self.nodes) > 1:  # to the first worker asking
                self.workqueue.move_to_end(BROWSER_UNIT, last=False)
                self.browser_node = node
            else:  # one worker (-n 1): last, whatever --loadscope-reorder made of the order
                self.workqueue.move_to_end(BROWSER_UNIT)
        super()._assign_work_unit(node)

    def _reschedule(self, node: WorkerController) -> None:
        if node is self.browser_node:
            # It has all its tests; it runs them, then stops.
            if not node.shutting_down:
                node.shutdown()
            return
        super()._reschedule(node)

    def remove_node(self, node: WorkerController) -> str | None:
        if node is self.browser_node:  # crashed: its replacement (or another) takes the unit
            self.browser_node = None
        return super().remove_node(node)


# --- a quiet machine for tests that time one busy thread ---------------------------------

# Tests whose budgets (in ms) are the CPU time of one busy thread (a browser's, a query's):
# while one runs, the other workers wait between their tests, as in a serial run.
QUIET_TESTS = (
    "tests/e2e/test_big_results.py",  # every long task in Chromium under 200 ms
    "tests/search/test_result_pages.py::test_each_filter_and_sort_answers_within_budget",  # 100 ms a query
    "tests/api/test_event_loop.py",  # other requests answered within 0.5 s while one waits
)


@contextmanager
def machine_to_itself(config: pytest.Config, nodeid: str) -> Iterator[None]:
    """Around a test's call under xdist: a QUIET_TESTS test takes the run's CPU lock for itself,
    every other test shares it. (Without xdist, nothing runs beside it anyway.)"""
    workerinput = getattr(config, "workerinput", None)
    if workerinput is None:
        yield
        return
    folder = Path(tempfile.gettempdir())
    name = f"jobspy-tests-{workerinput['testrunuid']}"
    quiet = nodeid.startswith(QUIET_TESTS)
    # A turnstile before the shared lock: once a quiet test waits, no other test starts, so
    # it can't be starved by workers taking turns at the shared lock.
    with (folder / f"{name}.turnstile").open("a") as turnstile, (folder / f"{name}.cpu").open("a") as cpu:
        fcntl.flock(turnstile, fcntl.LOCK_EX)
        if not quiet:
            fcntl.flock(turnstile, fcntl.LOCK_UN)
        fcntl.flock(cpu, fcntl.LOCK_EX if quiet else fcntl.LOCK_SH)
        try:
            yield
        finally:
            fcntl.flock(cpu, fcntl.LOCK_UN)
            if quiet:
                fcntl.flock(turnstile, fcntl.LOCK_UN)
