"""Salary insights in the browser: a free account sees the blurred sample and the way to the
plans; a Pro account opens insights from a job's detail ("How does this pay compare?") and
gets the answer for that title, with its charts and sources."""

from __future__ import annotations

import subprocess
import sys
import uuid

from db_helpers import REPO_ROOT
from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_up


def test_a_free_account_sees_a_blurred_sample_and_the_upgrade_button(page: Page, app_url: str):
    sign_up(page, app_url, f"free-insights-{uuid.uuid4().hex[:8]}@example.com")
    page.goto(f"{app_url}/insights?title=Software+Engineer")
    expect(page.locator("#insights-locked")).to_be_visible()
    upgrade = page.locator("#insights-upgrade")
    expect(upgrade).to_have_text("See the plans")
    expect(upgrade).to_have_attribute("href", "/pricing")
    expect(page.locator("#insights-answer")).to_have_count(0)


def test_a_pro_account_compares_a_jobs_pay_from_its_detail(page: Page, app_url: str, app_server, replay_proxy):
    replay_proxy.scenario.clear()
    email = f"pro-insights-{uuid.uuid4().hex[:8]}@example.com"
    sign_up(page, app_url, email)
    subprocess.run(
        [sys.executable, "-m", "jobspy_web.cli", "user", "set-role", "--email", email, "--role", "pro"],
        cwd=REPO_ROOT,
        env=app_server.env,
        check=True,
        capture_output=True,
    )
    page.goto(app_url + "/")
    page.get_by_placeholder("Job title, skill or company").fill("python developer")
    page.get_by_placeholder("City, state or country").fill("Austin, TX")
    page.locator("input[name=results_wanted]").fill("5")
    page.locator("#search-button").click()
    expect(page.locator("#search-status")).to_have_text("completed", timeout=60_000)
    row = page.locator(".job-row").first
    title = row.locator(".job-title").inner_text().strip()
    row.locator(".job-title").click()
    page.locator("#detail-compare-pay").click()
    page.wait_for_url(f"{app_url}/insights**")
    expect(page.locator("#insights-title")).to_have_value(title)
    expect(page.locator("#insights-answer")).to_be_visible(timeout=30_000)
    expect(page.locator("#insights-median")).not_to_be_empty()
    expect(page.locator("#insights-answer .recharts-surface").first).to_be_visible()  # the charts drew
    sources = page.locator("#insights-answer table").last
    expect(sources).to_contain_text("corpus")
    expect(sources).to_contain_text("bls_oews")
