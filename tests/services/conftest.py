"""Fixtures shared by the service tests."""

import multiprocessing
import time
from collections.abc import Iterator

import pytest

from jobspy_web.services.cache import get_cache
from jobspy_web.settings import get_settings
from tests.fakes.stripe_server import FakeStripe, app_environment, install_prices


@pytest.fixture
def fake(db, monkeypatch):
    """A running fake Stripe with the test plans' prices, and the app pointed at it."""
    with FakeStripe() as running:
        install_prices(running)
        for name, value in {**app_environment(running), "REDIS_URL": ""}.items():
            monkeypatch.setenv(name, value)
        get_settings.cache_clear()
        get_cache.cache_clear()
        yield running
    get_cache.cache_clear()


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
