"""Every page, and the job dialog, at 1280 and 375 px in both themes: 0 WCAG 2.1 AA
violations by axe-core (npm, injected by Playwright); at 375 px nothing is wider than the
screen and the console stays free of errors."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ADMIN_EMAIL, sign_in
from tests.replay import ReplayProxy

AXE_DIR = Path(__file__).parent / "axe"
AXE_SCRIPT = AXE_DIR / "node_modules" / "axe-core" / "axe.min.js"
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
WIDTHS = (1280, 375)
THEMES = ("light", "dark")

SIGNED_OUT_PAGES = ["/", "/login", "/signup", "/forgot", "/reset?token=x", "/pricing", "/no-such-page"]
SIGNED_IN_PAGES = ["/", "/history", "/account", "/licenses", "/billing", "/pricing", "/admin", "/billing/pay?plan=desktop_lifetime"]


@pytest.fixture(scope="session")
def axe_script() -> Path:
    """axe-core from tests/e2e/axe's lock file, installed once like the frontend's packages."""
    if not AXE_SCRIPT.exists():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund", "--silent"], cwd=AXE_DIR, check=True)
    return AXE_SCRIPT


def violations(page: Page, axe_script: Path) -> list[str]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(path=str(axe_script))
    result = page.evaluate("tags => axe.run(document, {runOnly: {type: 'tag', values: tags}})", WCAG_AA)
    return [
        f"{item['id']} ({item['impact']}): {item['help']} at {[node['target'] for node in item['nodes'][:4]]}"
        for item in result["violations"]
    ]


def settle(page: Page) -> None:
    """Hydrated: the page's one h1 is on screen and the websocket has answered."""
    expect(page.locator("h1").first).to_be_visible(timeout=45_000)  # a busy 2-core CI machine
    page.wait_for_timeout(300)  # Radix portals and the state's first delta


@pytest.fixture(scope="module")
def admin_storage(browser: Browser, app_url: str, tmp_path_factory: pytest.TempPathFactory) -> str:
    """One signed-in admin session, reused by every signed-in scan."""
    context = browser.new_context()
    page = context.new_page()
    page.set_default_timeout(30_000)
    sign_in(page, app_url, ADMIN_EMAIL)
    path = tmp_path_factory.mktemp("axe") / "admin.json"
    context.storage_state(path=str(path))
    context.close()
    return str(path)


def _pages(browser: Browser, storage: str | None, width: int, theme: str) -> Iterator[Page]:
    context = browser.new_context(
        viewport={"width": width, "height": 900}, color_scheme=theme, storage_state=storage, reduced_motion="reduce"
    )
    try:
        page = context.new_page()
        page.set_default_timeout(30_000)
        yield page
    finally:
        context.close()


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_every_page_has_no_wcag_aa_violation(browser: Browser, app_url: str, admin_storage: str, axe_script: Path, width: int, theme: str):
    found: dict[str, list[str]] = {}
    for storage, paths in ((None, SIGNED_OUT_PAGES), (admin_storage, SIGNED_IN_PAGES)):
        for page in _pages(browser, storage, width, theme):
            for path in paths:
                page.goto(app_url + path)
                settle(page)
                if problems := violations(page, axe_script):
                    found[f"{'signed in' if storage else 'signed out'} {path}"] = problems
    assert found == {}, json.dumps(found, indent=1)


@pytest.mark.parametrize("theme", THEMES)
@pytest.mark.parametrize("width", WIDTHS)
def test_the_search_results_and_job_dialog_have_no_wcag_aa_violation(
    browser: Browser, app_url: str, admin_storage: str, axe_script: Path, replay_proxy: ReplayProxy, width: int, theme: str
):
    replay_proxy.scenario.clear()
    for page in _pages(browser, admin_storage, width, theme):
        page.goto(app_url)
        settle(page)
        page.locator("input[name=search_term]").fill("python developer")
        page.locator("input[name=results_wanted]").fill("5")
        page.locator("#search-button").click()
        # A new tab shows the admin's last search (completed): wait for this one to start.
        expect(page.locator("#search-status")).not_to_have_text("completed")
        expect(page.locator("#search-status")).to_have_text("completed", timeout=60_000)
        page.locator(".job-row .job-title").first.click()
        expect(page.get_by_role("dialog")).to_be_visible()
        page.wait_for_timeout(300)
        dialog_problems = violations(page, axe_script)
        page.keyboard.press("Escape")
        expect(page.get_by_role("dialog")).to_be_hidden()
        results_problems = violations(page, axe_script)
        assert (dialog_problems, results_problems) == ([], [])


OVERFLOWING = """() => {
  const width = document.documentElement.clientWidth;
  const clipped = el => { for (let p = el.parentElement; p; p = p.parentElement) {
      const o = getComputedStyle(p).overflowX; if (o === 'auto' || o === 'scroll' || o === 'hidden') return true; } return false; };
  return [...document.body.querySelectorAll('*')]
    .filter(el => { const r = el.getBoundingClientRect(); return r.width > 0 && (r.right > width + 1 || r.left < -1) && !clipped(el); })
    .slice(0, 5).map(el => el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + '.' + [...el.classList].slice(0, 2).join('.'));
}"""


def test_every_page_fits_a_phone_without_console_errors(browser: Browser, app_url: str, admin_storage: str):
    problems: dict[str, object] = {}
    for storage, paths in ((None, SIGNED_OUT_PAGES), (admin_storage, SIGNED_IN_PAGES)):
        for page in _pages(browser, storage, 375, "light"):
            errors: list[str] = []
            page.on(
                "console",
                lambda message, errors=errors: (
                    errors.append(f"{message.text} ({message.location.get('url', '')})") if message.type == "error" else None
                ),
            )
            page.on("pageerror", lambda error, errors=errors: errors.append(str(error)))
            for path in paths:
                errors.clear()
                page.goto(app_url + path)
                settle(page)
                wider = page.evaluate(OVERFLOWING)
                scroll_width = page.evaluate("document.documentElement.scrollWidth")
                # The 404 page answers 404 on purpose; the browser logs that status as an error.
                # Stripe.js can't load here (no internet: js.stripe.com doesn't resolve); it does online.
                errors_seen = [text for text in errors if not (path == "/no-such-page" and "404" in text) and "js.stripe.com" not in text]
                if wider or scroll_width > 375 or errors_seen:
                    problems[path + (" (signed in)" if storage else "")] = {
                        "wider": wider,
                        "scroll_width": scroll_width,
                        "errors": errors_seen,
                    }
    assert problems == {}, json.dumps(problems, indent=1)
