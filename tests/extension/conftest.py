"""The browser extension's tools: its npm packages (web-ext, linkedom) installed once into
extension/node_modules from the lock file, so `pytest` alone covers the extension too."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from jobspy_web.accounts import api_tokens, users
from jobspy_web.db import write_session
from jobspy_web.models import Role
from jobspy_web.settings import reset_process_state
from tests.api_server import ApiServer

EXTENSION = Path(__file__).resolve().parents[2] / "extension"


def _installed() -> bool:
    # npm writes this after a complete install; a half-finished one lacks it.
    return (EXTENSION / "node_modules" / ".package-lock.json").exists()


@pytest.fixture(scope="session")
def extension_dir() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("the extension's tests need Node.js and npm (apt-get install nodejs npm)")
    if not _installed():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=EXTENSION, check=True, capture_output=True, timeout=600)
    return EXTENSION


@pytest.fixture(scope="session")
def extension_builds(extension_dir: Path) -> dict[str, Path]:
    """dist/chrome and dist/firefox, built from src/ by extension/build.js."""
    subprocess.run(["node", "build.js"], cwd=extension_dir, check=True, capture_output=True, timeout=60)
    return {browser: extension_dir / "dist" / browser for browser in ("chrome", "firefox")}


@dataclass(frozen=True)
class Account:
    email: str
    api_token: str  # a personal API token, as the Account page shows it once


@pytest.fixture(scope="module")
def tracker_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiServer]:
    """The app's API (tracker routes, /auth/token) in its own process, embedded mode."""
    with ApiServer(tmp_path_factory.mktemp("extension-server")) as server:
        yield server


def _make_account(tracker_server: ApiServer, monkeypatch: pytest.MonkeyPatch, role: Role) -> Account:
    monkeypatch.setenv("DATABASE_URL", tracker_server.database_url)
    monkeypatch.setenv("DATA_DIR", str(tracker_server.data_dir))
    reset_process_state()
    email = f"ext-{uuid.uuid4().hex[:8]}@example.com"
    with write_session() as session:
        user = users.sign_up(session=session, email=email, password="correct horse battery", verified=True)
        users.set_role(session=session, user=user, role=role)
        created = api_tokens.create_api_token(session=session, user=user, name="browser extension")
    reset_process_state()
    return Account(email=email, api_token=created.secret)


@pytest.fixture
def account(tracker_server: ApiServer, monkeypatch: pytest.MonkeyPatch) -> Account:
    """A new free user of that server with a personal API token, made through the domain."""
    return _make_account(tracker_server, monkeypatch, Role.FREE)


@pytest.fixture
def pro_account(tracker_server: ApiServer, monkeypatch: pytest.MonkeyPatch) -> Account:
    return _make_account(tracker_server, monkeypatch, Role.PRO)


def access_token(server_url: str, api_token: str) -> str:
    answer = httpx.post(f"{server_url}/auth/token", json={"api_token": api_token}, timeout=10)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])
