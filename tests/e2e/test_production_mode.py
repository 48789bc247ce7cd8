"""Production mode (PostgreSQL, Redis, several workers): sign-ins and searches survive a restart."""

import uuid

from playwright.sync_api import Page, expect

from tests.e2e.conftest import AppServer, sign_up
from tests.e2e.test_search_page import fill_search


def test_session_and_history_survive_a_server_restart(page: Page, app_server: AppServer, replay_proxy):
    replay_proxy.scenario.clear()
    app_url = app_server.url
    sign_up(page, app_url, f"restart-{uuid.uuid4().hex[:8]}@example.com")
    fill_search(page, app_url, "site reliability engineer")
    page.locator("input[name=results_wanted]").fill("5")
    page.locator("#search-button").click()
    expect(page.locator("#search-status")).to_have_text("completed")

    app_server.restart()

    page.goto(f"{app_url}/history")
    expect(page.locator("#account-menu")).to_be_visible()  # still signed in
    item = page.locator(".history-item", has_text="site reliability engineer")
    expect(item).to_contain_text("completed")
    item.locator("button.job-title").click()  # the title opens the search (a button: it acts, it goes nowhere)
    expect(page.locator(".job-row").first).to_be_visible()
