"""A fake Stripe for the billing tests."""

import pytest

from jobspy_web.infra.cache import get_cache
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
