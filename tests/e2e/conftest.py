"""The real app (`reflex run --env prod`) in a child process, driven by Debian's Chromium.

The app's scrapers reach the in-process replay proxy, so tests change a site's behaviour
between searches through `replay_proxy.scenario`.
"""

from __future__ import annotations

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
import redis
import sqlalchemy
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ed25519, rsa
from db_helpers import REPO_ROOT, temporary_postgres_database, upgrade_to_head
from playwright.sync_api import Page, expect

from jobspy_web.cli import ensure_bun
from tests.fakes.stripe_server import e2e_stripe_environment
from tests.replay import ReplayProxy

CHROMIUM = "/usr/bin/chromium"
PASSWORD = "correct horse battery"
ADMIN_EMAIL = "admin@example.com"
# A fresh worker's first page can take seconds on a 2-core CI machine; people wait too.
expect.set_options(timeout=20_000)
E2E_REDIS_URL = "redis://127.0.0.1:6379/12"  # its own Redis database, flushed at start
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


class AppServer:
    """`reflex run --env prod` in its own process group, in production mode: PostgreSQL,
    Redis (state, cache, rate limits; so Reflex runs several workers) and configured keys."""

    def __init__(self, env: dict[str, str], port: int, log_path: Path) -> None:
        self.env, self.port, self.log_path = env, port, log_path
        self.url = f"http://127.0.0.1:{port}"
        # Where sign_up reads the mailed link. In os.environ, not a module global: test files
        # import this conftest again under another name, with globals of its own.
        os.environ[_database_variable(self.url)] = env.get("DATABASE_URL", "")
        self.process: subprocess.Popen[bytes] | None = None
        self.queue_worker: subprocess.Popen[bytes] | None = None  # runs searches and schedules (REDIS_URL)

    def start(self) -> None:
        with self.log_path.open("a") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "reflex", "run", "--env", "prod", "--frontend-port", str(self.port)],
                cwd=REPO_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # so the whole group (workers, bun) stops together
            )
            # As `serve` does with REDIS_URL: a queue worker beside the app runs the searches.
            self.queue_worker = subprocess.Popen(
                [sys.executable, "-m", "jobspy_web.cli", "worker"],
                cwd=REPO_ROOT,
                env=self.env,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        _wait_until_serving(self.url, self.process, self.log_path)

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)
            self.process = None
        if self.queue_worker is not None:
            _stop(self.queue_worker)
            self.queue_worker = None

    def restart(self) -> None:
        self.stop()
        self.start()


def _private_keys(directory: Path) -> dict[str, str]:
    """Production refuses to invent keys, so the test makes them like an operator would."""
    jwt_key = directory / "jwt.pem"
    jwt_key.write_bytes(
        rsa.generate_private_key(public_exponent=65537, key_size=2048).private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    license_key = directory / "license-signing.pem"
    license_key.write_bytes(
        ed25519.Ed25519PrivateKey.generate().private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    return {
        "SECRET_KEY": secrets.token_urlsafe(48),
        "JWT_PRIVATE_KEY_FILE": str(jwt_key),
        "LICENSE_SIGNING_KEY_FILE": str(license_key),
    }


@pytest.fixture(scope="session")
def app_server(replay_proxy: ReplayProxy, tmp_path_factory: pytest.TempPathFactory) -> Iterator[AppServer]:
    ensure_bun()  # Reflex builds the frontend with bun
    data_dir = tmp_path_factory.mktemp("e2e-data")
    port = _free_port()
    with temporary_postgres_database("jobspy_e2e") as database_url:
        upgrade_to_head(database_url)
        redis.Redis.from_url(E2E_REDIS_URL).flushdb()
        (data_dir / "prometheus").mkdir()
        env = {
            **os.environ,
            "REFLEX_TELEMETRY_ENABLED": "false",
            "ENVIRONMENT": "production",
            "DATA_DIR": str(data_dir),
            "DATABASE_URL": database_url,
            "REDIS_URL": E2E_REDIS_URL,
            "JOBSPY_PROXIES": replay_proxy.url,
            "JOBSPY_CA_CERT": str(replay_proxy.ca_cert_path),
            "JOBSPY_SITE_TIMEOUT_SECONDS": "20",
            # As `cli serve` sets it: every worker's metrics add up at /metrics.
            "PROMETHEUS_MULTIPROC_DIR": str(data_dir / "prometheus"),
            "PUBLIC_URL": f"http://127.0.0.1:{port}",
            **_private_keys(data_dir),
            **e2e_stripe_environment(),  # the fake Stripe in this process (tests/fakes)
        }
        # An operator account, made the way the README says: through the CLI.
        subprocess.run(
            [sys.executable, "-m", "jobspy_web.cli", "user", "create", "--email", ADMIN_EMAIL, "--role", "admin", "--verified"],
            cwd=REPO_ROOT,
            env={**env, "JOBSPY_NEW_PASSWORD": PASSWORD},
            check=True,
            capture_output=True,
        )
        server = AppServer(env, port, data_dir / "reflex.log")
        try:
            server.start()
            yield server
        finally:
            server.stop()


@pytest.fixture(scope="session")
def app_url(app_server: AppServer) -> str:
    return app_server.url


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


def fresh_sign_up_budget() -> None:
    """The e2e session signs many people up from 127.0.0.1, past the per-network budget (10
    an hour): give the next one a fresh hour, as if they came from their own network."""
    budget = redis.Redis.from_url(E2E_REDIS_URL)
    try:
        for key in budget.scan_iter(match="*signup-ip*"):
            budget.delete(key)
    finally:
        budget.close()


def sign_up(page: Page, app_url: str, email: str) -> None:
    page.set_default_timeout(30_000)
    fresh_sign_up_budget()
    page.goto(f"{app_url}/signup")
    page.locator("input[name=email]").fill(email)
    page.locator("input[name=password]").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    # Sign-up never signs in (a taken address must get the same answer); the mailed
    # confirmation link does, as a person would click it.
    page.wait_for_url(re.compile(re.escape(app_url) + r"/login/?\?notice=check_email$"))
    page.goto(app_url + _mailed_path(app_url, email, "/auth/verify?token="))
    page.wait_for_url(f"{app_url}/?notice=verified")


def _database_variable(app_url: str) -> str:
    return "JOBSPY_E2E_DATABASE_" + re.sub(r"\W", "_", app_url)


def _mailed_path(app_url: str, email: str, starting: str) -> str:
    """The path of the newest link starting so in a mail to `email`, read from the app's outbox."""
    database_url = sqlalchemy.make_url(os.environ[_database_variable(app_url)])
    engine = sqlalchemy.create_engine(database_url.set(drivername="postgresql+psycopg"))
    try:
        with engine.connect() as connection:
            bodies = connection.execute(
                sqlalchemy.text("SELECT body FROM outbox WHERE to_address = :to ORDER BY created_at DESC"), {"to": email}
            ).scalars()
            found = next((match for body in bodies if (match := re.search(re.escape(starting) + r"\S+", body))), None)
    finally:
        engine.dispose()
    assert found, f"no mail to {email} holds a {starting} link"
    return found.group(0)


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


def _stop(server: subprocess.Popen[bytes]) -> None:
    try:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(15)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(5)
    except ProcessLookupError:
        pass  # it already exited (the failure says why)
