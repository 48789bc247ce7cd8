from collections.abc import Iterator

import pytest

from jobspy_web.settings import get_settings
from tests.replay import ReplayProxy


@pytest.fixture(scope="session")
def replay_proxy() -> Iterator[ReplayProxy]:
    with ReplayProxy() as proxy:
        yield proxy


@pytest.fixture
def replay(replay_proxy: ReplayProxy, monkeypatch: pytest.MonkeyPatch) -> Iterator[ReplayProxy]:
    """The app's scrapers go through the replay proxy; every site starts out behaving."""
    replay_proxy.scenario.clear()
    monkeypatch.setenv("JOBSPY_PROXIES", replay_proxy.url)
    monkeypatch.setenv("JOBSPY_CA_CERT", str(replay_proxy.ca_cert_path))
    get_settings.cache_clear()
    yield replay_proxy
    replay_proxy.scenario.clear()
    get_settings.cache_clear()
