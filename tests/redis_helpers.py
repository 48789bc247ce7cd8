"""Redis for tests: the shared server on 127.0.0.1:6379, or one of this xdist worker's own.

`pytest -n N` runs test files on N workers at once. Tests flush the Redis database they use,
so two workers on one database would empty each other's data. Worker gw0 (and a run without
xdist) uses the shared server; every other worker starts a redis-server of its own on a spare
port, the first time a URL is asked for, and stops it at the end of its session (or when the
worker dies: the kernel signals it). The database numbers stay the tests' own.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import shutil
import signal
import socket
import subprocess
import time

import redis

SHARED_PORT = 6379
# In the environment, not a module global: a module imported both as `redis_helpers` and
# `tests.redis_helpers` must not start a second server.
PORT_VARIABLE = "JOBSPY_TEST_REDIS_PORT"
_server: subprocess.Popen[bytes] | None = None


def redis_test_url(db: int) -> str:
    """redis://127.0.0.1:PORT/db on this worker's Redis (see the module's docstring)."""
    return f"redis://127.0.0.1:{_worker_port()}/{db}"


def _worker_port() -> int:
    if os.environ.get("PYTEST_XDIST_WORKER", "gw0") == "gw0":
        return SHARED_PORT
    if not os.environ.get(PORT_VARIABLE):
        os.environ[PORT_VARIABLE] = str(_start_server())
    return int(os.environ[PORT_VARIABLE])


def _die_with_parent() -> None:
    # In the child before exec: SIGTERM when this worker exits, however it exits.
    PR_SET_PDEATHSIG = 1
    ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)


def _spare_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_server() -> int:
    global _server
    binary = shutil.which("redis-server")
    assert binary, "xdist workers need redis-server for a Redis of their own (apt-get install redis-server)"
    port = _spare_port()
    command = [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--daemonize", "no"]
    _server = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, preexec_fn=_die_with_parent)
    atexit.register(stop_worker_redis)
    client = redis.Redis(port=port, socket_connect_timeout=1)
    deadline = time.monotonic() + 30
    while True:
        try:
            client.ping()
            break
        except redis.ConnectionError:
            assert _server.poll() is None, f"redis-server on port {port} exited with {_server.returncode}"
            assert time.monotonic() < deadline, f"redis-server on port {port} did not answer in 30 s"
            time.sleep(0.05)
        finally:
            client.close()
    return port


def stop_worker_redis() -> None:
    """Stop this worker's redis-server, if it started one (a no-op on gw0)."""
    global _server
    if _server is None:
        return
    _server.terminate()
    try:
        _server.wait(timeout=10)
    except subprocess.TimeoutExpired:
        _server.kill()
        _server.wait(timeout=10)
    _server = None
    with contextlib.suppress(KeyError):
        del os.environ[PORT_VARIABLE]
