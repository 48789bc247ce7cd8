"""The first load of the pages a visitor opens first: bytes on the wire and paint timings,
on loopback and on a throttled phone profile (150 ms RTT, 1.6 Mbit/s, CPU 4x slower).

    flock /tmp/jobspy-e2e.lock flock /tmp/jobspy-bench.lock .venv/bin/python bench/ui.py [URL] [--no-lighthouse] [--lighthouse-runs=N]

Without URL it starts the embedded default (`cli serve`, SQLite, a temporary DATA_DIR) on a
spare port and stops it afterwards. Prints one line per page and profile, and the ratio of
throttled to loopback first contentful paint (the bar: <= 1500 ms throttled); the largest
files of the first page; then the Lighthouse 12 scores of each page, mobile (its default
simulated phone: 150 ms RTT, 1.6 Mbit/s, CPU 4x slower) and desktop (the bars: mobile
performance >= 90, accessibility 100), with the audits that cost accessibility points.

Lighthouse is bench/package.json's (lighthouse@12.2.3, pinned by bench/package-lock.json),
installed by `npm ci` into JOBSPY_BENCH_NODE_DIR (default ~/.cache/jobspy-web/bench-node) on
first use, and runs Debian's /usr/bin/chromium (CHROME_PATH). `--no-lighthouse` skips it;
`--lighthouse-runs=N` prints, for each page and profile, the run with the median performance.
`--lighthouse-json=DIR` also keeps each run's full report (`DIR/<page>-<profile>-<run>.json`),
for its opportunities and diagnostics (render-blocking resources, unused JS, main-thread work).
"""

from __future__ import annotations

import json
import os
import shutil
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
CHROMIUM = "/usr/bin/chromium"
LIGHTHOUSE_BARS = {"performance": 90, "accessibility": 100}  # mobile
NODE_DIR = Path(os.environ.get("JOBSPY_BENCH_NODE_DIR", Path.home() / ".cache" / "jobspy-web" / "bench-node"))


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
        urls: dict[str, str] = {}
        files: dict[str, float] = {}
        cdp.on("Network.requestWillBeSent", lambda event: urls.__setitem__(event["requestId"], event["request"]["url"]))

        def finished(event: dict[str, object]) -> None:
            size = float(event["encodedDataLength"])  # type: ignore[arg-type]
            wire["bytes"] += size
            files[urls.get(str(event["requestId"]), "?")] = size

        cdp.on("Network.loadingFinished", finished)
        page.goto(url + path, wait_until="load")
        page.wait_for_timeout(500)
        paints = page.evaluate("Object.fromEntries(performance.getEntriesByType('paint').map(entry => [entry.name, entry.startTime]))")
        navigation = page.evaluate("performance.getEntriesByType('navigation')[0].toJSON()")
        browser.close()
    return {
        "kib": wire["bytes"] / 1024,
        "fcp_ms": paints.get("first-contentful-paint", float("nan")),
        "load_ms": navigation["loadEventEnd"],
        "files": files,  # type: ignore[dict-item]
    }


def _lighthouse_bin() -> Path:
    """bench/package.json's Lighthouse, installed (once, `npm ci`) outside the work tree."""
    binary = NODE_DIR / "node_modules" / ".bin" / "lighthouse"
    lock = (ROOT / "bench" / "package-lock.json").read_bytes()
    if binary.exists() and (NODE_DIR / "package-lock.json").read_bytes() == lock:
        return binary
    NODE_DIR.mkdir(parents=True, exist_ok=True)
    for name in ("package.json", "package-lock.json"):
        shutil.copyfile(ROOT / "bench" / name, NODE_DIR / name)
    subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--loglevel=error"], cwd=NODE_DIR, check=True)
    return binary


