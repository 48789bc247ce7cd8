"""One granian server for a bench (what `reflex run --env prod` serves the API with), started
from an ASGI factory and returned once its /health answers."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path


def start_granian(
    factory: str, *, port: int, env: dict[str, str], cwd: Path, workers: int = 1, wait_s: float = 90, stdout: int | None = None
) -> subprocess.Popen[bytes]:
    """`factory` ("module:function", importable from `cwd`) served on 127.0.0.1:`port`;
    `stdout` as subprocess.Popen takes it (DEVNULL: keep a bench's table clean)."""
    import httpx

    command = [sys.executable, "-m", "granian", "--interface", "asgi", "--factory", factory,
               "--host", "127.0.0.1", "--port", str(port), "--workers", str(workers), "--log-level", "warning"]  # fmt: skip
    process = subprocess.Popen(command, cwd=cwd, env=env, stdout=stdout)
    deadline = time.monotonic() + wait_s
    while True:
        try:
            if httpx.get(f"http://127.0.0.1:{port}/health", timeout=2).status_code == 200:
                return process
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"the server ({factory}) did not start")
        time.sleep(0.2)
