"""A newcomer's first run, as one story at phone width: the landing page, sign-up (a common
password refused, saying why), the confirmation link, a search whose form folds into a
summary, a pay sort, History's Run again and Delete, Cancel settling every site, and a
license the admin issued showing up for its owner, expired once its date has passed."""

from __future__ import annotations

import re
import uuid

import sqlalchemy as sa
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import ADMIN_EMAIL, PASSWORD, AppServer, fresh_sign_up_budget, sign_in
from tests.replay import ReplayProxy, SiteBehaviour

PHONE = {"width": 375, "height": 800}


def _database(app_server: AppServer) -> sa.Engine:
    return sa.create_engine(sa.make_url(app_server.env["DATABASE_URL"]).set(drivername="postgresql+psycopg"))


def _confirmation_link(app_server: AppServer, email: str) -> str:
    """The link the first run would print: the same mail, read where the app keeps it."""
    engine = _database(app_server)
    try:
        with engine.connect() as connection:
            body = connection.execute(
                sa.text("SELECT body FROM outbox WHERE to_address = :to ORDER BY created_at DESC LIMIT 1"), {"to": email}
            ).scalar_one()
    finally:
        engine.dispose()
    link = re.search(r"https?://\S+/auth/verify\?token=\S+", body)
    assert link, body
    return link.group(0)


def _new_page(browser: Browser, **options) -> Page:
    page = browser.new_context(**options).new_page()
    page.set_default_timeout(30_000)
    return page


def test_a_newcomer_signs_up_confirms_searches_on_a_phone_and_finds_their_license(
    browser: Browser, app_server: AppServer, replay_proxy: ReplayProxy
):
    app_url = app_server.url
    email = f"newcomer-{uuid.uuid4().hex[:8]}@example.com"
    page = _new_page(browser, viewport=PHONE)

    # What the product is, before any form.
    page.goto(app_url)
    expect(page.get_by_role("heading", level=1)).to_have_text("Every job board, one search")
    page.get_by_role("link", name="Create a free account").click()

    fresh_sign_up_budget()  # as if this newcomer came from their own network

    # A ten-digit password is refused with the reason; a passphrase is taken.
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("1234567890")
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#form-error")).to_contain_text("common passwords")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Create account").click()
    expect(page.locator("#notice")).to_contain_text("Check your email to confirm")

    page.goto(_confirmation_link(app_server, email))
    expect(page.locator("#notice")).to_contain_text("your email address is confirmed")

    # A search on a phone: the form folds into a one-line summary above the results.
    replay_proxy.scenario.clear()
    page.get_by_label("What").fill("python developer")
    page.get_by_label("Results per site").fill("5")
    page.locator("#search-button").click()
    expect(page.locator("#search-status")).to_have_text("completed", timeout=60_000)
    expect(page.locator("#search-summary")).to_contain_text("python developer")
    expect(page.get_by_label("What")).to_be_hidden()
    page.locator("#edit-search").click()
    expect(page.get_by_label("What")).to_be_visible()
    expect(page.get_by_label("What")).to_be_focused()

    # Sorted by the top of each yearly range.
    page.locator("#sort-trigger").click()
    page.get_by_role("option", name="Highest pay (top of range, a year)").click()
    expect(page.locator("#sort-trigger")).to_contain_text("Highest pay (top of range")
    assert page.locator(".job-row").count() >= 5

    # History: run it again, then delete the first one.
    page.goto(f"{app_url}/history")
    expect(page.locator(".history-item")).to_have_count(1)
    page.locator(".history-rerun").first.click()
    page.wait_for_url(re.compile(re.escape(app_url) + r"/?$"))
    expect(page.locator("#search-status")).to_have_text("completed", timeout=60_000)
    page.goto(f"{app_url}/history")
    expect(page.locator(".history-item")).to_have_count(2)
    page.locator(".history-delete").last.click()
    expect(page.locator(".history-item")).to_have_count(1)

    # Cancel: the site still running reads cancelled, not running… for ever.
    replay_proxy.scenario["linkedin"] = SiteBehaviour(delay=30)
    page.goto(app_url)
    page.locator("#edit-search").click()  # the last search folded the form; the page keeps it so
    page.get_by_label("What").fill("data engineer")
    page.locator("#search-button").click()
    expect(page.locator("#chip-indeed")).to_have_attribute("data-state", "done", timeout=60_000)
    page.locator("#summary-cancel").click()  # the form folded again: Cancel is on the summary bar
    expect(page.locator("#search-status")).to_have_text("cancelled")
    expect(page.locator("#chip-linkedin")).to_have_attribute("data-state", "cancelled")
    replay_proxy.scenario.clear()

    # The admin issues a key for them; the server refuses nonsense next to the field.
    admin = _new_page(browser)
    sign_in(admin, app_url, ADMIN_EMAIL, "/admin")
    admin.locator("input[name=email]").fill(email)
    admin.locator("input[name=days]").fill("-5")
    admin.locator("#issue-license").click()
    expect(admin.locator("#days-error")).to_contain_text("Days: enter a whole number from 1 to 3650")
    admin.locator("input[name=email]").fill(email)
    admin.locator("input[name=days]").fill("1")
    admin.locator("#issue-license").click()
    key = admin.locator("#issued-key").inner_text()
    assert key.startswith("JSW-")

    # A day later (the clock moved on in the database), the owner sees it, expired.
    engine = _database(app_server)
    try:
        with engine.begin() as connection:
            connection.execute(
                sa.text("UPDATE licenses SET expires_at = now() - interval '1 hour' WHERE key_prefix = :prefix"), {"prefix": key[:9]}
            )
    finally:
        engine.dispose()
    page.goto(f"{app_url}/licenses")
    expect(page.get_by_text(key)).to_be_visible()  # shown once to its owner too
    expect(page.locator(".license-status").first).to_have_text("expired")
