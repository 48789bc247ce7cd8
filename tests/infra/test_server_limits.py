"""Idle and header timeouts on the real server: Granian started the way Reflex 0.10 starts
it in production (`reflex.utils.exec.run_granian_backend_prod`, after loading rxconfig.py),
serving our ASGI app. Without infra.server_limits Granian would wait 30 s."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator

import httpx
import pytest
from db_helpers import REPO_ROOT

from jobspy_web.infra import server_limits

TIMEOUT_S = 1.5
# What `reflex run --env prod` does with our app, minus the frontend build.
START = """
import sys
import rxconfig  # noqa: F401  (Reflex loads it before starting Granian: it installs the limits)
from reflex.constants import LogLevel
from reflex.utils import exec as reflex_exec
reflex_exec.run_granian_backend_prod("127.0.0.1", int(sys.argv[1]), LogLevel.WARNING, app_target="jobspy_web.api.app:build_api")
"""


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    port, data_dir = _free_port(), tmp_path_factory.mktemp("server-limits")
    env = {
        **os.environ,
        "DATA_DIR": str(data_dir),
        "HTTP_HEADER_TIMEOUT_SECONDS": str(TIMEOUT_S),
        "GRANIAN_WORKERS": "1",
        "REFLEX_TELEMETRY_ENABLED": "false",
    }
    env.pop("DATABASE_URL", None)  # the embedded default: SQLite in DATA_DIR
    log = (data_dir / "server.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-c", START, str(port)], cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
    )
    try:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert server.poll() is None, (data_dir / "server.log").read_text()[-3000:]
            try:
                if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        else:
            pytest.fail("the server did not start: " + (data_dir / "server.log").read_text()[-3000:])
        yield port
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait(5)
        log.close()


def _read_until_closed(connection: socket.socket, limit_s: float = 20) -> tuple[bytes, float]:
    """Everything the server sends until it closes the connection, and how long that took."""
    connection.settimeout(limit_s)
    started, received = time.monotonic(), b""
    while chunk := connection.recv(65536):
        received += chunk
    return received, time.monotonic() - started


def test_an_idle_keep_alive_connection_is_closed_after_the_header_timeout(server_port: int):
    with socket.create_connection(("127.0.0.1", server_port)) as connection:
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")  # HTTP/1.1: kept alive
        received, seconds = _read_until_closed(connection)
    assert received.startswith(b"HTTP/1.1 200 ") and b"connection: close" not in received.lower()
    # Open while the client may still send its next request, closed once it idles too long.
    assert 0.8 * TIMEOUT_S <= seconds < TIMEOUT_S + 3, seconds


def test_a_half_sent_header_is_closed_after_the_header_timeout(server_port: int):
    with socket.create_connection(("127.0.0.1", server_port)) as connection:
        connection.sendall(b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # the blank line never comes
        received, seconds = _read_until_closed(connection)
    assert b" 200 " not in received  # never answered as a request
    assert 0.8 * TIMEOUT_S <= seconds < TIMEOUT_S + 3, seconds


def test_a_connection_that_sends_nothing_is_closed_after_the_header_timeout(server_port: int):
    with socket.create_connection(("127.0.0.1", server_port)) as connection:
        received, seconds = _read_until_closed(connection)
    assert received == b"" and seconds < TIMEOUT_S + 3, seconds


def test_the_server_options_are_explicit_whoever_starts_granian(monkeypatch: pytest.MonkeyPatch):
    """Reflex's own Server(...) call passes none of these; ours fill them in, and a caller's
    explicit choice still wins."""
    import granian
    import granian.server
    from granian.constants import HTTPModes

    monkeypatch.setenv("HTTP_HEADER_TIMEOUT_SECONDS", "7")
    monkeypatch.setenv("HTTP_MAX_CONCURRENT_REQUESTS", "300")
    from jobspy_web.settings import reset_process_state

    reset_process_state()
    monkeypatch.setattr(granian.server, "Server", granian.server.Server)  # both undone after the test
    monkeypatch.setattr(granian, "Granian", granian.Granian)
    server_limits.install()
    server_limits.install()  # idempotent: one subclass, not a chain
    bounded = granian.server.Server(target="jobspy_web.api.app:build_api", factory=True)
    assert bounded.http1_settings.header_read_timeout == 7000 and bounded.backpressure == 300
    assert bounded.http == HTTPModes.http1
    assert granian.server.Server(target="x:y", backpressure=5).backpressure == 5
    reset_process_state()
