"""A fake Stripe for the billing tests."""

import pytest

from jobspy_web.settings import reset_process_state
from tests.fakes.stripe_server import FakeStripe, app_environment, install_prices


@pytest.fixture
def fake(db, monkeypatch):
    """A running fake Stripe with the test plans' prices, and the app pointed at it."""
    with FakeStripe() as running:
        install_prices(running)
        for name, value in {**app_environment(running), "REDIS_URL": ""}.items():
            monkeypatch.setenv(name, value)
        reset_process_state()
        yield running
    reset_process_state()
