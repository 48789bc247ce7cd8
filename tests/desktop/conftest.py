"""The desktop app's tests: a real License Server (our API, tests/api_server.py) in its own
process on loopback, and the desktop side pointed at it with a data folder of its own."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from db_helpers import upgrade_to_head

from jobspy_web.db import reset_engines
from jobspy_web.settings import get_settings
from tests.api_server import ApiServer


def issue_key(server: ApiServer, *, license_type: str = "pro", days: int = 30) -> str:
    """A license issued the way the README says, through the server's CLI."""
    printed = server.cli("license", "issue", "--email", "buyer@example.com", "--type", license_type, "--days", str(days))
    return re.search(r"^key:\s+(JSW-[A-Z0-9-]+)", printed, re.MULTILINE).group(1)  # type: ignore[union-attr]


@pytest.fixture
def license_server(tmp_path: Path) -> Iterator[ApiServer]:
    with ApiServer(tmp_path / "license-server") as server:
        yield server


@pytest.fixture
def desktop(tmp_path: Path, license_server: ApiServer, monkeypatch: pytest.MonkeyPatch) -> Path:
    """This process as the desktop app's server: desktop mode, its own SQLite, that server."""
    folder = tmp_path / "desktop-data"
    database = f"sqlite:///{folder / 'jobspy_web.db'}"
    upgrade_to_head(database)
    monkeypatch.setenv("DATA_DIR", str(folder))
    monkeypatch.setenv("DATABASE_URL", database)
    monkeypatch.setenv("DESKTOP_MODE", "true")
    monkeypatch.setenv("LICENSE_SERVER_URL", license_server.url)
    get_settings.cache_clear()
    reset_engines()
    return folder
