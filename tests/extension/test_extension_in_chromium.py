"""The unpacked extension in Debian's Chromium against the app's API: on pages shaped like each
board's posting page (tests served in place of the boards, never the internet), Save puts the
job in the tracker, and the page then says it is tracked."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import BrowserContext, Page, Route, expect, sync_playwright

from tests.api_server import ApiServer
from tests.extension.conftest import Account, access_token

CHROMIUM = "/usr/bin/chromium"
PAGES = Path(__file__).resolve().parents[2] / "extension" / "tests" / "pages"
EXPECTED: dict[str, dict] = json.loads((PAGES / "expected.json").read_text())
# The LinkedIn posting opened again from the jobs list: another address for the same job.
LINKEDIN_FROM_LIST = "https://www.linkedin.com/jobs/collections/recommended/?currentJobId=4012345678"


@pytest.fixture(scope="module")
def chromium_with_extension(extension_builds: dict[str, Path]) -> Iterator[tuple[BrowserContext, str]]:
    """A persistent context (extensions need one) with the Chrome build loaded; its id."""
    build = extension_builds["chrome"]
    with tempfile.TemporaryDirectory() as profile, sync_playwright() as playwright:
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=CHROMIUM,
            headless=True,  # Chromium's new headless mode, which runs extensions
            args=[
                "--no-sandbox",
                "--disable-gpu",
                f"--disable-extensions-except={build}",
                f"--load-extension={build}",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                # Nothing leaves the machine: the boards' pages are answered by route() below.
                "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
            ],
        )
        try:
            worker = context.service_workers[0] if context.service_workers else context.wait_for_event("serviceworker")
            extension_id = worker.url.split("/")[2]
            context.route(re.compile(r"^https://"), _serve_board_pages)
            yield context, extension_id
        finally:
            context.close()


def _serve_board_pages(route: Route) -> None:
    url = route.request.url
    pages = {entry["page_url"]: name for name, entry in EXPECTED.items()}
    pages[LINKEDIN_FROM_LIST] = "linkedin-jsonld.html"
    if url in pages:
        route.fulfill(status=200, content_type="text/html; charset=utf-8", body=(PAGES / pages[url]).read_text())
    else:
        route.abort()  # favicons and anything else a page asks of the real site


def _sign_in_through_options(page: Page, extension_id: str, server: ApiServer, account: Account, tier: str = "free") -> None:
    page.goto(f"chrome-extension://{extension_id}/options.html")
    page.get_by_label("Your JobSpy Web server").fill(server.url + "/ignored/path")
    page.get_by_label("API token").fill(account.api_token)
    page.get_by_role("button", name="Save and check").click()
    expect(page.locator("#status")).to_have_text(f"Signed in as {account.email} ({tier}).", timeout=15_000)
    # Only the origin is kept: requests can't be steered to a path of the server's.
    expect(page.get_by_label("Your JobSpy Web server")).to_have_value(server.url)


def _tracked(server: ApiServer, token: str, url: str) -> dict:
    answer = httpx.get(f"{server.url}/api/tracker/lookup", params={"url": url}, headers={"Authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_save_on_every_boards_posting_page_puts_it_in_the_tracker_and_linkedin_then_shows_it_saved(
    chromium_with_extension: tuple[BrowserContext, str], tracker_server: ApiServer, account: Account
) -> None:
    context, extension_id = chromium_with_extension
    page = context.new_page()
    _sign_in_through_options(page, extension_id, tracker_server, account)
    token = access_token(tracker_server.url, account.api_token)

    for name, entry in EXPECTED.items():
        posting = entry["posting"]
        assert _tracked(tracker_server, token, posting["url"])["found"] is False, name
        page.goto(entry["page_url"])
        panel = page.locator("#jobspy-web-panel")
        save = panel.get_by_role("button", name="Save to tracker")
        expect(save).to_be_enabled()
        save.click()
        expect(panel.get_by_role("status")).to_have_text("In your tracker · Saved")
        expect(panel.get_by_role("button", name="Saved")).to_be_disabled()
        expect(panel.locator(".insight")).to_have_text("")  # salary bands are for Pro accounts

        found = _tracked(tracker_server, token, posting["url"])
        assert found["found"] is True, name
        item = found["item"]
        assert (item["title"], item["company"], item["site"], item["stage"]) == (
            posting["title"],
            posting["company"],
            posting["site"],
            "saved",
        ), name
        assert item["location"] == posting["location"] and item["salary_text"] == posting["salary_text"], name

    # The LinkedIn posting again, reached from the jobs list: the page says it is saved.
    page.goto(LINKEDIN_FROM_LIST)
    panel = page.locator("#jobspy-web-panel")
    expect(panel.get_by_role("status")).to_have_text("In your tracker · Saved")
    expect(panel.get_by_role("button", name="Saved")).to_be_disabled()

    listing = httpx.get(f"{tracker_server.url}/api/tracker/jobs", headers={"Authorization": f"Bearer {token}"})
    assert listing.status_code == 200, listing.text
    assert len(listing.json()["items"]) == len(EXPECTED)  # one item per posting, no duplicates


def test_without_a_token_the_panel_says_how_to_sign_in(chromium_with_extension: tuple[BrowserContext, str]) -> None:
    context, extension_id = chromium_with_extension
    page = context.new_page()
    page.goto(f"chrome-extension://{extension_id}/options.html")
    page.evaluate("chrome.storage.local.clear()")
    page.goto(EXPECTED["indeed-plain.html"]["page_url"])
    status = page.locator("#jobspy-web-panel").get_by_role("status")
    expect(status).to_contain_text("Set your JobSpy Web server in the extension's options.")


def test_a_pro_account_sees_the_salary_insight_for_the_posting(
    chromium_with_extension: tuple[BrowserContext, str], tracker_server: ApiServer, pro_account: Account
) -> None:
    context, extension_id = chromium_with_extension
    page = context.new_page()
    _sign_in_through_options(page, extension_id, tracker_server, pro_account, tier="pro")
    page.goto(EXPECTED["linkedin-jsonld.html"]["page_url"])
    panel = page.locator("#jobspy-web-panel")
    expect(panel.get_by_role("button", name="Save to tracker")).to_be_enabled()
    # A new server holds no postings with pay yet: the band says so rather than guessing.
    expect(panel.locator(".insight")).to_have_text("Salary insights: not enough postings with pay for this title and place yet.")
