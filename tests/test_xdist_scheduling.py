"""`pytest -n N` shares the suite out safely (tests/xdist_scheduling.py), driven here with
stand-in workers: whole files per worker, shared units together, the browser tests alone on
their worker with nothing after them, and last when there is only one worker; and a test
timing a browser has the machine to itself."""

from __future__ import annotations

import fcntl
import tempfile
import threading
import time
import uuid
from types import SimpleNamespace

import pytest
from xdist_scheduling import BROWSER_UNIT, SuiteScheduling, machine_to_itself, unit_of

COLLECTION = [
    *(f"tests/api/test_big.py::test_{index}" for index in range(12)),
    "tests/desktop/test_launcher.py::test_help",
    "tests/desktop/test_desktop_app.py::test_story",
    *(f"tests/extension/test_extension_tools.py::test_{index}" for index in range(2)),
    "tests/extension/test_extension_in_chromium.py::test_save",
    *(f"tests/infra/test_queue.py::test_{index}[sqlite]" for index in range(5)),
    *(f"tests/search/test_search.py::Search::test_{index}" for index in range(3)),
    "tests/test_settings.py::test_defaults",
    *(f"tests/e2e/test_{name}.py::test_flow" for name in ("accounts", "billing", "tracker")),
]


class FakeWorker:
    """The scheduler's side of a worker: what it was sent, in order, and whether it was told to stop."""

    def __init__(self, name: str) -> None:
        self.name, self.sent, self.shutting_down = name, [], False
        self.gateway = SimpleNamespace(id=name)

    def send_runtest_some(self, indices: list[int]) -> None:
        assert not self.shutting_down, f"{self.name} was sent tests after being told to stop"
        self.sent.extend(indices)

    def shutdown(self) -> None:
        self.shutting_down = True


def run(workers: int, *, reorder: bool = True) -> dict[str, list[str]]:
    """The test ids each worker runs, in order, when every worker finishes tests one by one."""
    config = SimpleNamespace(getvalue={"tx": [f"{workers}*popen"]}.__getitem__, option=SimpleNamespace(loadscopereorder=reorder))
    scheduler = SuiteScheduling(config)  # type: ignore[arg-type]
    nodes = [FakeWorker(f"gw{index}") for index in range(workers)]
    for node in nodes:
        scheduler.add_node(node)  # type: ignore[arg-type]
        scheduler.add_node_collection(node, COLLECTION)  # type: ignore[arg-type]
    scheduler.schedule()
    done = {node.name: 0 for node in nodes}
    while any(done[node.name] < len(node.sent) for node in nodes):
        for node in nodes:  # round robin: one test per worker that has one
            if done[node.name] < len(node.sent):
                scheduler.mark_test_complete(node, node.sent[done[node.name]])  # type: ignore[arg-type]
                done[node.name] += 1
    assert not scheduler.has_pending and scheduler.tests_finished
    return {node.name: [COLLECTION[index] for index in node.sent] for node in nodes}


@pytest.mark.parametrize("workers", [2, 3, 4])
def test_every_test_runs_once_whole_files_and_shared_units_on_one_worker(workers):
    ran = run(workers)
    assert sorted(test for tests in ran.values() for test in tests) == sorted(COLLECTION)
    worker_of_unit: dict[str, set[str]] = {}
    for worker, tests in ran.items():
        for test in tests:
            worker_of_unit.setdefault(unit_of(test), set()).add(worker)
    assert all(len(workers_) == 1 for workers_ in worker_of_unit.values()), worker_of_unit
    assert "extension" in worker_of_unit and "tests/extension/test_extension_tools.py" not in worker_of_unit
    assert all(len(tests) < len(COLLECTION) for tests in ran.values())  # shared out, not all on one


@pytest.mark.parametrize("reorder", [True, False])
@pytest.mark.parametrize("workers", [2, 3])
def test_the_browser_tests_go_first_to_a_worker_that_runs_nothing_else(workers, reorder):
    ran = run(workers, reorder=reorder)
    browser = [tests for tests in ran.values() if any(unit_of(test) == BROWSER_UNIT for test in tests)]
    assert len(browser) == 1
    assert browser[0] == [
        "tests/desktop/test_desktop_app.py::test_story",  # shares the e2e tests' .web: before them, on their worker
        *(f"tests/e2e/test_{name}.py::test_flow" for name in ("accounts", "billing", "tracker")),
    ]


@pytest.mark.parametrize("reorder", [True, False])
def test_one_worker_runs_the_browser_tests_last(reorder):
    (tests,) = run(1, reorder=reorder).values()
    assert sorted(tests) == sorted(COLLECTION)
    browser_from = next(index for index, test in enumerate(tests) if unit_of(test) == BROWSER_UNIT)
    assert all(unit_of(test) == BROWSER_UNIT for test in tests[browser_from:])


def test_a_quiet_test_waits_for_running_tests_then_runs_alone_before_any_new_one(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    config = SimpleNamespace(workerinput={"testrunuid": uuid.uuid4().hex})
    events: list[str] = []
    running, finish_running = threading.Event(), threading.Event()

    def test(nodeid: str, name: str, *, hold: threading.Event | None = None) -> None:
        with machine_to_itself(config, nodeid):  # type: ignore[arg-type]
            events.append(f"{name} in")
            running.set()
            if hold is not None:
                assert hold.wait(30)
            events.append(f"{name} out")

    other_worker = threading.Thread(target=test, args=("tests/api/test_a.py::test_1", "running"), kwargs={"hold": finish_running})
    other_worker.start()
    assert running.wait(30)
    quiet = threading.Thread(target=test, args=("tests/e2e/test_big_results.py::test_5000[chromium]", "quiet"))
    quiet.start()
    turnstile = tmp_path / f"jobspy-tests-{config.workerinput['testrunuid']}.turnstile"
    deadline = time.monotonic() + 30
    while _free(turnstile):  # until the quiet test holds the turnstile (and waits for the CPU)
        assert time.monotonic() < deadline
        time.sleep(0.01)
    late = threading.Thread(target=test, args=("tests/api/test_b.py::test_2", "late"))
    late.start()
    assert events == ["running in"]  # the quiet test waits for the one already running
    finish_running.set()
    for thread in (other_worker, quiet, late):
        thread.join(30)
    assert events == ["running in", "running out", "quiet in", "quiet out", "late in", "late out"]


def test_without_xdist_nothing_is_locked(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    with machine_to_itself(SimpleNamespace(), "tests/e2e/test_big_results.py::test"):  # type: ignore[arg-type]
        assert list(tmp_path.iterdir()) == []


def _free(path) -> bool:
    with path.open("a") as probe:
        try:
            fcntl.flock(probe, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        fcntl.flock(probe, fcntl.LOCK_UN)
        return True
