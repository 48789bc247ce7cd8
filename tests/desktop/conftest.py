"""The desktop app's tests: a real License Server (our API, tests/api_server.py) in its own
process on loopback, and the desktop side pointed at it with a data folder of its own."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from jobspy_web.settings import reset_process_state
from tests.api_server import ApiServer, migrated_sqlite


def issue_key(server: ApiServer, *, license_type: str = "pro", days: int = 30) -> str:
    """A license issued the way the README says, through the server's CLI."""
    printed = server.cli("license", "issue", "--email", "buyer@example.com", "--type", license_type, "--days", str(days))
    return re.search(r"^key:\s+(JSW-[A-Z0-9-]+)", printed, re.MULTILINE).group(1)  # type: ignore[union-attr]


@pytest.fixture(scope="module")
def _module_license_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    with ApiServer(tmp_path_factory.mktemp("license-server")) as server:
        yield server


@pytest.fixture
def license_server(_module_license_server: ApiServer) -> ApiServer:
    """One License Server per test module (each test issues its own keys), running: a test
    that stopped it to play offline leaves it to be started again here."""
    if _module_license_server.process is None:
        _module_license_server.start()
    return _module_license_server


@pytest.fixture
def desktop(tmp_path: Path, license_server: ApiServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This process as the desktop app's server: desktop mode, its own SQLite, that server."""
    folder = tmp_path / "desktop-data"
    database = migrated_sqlite(folder / "jobspy_web.db")
    monkeypatch.setenv("DATA_DIR", str(folder))
    monkeypatch.setenv("DATABASE_URL", database)
    monkeypatch.setenv("DESKTOP_MODE", "true")
    monkeypatch.setenv("LICENSE_SERVER_URL", license_server.url)
    reset_process_state()
    return folder
