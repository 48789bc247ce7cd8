"""Fixtures for the search tests."""

import multiprocessing
import time
from collections.abc import Iterator

import pytest


def _spin(seconds: float) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        pass


@pytest.fixture
def busy_cpu() -> Iterator[None]:
    """Both cores busy, as under real load: slow readers see messages arrive in pieces."""
    spinners = [multiprocessing.get_context("spawn").Process(target=_spin, args=(60,), daemon=True) for _ in range(2)]
    for spinner in spinners:
        spinner.start()
    yield
    for spinner in spinners:
        spinner.kill()
        spinner.join()
