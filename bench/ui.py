"""The first load of the pages a visitor opens first: bytes on the wire and paint timings,
on loopback and on a throttled phone profile (150 ms RTT, 1.6 Mbit/s, CPU 4x slower).

    flock /tmp/jobspy-e2e.lock flock /tmp/jobspy-bench.lock .venv/bin/python bench/ui.py [URL]

Without URL it starts the embedded default (`cli serve`, SQLite, a temporary DATA_DIR) on a
spare port and stops it afterwards. Prints one line per page and profile, and the ratio of
throttled to loopback first contentful paint (the bar: <= 1500 ms throttled).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
PAGES = ["/", "/login", "/pricing"]
PHONE = {"offline": False, "latency": 150, "downloadThroughput": 1_600_000 / 8, "uploadThroughput": 750_000 / 8}
CPU_SLOWDOWN = 4
FCP_BAR_MS = 1500


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_server() -> tuple[str, subprocess.Popen[bytes]]:
    port = _free_port()
    data_dir = tempfile.mkdtemp(prefix="bench-ui-")
    env = {**os.environ, "DATA_DIR": data_dir, "PUBLIC_URL": f"http://127.0.0.1:{port}"}
    server = subprocess.Popen(
        [sys.executable, "-m", "jobspy_web.cli", "serve", "--port", str(port), "--host", "127.0.0.1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/health", timeout=2):
                return url, server
        except OSError:
            if server.poll() is not None:
                raise SystemExit(f"the server exited with {server.returncode}") from None
            time.sleep(1)
    raise SystemExit("the server did not start within 10 minutes")


def measure(url: str, path: str, throttled: bool) -> dict[str, float]:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=["--no-sandbox", "--disable-gpu"])
        context = browser.new_context(viewport={"width": 375, "height": 800})
        page = context.new_page()
        cdp = context.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})  # a first visit
        if throttled:
            cdp.send("Network.emulateNetworkConditions", PHONE)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": CPU_SLOWDOWN})
        wire = {"bytes": 0.0}
        cdp.on("Network.loadingFinished", lambda event: wire.__setitem__("bytes", wire["bytes"] + event["encodedDataLength"]))
        page.goto(url + path, wait_until="load")
        page.wait_for_timeout(500)
        paints = page.evaluate("Object.fromEntries(performance.getEntriesByType('paint').map(entry => [entry.name, entry.startTime]))")
        navigation = page.evaluate("performance.getEntriesByType('navigation')[0].toJSON()")
        browser.close()
    return {
        "kib": wire["bytes"] / 1024,
        "fcp_ms": paints.get("first-contentful-paint", float("nan")),
        "load_ms": navigation["loadEventEnd"],
    }


def main() -> None:
    server = None
    url = sys.argv[1] if len(sys.argv) > 1 else None
    if url is None:
        url, server = _start_server()
    try:
        for path in PAGES:
            fast, slow = measure(url, path, throttled=False), measure(url, path, throttled=True)
            verdict = "ok" if slow["fcp_ms"] <= FCP_BAR_MS else f"over the {FCP_BAR_MS} ms bar"
            print(
                f"{path:10} wire {fast['kib']:7.1f} KiB | loopback FCP {fast['fcp_ms']:6.0f} ms load {fast['load_ms']:6.0f} ms"
                f" | phone FCP {slow['fcp_ms']:6.0f} ms load {slow['load_ms']:6.0f} ms"
                f" | phone/loopback FCP x{slow['fcp_ms'] / fast['fcp_ms']:.1f} ({verdict})"
            )
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(30)


if __name__ == "__main__":
    main()
