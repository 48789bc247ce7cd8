"""The desktop app as a person runs it: `python -m jobspy_web.desktop` (its own Reflex server
in desktop mode) against a real License Server process, driven in Chromium through its UI.

One story across three starts of the app: a key entered on the first run unlocks Pro; with the
License Server gone the next start still runs Pro from the kept signed answer; an edited kept
answer is refused (free, "not verified"); the server back, the next background check restores
Pro (salary insights from the server, a tracker sync with the buyer's account), and a revoke on
the server falls back to free at the check after that.

Compiles the UI in the shared .web: run under the e2e lock
(flock /tmp/jobspy-e2e.lock .venv/bin/python -m pytest tests/desktop/test_desktop_app.py).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from db_helpers import REPO_ROOT
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.api_server import ApiServer, free_port
from tests.desktop.conftest import issue_key

CHROMIUM = "/usr/bin/chromium"
LAUNCH_SECRET = "desktop-e2e-launch-secret"
CHECK_EVERY_S = 2
START_TIMEOUT_S = 600


class DesktopApp:
    def __init__(self, home: Path, license_server: ApiServer) -> None:
        self.home, self.license_server = home, license_server
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> DesktopApp:
        env = {
            **os.environ,
            "JOBSPY_DESKTOP_HOME": str(self.home),
            "DESKTOP_LAUNCH_SECRET": LAUNCH_SECRET,
            "DESKTOP_LICENSE_CHECK_SECONDS": str(CHECK_EVERY_S),
            "REFLEX_TELEMETRY_ENABLED": "false",
        }
        command = [sys.executable, "-m", "jobspy_web.desktop", "--no-window", "--port", str(self.port)]
        command += ["--license-server", self.license_server.url]
        with (self.home.parent / "desktop-launcher.log").open("ab") as log:
            self.process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process.poll() is None, (self.home / "serve.log").read_text()[-3000:]
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200 and httpx.get(self.url, timeout=5).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        raise AssertionError(f"the desktop app did not start in {START_TIMEOUT_S} s")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGINT)  # as Ctrl+C in its terminal
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
        self.process = None

    def open(self, browser: Browser) -> Page:
        page = browser.new_context().new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{self.url}/desktop/start?launch={LAUNCH_SECRET}")
        return page


@pytest.fixture(scope="module")
def desktop_browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        yield launched
        launched.close()


def _headline(page: Page) -> str:
    origin = "/".join(page.url.split("/")[:3])
    page.goto(f"{origin}/settings")
    expect(page.locator("#license-headline")).to_be_visible()
    return page.locator("#license-headline").inner_text()


def _wait_for_headline(page: Page, wanted: str, timeout_s: float = 40) -> None:
    deadline = time.monotonic() + timeout_s
    while (shown := _headline(page)) != wanted:
        assert time.monotonic() < deadline, f"the Settings page still says {shown!r}, not {wanted!r}"
        time.sleep(1)


def test_key_unlocks_pro_offline_start_keeps_it_tampered_answer_refused_revoke_falls_back(
    desktop_browser: Browser, license_server: ApiServer, tmp_path: Path
) -> None:
    browser = desktop_browser
    # The buyer has an account on the server: the license-key grant speaks for it (sync).
    license_server.cli("user", "create", "--email", "buyer@example.com", "--verified", JOBSPY_NEW_PASSWORD="correct horse battery")
    key = issue_key(license_server)
    app = DesktopApp(tmp_path / "home", license_server)
    try:
        # First run: no sign-up, straight to Settings, which asks for a key.
        page = app.start().open(browser)
        page.wait_for_url(f"{app.url}/settings**")
        expect(page.locator("#license-headline")).to_have_text("No license yet")
        expect(page.get_by_role("link", name="Sign in")).to_have_count(0)  # signed in as the local account
        page.get_by_label("License key").fill(key)
        page.get_by_role("button", name="Activate").click()
        expect(page.locator("#license-headline")).to_have_text("Pro license")
        expect(page.locator("#license-features")).to_contain_text("all_sites")
        expect(page.locator("#data-folder")).to_have_text(str((tmp_path / "home").resolve()))
        # Pro unlocks every site on the search form (free marks Bayt, Naukri... with a lock).
        page.goto(f"{app.url}/")
        expect(page.locator("#account-menu")).to_be_visible()  # the account (and its tier) loaded
        expect(page.locator("#site-bayt")).to_be_visible()
        expect(page.locator("#locked-sites-note")).to_have_count(0)
        app.stop()

        # Offline: the License Server is gone; the kept signed answer still counts.
        license_server.stop()
        page = app.start().open(browser)
        page.wait_for_url(f"{app.url}/**")
        _wait_for_headline(page, "Pro license")
        expect(page.get_by_text("offline: last verified answer")).to_be_visible()
        app.stop()

        # An edited kept answer (a hand-made upgrade to team) is refused: free, visibly.
        (kept,) = (tmp_path / "home" / "desktop" / "license-cache").glob("license-*.json")
        answer = json.loads(kept.read_text())
        kept.write_text(json.dumps({**answer, "body": answer["body"].replace('"pro"', '"team"')}))
        page = app.start().open(browser)
        _wait_for_headline(page, "Free (license not verified)")
        expect(page.locator("#license-fell-back")).to_contain_text("no longer valid")

        # The server back: the next background check restores Pro, with its Premium features.
        license_server.start()
        _wait_for_headline(page, "Pro license")
        page.get_by_label("Job title").fill("Python Developer")
        page.get_by_label("Location").fill("Austin, TX")
        page.get_by_role("button", name="Show pay").click()
        expect(page.locator("#insight-band")).to_have_text("Not enough postings with pay for this title and place yet.")
        page.get_by_role("button", name="Sync now").click()
        expect(page.locator("#sync-summary")).to_contain_text("0 sent, 0 received")

        # A revoke on the server falls back to free at the next check.
        license_server.cli("license", "revoke", key, "--reason", "refunded")
        _wait_for_headline(page, "Free (license not valid)")
        expect(page.locator("#license-fell-back")).to_contain_text("revoked")
        page.goto(f"{app.url}/")
        expect(page.locator("#locked-sites-note")).to_be_visible()
    finally:
        app.stop()
