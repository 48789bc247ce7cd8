"""Save a search with a daily schedule, run it now, see the bell count rise, open the alert."""

import re
import subprocess
import sys
import uuid

from playwright.sync_api import Page, expect

from tests.e2e.conftest import PASSWORD, REPO_ROOT, AppServer, sign_up
from tests.e2e.test_search_page import fill_search

RUN_TIMEOUT_MS = 120_000  # the run searches four replayed boards through the queue worker


def test_a_saved_search_runs_and_its_alert_opens_with_the_new_jobs(page: Page, app_server: AppServer, replay_proxy):
    replay_proxy.scenario.clear()
    app_url = app_server.url
    email = f"saver-{uuid.uuid4().hex[:8]}@example.com"
    sign_up(page, app_url, email)
    # Schedules are a Pro feature: the operator makes this account Pro, as the README says.
    subprocess.run(
        [sys.executable, "-m", "jobspy_web.cli", "user", "set-role", "--email", email, "--role", "pro"],
        cwd=REPO_ROOT,
        env={**app_server.env, "JOBSPY_NEW_PASSWORD": PASSWORD},
        check=True,
        capture_output=True,
    )
    fill_search(page, app_url, "platform engineer")
    page.locator("input[name=results_wanted]").fill("5")

    page.locator("#save-search").click()

    page.wait_for_url(re.compile(re.escape(app_url) + r"/saved-searches/?$"))
    expect(page.locator("#saved-terms")).to_have_value("platform engineer")
    expect(page.locator("#saved-locations")).to_have_value("Austin, TX")
    page.locator("#saved-schedule").select_option("daily")
    page.locator("#saved-time").fill("07:30")
    page.locator("#saved-save").click()
    saved = page.locator(".saved-search", has_text="platform engineer")
    expect(saved).to_contain_text("daily at 07:30")
    expect(page.locator("#alert-count")).to_have_count(0)  # nothing unread yet

    saved.locator(".run-now").click()

    expect(page.locator("#saved-message")).to_contain_text("new.", timeout=RUN_TIMEOUT_MS)
    expect(page.locator("#alert-count")).to_have_text("1")
    page.locator("#alert-bell").click()
    page.wait_for_url(re.compile(re.escape(app_url) + r"/alerts/?$"))
    page.locator(".alert-link").first.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("new job")
    expect(page.locator(".alert-job").first).to_be_visible()
    expect(page.locator("#alert-count")).to_have_count(0)  # opening it read it