def lighthouse(url: str, desktop: bool, keep: Path | None = None) -> dict[str, object]:
    """One Lighthouse run: category scores (0-100) and the failing accessibility audits;
    the full JSON report written to `keep` when given."""
    with tempfile.TemporaryDirectory(prefix="bench-lh-") as profile:
        command = [
            str(_lighthouse_bin()),
            url,
            "--output=json",
            "--output-path=stdout",
            "--quiet",
            "--only-categories=performance,accessibility,best-practices,seo",
            f"--chrome-flags=--headless=new --no-sandbox --disable-gpu --user-data-dir={profile}",
            *(["--preset=desktop"] if desktop else []),
        ]
        done = subprocess.run(command, env={**os.environ, "CHROME_PATH": CHROMIUM}, capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise SystemExit(f"lighthouse failed on {url}: {done.stderr.strip()[-500:]}")
    if keep is not None:
        keep.parent.mkdir(parents=True, exist_ok=True)
        keep.write_text(done.stdout, encoding="utf-8")
    report = json.loads(done.stdout)
    scores = {name: round(category["score"] * 100) for name, category in report["categories"].items() if category["score"] is not None}
    audits = report["audits"]
    failing = [
        ref["id"]
        for ref in report["categories"]["accessibility"]["auditRefs"]
        if ref["weight"] and audits[ref["id"]]["score"] is not None and audits[ref["id"]]["score"] < 1
    ]
    names = ("first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "speed-index", "cumulative-layout-shift")
    metrics = {name: audits[name]["numericValue"] for name in names}
    return {"scores": scores, "failing": failing, "metrics": metrics}


def print_lighthouse(url: str, runs: int, keep_dir: Path | None = None) -> None:
    for path in PAGES:
        for desktop in (False, True):
            profile = "desktop" if desktop else "mobile"
            name = path.strip("/") or "index"
            keeps = [keep_dir / f"{name}-{profile}-{run}.json" if keep_dir else None for run in range(runs)]
            # Lighthouse's advice for a noisy machine: the run with the median performance score.
            results = sorted((lighthouse(url + path, desktop, keep) for keep in keeps), key=lambda one: one["scores"]["performance"])  # type: ignore[index]
            result = results[len(results) // 2]
            scores: dict[str, int] = result["scores"]  # type: ignore[assignment]
            metrics: dict[str, float] = result["metrics"]  # type: ignore[assignment]
            misses = [] if desktop else [f"{name} under {bar}" for name, bar in LIGHTHOUSE_BARS.items() if scores.get(name, 0) < bar]
            print(
                f"{path:10} lighthouse {profile:7} performance {scores.get('performance', 0):3} accessibility"
                f" {scores.get('accessibility', 0):3} best practices {scores.get('best-practices', 0):3} SEO {scores.get('seo', 0):3}"
                f" | FCP {metrics['first-contentful-paint']:5.0f} ms LCP {metrics['largest-contentful-paint']:5.0f} ms"
                f" TBT {metrics['total-blocking-time']:4.0f} ms SI {metrics['speed-index']:5.0f} ms"
                f" CLS {metrics['cumulative-layout-shift']:.3f}"
                f" ({', '.join(misses) if misses else 'ok'})"
                + (f" | accessibility audits failing: {', '.join(result['failing'])}" if result["failing"] else "")  # type: ignore[arg-type]
            )


def main() -> None:
    server = None
    flags = [arg for arg in sys.argv[1:] if arg.startswith("--")]
    positional = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    url = positional[0] if positional else None
    if url is None:
        url, server = _start_server()
    try:
        largest: dict[str, float] = {}
        for path in PAGES:
            fast, slow = measure(url, path, throttled=False), measure(url, path, throttled=True)
            verdict = "ok" if slow["fcp_ms"] <= FCP_BAR_MS else f"over the {FCP_BAR_MS} ms bar"
            print(
                f"{path:10} wire {fast['kib']:7.1f} KiB | loopback FCP {fast['fcp_ms']:6.0f} ms load {fast['load_ms']:6.0f} ms"
                f" | phone FCP {slow['fcp_ms']:6.0f} ms load {slow['load_ms']:6.0f} ms"
                f" | phone/loopback FCP x{slow['fcp_ms'] / fast['fcp_ms']:.1f} ({verdict})",
                flush=True,
            )
            largest = largest or fast["files"]  # type: ignore[assignment]
        top = sorted(largest.items(), key=lambda item: -item[1])[:6]
        print(
            f"{PAGES[0]:10} largest on the wire: "
            + ", ".join(f"{name.rsplit('/', 1)[-1] or name} {size / 1024:.1f} KiB" for name, size in top)
        )
        if "--no-lighthouse" not in flags:
            runs = next((int(flag.split("=", 1)[1]) for flag in flags if flag.startswith("--lighthouse-runs=")), 1)
            keep_dir = next((Path(flag.split("=", 1)[1]) for flag in flags if flag.startswith("--lighthouse-json=")), None)
            print_lighthouse(url, runs, keep_dir)
    finally:
        if server is not None:
            # Ctrl+C, as a person stops it: `serve` then stops the Reflex server it started in a
            # session of its own (a SIGTERM would end `serve` alone and leave that one running).
            os.killpg(server.pid, signal.SIGINT)
            try:
                server.wait(60)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(10)


if __name__ == "__main__":
    main()
