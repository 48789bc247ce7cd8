"""The real app (`reflex run --env prod`) in a child process, driven by Debian's Chromium.

The app's scrapers reach the in-process replay proxy, so tests change a site's behaviour
between searches through `replay_proxy.scenario`.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import re
import uuid

import httpx
import pytest
from playwright.sync_api import Page

from db_helpers import REPO_ROOT, upgrade_to_head
from jobspy_web.cli import ensure_bun
from tests.replay import ReplayProxy

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery"
ADMIN_EMAIL = "admin@example.com"
START_TIMEOUT_S = 420  # the first run of a fresh clone installs the frontend's packages


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def browser_type_launch_args() -> dict:
    if not Path(CHROMIUM).exists():
        pytest.fail("end-to-end tests need Debian's chromium: apt-get install chromium")
    # No background networking: this machine has no internet, and Chromium would keep trying.
    return {
        "executable_path": CHROMIUM,
        "args": ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
    }


@pytest.fixture(scope="session")
def app_url(replay_proxy: ReplayProxy, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    ensure_bun()  # Reflex builds the frontend with bun
    data_dir = tmp_path_factory.mktemp("e2e-data")
    port = _free_port()
    database_url = f"sqlite:///{data_dir / 'e2e.db'}"
    upgrade_to_head(database_url)
    env = {
        **os.environ,
        "REFLEX_TELEMETRY_ENABLED": "false",
        "DATA_DIR": str(data_dir),
        "DATABASE_URL": database_url,
        "REDIS_URL": "",
        "JOBSPY_PROXIES": replay_proxy.url,
        "JOBSPY_CA_CERT": str(replay_proxy.ca_cert_path),
        "JOBSPY_SITE_TIMEOUT_SECONDS": "20",
        "PUBLIC_URL": f"http://127.0.0.1:{port}",
    }
    log_path = data_dir / "reflex.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "reflex", "run", "--env", "prod", "--frontend-port", str(port)],
            cwd=REPO_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # so the whole group (workers, bun) stops together
        )
    url = f"http://127.0.0.1:{port}"
    # An operator account, made the way the README says: through the CLI.
    subprocess.run(
        [sys.executable, "-m", "jobspy_web.cli", "user", "create", "--email", ADMIN_EMAIL, "--role", "admin", "--verified"],
        cwd=REPO_ROOT,
        env={**env, "JOBSPY_NEW_PASSWORD": PASSWORD},
        check=True,
        capture_output=True,
    )
    try:
        _wait_until_serving(url, server, log_path)
        yield url
    finally:
        _stop(server)


def _stop(server: subprocess.Popen) -> None:
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass  # it already exited (the failure says why)


def _wait_until_serving(url: str, server: subprocess.Popen, log_path: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"the app exited with {server.returncode}:\n{log_path.read_text()[-3000:]}")
        try:
            if httpx.get(f"{url}/health", timeout=2).status_code == 200 and httpx.get(url, timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    pytest.fail(f"the app did not serve within {START_TIMEOUT_S} s:\n{log_path.read_text()[-3000:]}")


@pytest.fixture(scope="session")
def base_url(app_url: str) -> str:
    """Playwright resolves relative URLs against the app (and pytest-base-url's own fixture,
    which warns on this pytest, never runs)."""
    return app_url


def sign_up(page: Page, app_url: str, email: str) -> None:
    page.set_default_timeout(30_000)
    page.goto(f"{app_url}/signup")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    page.wait_for_url(f"{app_url}/?notice=welcome")


def sign_in(page: Page, app_url: str, email: str, next_path: str = "/") -> None:
    page.goto(f"{app_url}/login?next={next_path}")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    # The static host adds a trailing slash to page paths (/admin -> /admin/).
    page.wait_for_url(re.compile(re.escape(app_url + next_path.rstrip("/")) + r"/?$"))


@pytest.fixture
def signed_in(page: Page, app_url: str) -> Page:
    """A new user, signed up and signed in through the pages."""
    sign_up(page, app_url, f"user-{uuid.uuid4().hex[:8]}@example.com")
    return page
