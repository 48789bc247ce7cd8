"""The installed app offline, and a second tab of a search, as a person uses them."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.test_search_page import fill_search
from tests.replay import SiteBehaviour

SAVED_KEY = "jobspy-last-results"
TIMEOUT_MS = 30_000


def _search(page: Page, app_url: str, term: str) -> None:
    fill_search(page, app_url, term)
    page.locator("#search-button").click()


def test_offline_the_last_results_show_under_a_calm_banner_and_sign_out_forgets_them(signed_in: Page, app_url: str, replay_proxy):
    page = signed_in
    replay_proxy.scenario.clear()
    _search(page, app_url, "python developer")
    expect(page.locator("#search-status")).to_have_text("completed", timeout=60_000)
    shown = page.locator(".job-row").count()
    assert shown >= 10
    first_title = page.locator(".job-row .job-title").first.inner_text()
    # The worker controls the page, and the page has kept what it shows.
    page.wait_for_function("navigator.serviceWorker.controller !== null")
    page.wait_for_function(f"(JSON.parse(localStorage.getItem('{SAVED_KEY}') || 'null') || {{rows: []}}).rows.length === {shown}")

    page.context.set_offline(True)
    page.reload()
    expect(page.locator("#offline-banner")).to_have_text("Offline: showing saved results.")
    # Once more with an ear on the console (the app page left behind logged its websocket
    # dropping when the network went): the offline page itself logs nothing.
    problems: list[str] = []
    page.on("console", lambda message: problems.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.reload()

    expect(page.locator("#offline-banner")).to_have_text("Offline: showing saved results.")
    expect(page.locator(".offline-row")).to_have_count(shown)
    expect(page.locator(".offline-row").first).to_contain_text(first_title)
    expect(page.locator("#offline-label")).to_contain_text("python developer")
    # A job's link is the site's own address, for when the connection is back.
    assert page.locator(".offline-row a").first.get_attribute("href").startswith("http")
    body = page.locator("body").inner_text()
    assert "Cannot connect to server" not in body
    assert "Sign in" not in body  # nothing here says a signed-in person is signed out
    page.wait_for_timeout(1500)  # time for any late error to show
    assert problems == []

    # Back online, the page reloads by itself into the app.
    page.context.set_offline(False)
    expect(page.locator("#account-menu")).to_be_visible()

    # Signing out forgets the kept results: the next person on this browser sees nothing.
    page.locator("#account-menu").click()
    page.locator("#sign-out").click()
    page.wait_for_url(re.compile(r".*/login/?\?notice=signed_out"))
    assert page.evaluate(f"localStorage.getItem('{SAVED_KEY}')") is None
    page.context.set_offline(True)
    page.reload()
    expect(page.locator("#offline-banner")).to_contain_text("Offline: no saved results on this device")
    expect(page.locator(".offline-row")).to_have_count(0)
    page.context.set_offline(False)


def test_a_second_tab_follows_the_running_search_then_shows_its_results(signed_in: Page, app_url: str, replay_proxy):
    page = signed_in
    replay_proxy.scenario.clear()
    replay_proxy.scenario["linkedin"] = SiteBehaviour(delay=8)
    _search(page, app_url, "data engineer")
    expect(page.locator("#chip-linkedin")).to_have_attribute("data-state", "running")

    second = page.context.new_page()
    second.set_default_timeout(TIMEOUT_MS)
    second.goto(app_url)
    # The same search, still running, with what the form asked for.
    expect(second.locator("#search-status")).to_have_text(re.compile("running|queued"))
    expect(second.locator("#search-label")).to_contain_text("data engineer")
    expect(second.get_by_placeholder("Job title, skill or company")).to_have_value("data engineer")
    expect(second.locator("#chip-linkedin")).to_have_attribute("data-state", "running")
    # Followed live, to the end.
    expect(second.locator("#chip-linkedin")).to_have_attribute("data-state", "done", timeout=60_000)
    expect(second.locator("#search-status")).to_have_text("completed")
    expect(page.locator("#search-status")).to_have_text("completed")
    expect(second.locator(".job-row")).to_have_count(page.locator(".job-row").count())

    # A third tab after it finished: its results at once.
    third = page.context.new_page()
    third.set_default_timeout(TIMEOUT_MS)
    third.goto(app_url)
    expect(third.locator("#search-status")).to_have_text("completed")
    expect(third.locator(".job-row")).to_have_count(page.locator(".job-row").count())
    rows = page.locator(".job-row").count()
    third.wait_for_function(f"(JSON.parse(localStorage.getItem('{SAVED_KEY}') || 'null') || {{rows: []}}).rows.length === {rows}")
