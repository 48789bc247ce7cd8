"""A person saves a job from the results, moves it across the tracker's board on a phone by
touch, finds it in the list view; with a mouse, drags a card to another column."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e import test_accessibility as accessibility
from tests.e2e.conftest import PASSWORD, sign_up

axe_script = accessibility.axe_script  # the session fixture that installs axe-core once
PHONE = {"viewport": {"width": 375, "height": 812}, "has_touch": True, "is_mobile": True, "device_scale_factor": 2}


def card(page: Page, title: str):
    return page.locator(".tracker-card", has_text=title)


def test_save_from_results_then_move_across_the_board_by_touch_at_375px(browser: Browser, app_url: str, replay_proxy):
    replay_proxy.scenario.clear()
    context = browser.new_context(**PHONE)
    try:
        page = context.new_page()
        sign_up(page, app_url, f"tracker-{uuid.uuid4().hex[:8]}@example.com")
        page.get_by_placeholder("Job title, skill or company").fill("python developer")
        page.get_by_placeholder("City, state or country").fill("Austin, TX")
        page.locator("input[name=results_wanted]").fill("5")
        page.locator("#search-button").tap()
        expect(page.locator("#search-status")).to_have_text("completed", timeout=60_000)

        # Save the first result from its row: the row then shows its stage beside "Seen".
        row = page.locator(".job-row").first
        title = row.locator(".job-title").inner_text().strip()
        row.locator(".save-to-tracker").tap()
        expect(row.locator(".tracker-stage-badge")).to_have_text("Saved")
        # The detail dialog knows it too.
        row.locator(".job-title").tap()
        expect(page.locator("#detail-tracker-stage")).to_contain_text("Saved")
        page.get_by_role("dialog").get_by_role("button", name="Close").tap()

        page.get_by_role("link", name="Tracker").tap()
        page.wait_for_url(re.compile(re.escape(app_url) + r"/tracker/?$"))
        saved = card(page, title)
        expect(saved).to_have_attribute("data-stage", "saved")
        expect(page.locator("#column-saved .tracker-card")).to_have_count(1)

        # The touch path: the card's own stage picker, then its "next stage" arrow.
        saved.locator(".stage-select").select_option("applied")
        expect(page.locator("#column-applied .tracker-card", has_text=title)).to_be_visible()
        expect(page.locator("#column-saved .tracker-card")).to_have_count(0)
        card(page, title).locator(".move-on").tap()
        expect(page.locator("#column-interviewing .tracker-card", has_text=title)).to_be_visible()
        overflow = page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"the board scrolls sideways by {overflow}px on a phone"

        # Notes and a follow-up date from the card's dialog.
        card(page, title).locator(".card-title").tap()
        page.locator("#edit-notes").fill("Recruiter call on Tuesday")
        page.locator("#edit-follow-up").fill("2026-12-09")
        page.locator("#edit-save").tap()
        expect(page.get_by_role("dialog")).to_have_count(0)
        expect(card(page, title)).to_contain_text("Follow up 2026-12-09")

        # The list view shows it with its stage; the filter narrows by stage.
        page.get_by_role("radio", name="List").tap()
        expect(page.locator(".tracker-row", has_text=title).locator(".stage-badge")).to_have_text("Interviewing")
        page.locator("#tracker-filter-stage").select_option("offer")
        expect(page.locator(".tracker-row")).to_have_count(0)
        page.locator("#tracker-filter-stage").select_option("interviewing")
        expect(page.locator(".tracker-row")).to_have_count(1)

        # Back on the search page the row carries the new stage.
        page.get_by_role("link", name="Search").tap()
        expect(page.locator(".job-row", has_text=title).locator(".tracker-stage-badge")).to_have_text("Interviewing")
    finally:
        context.close()


def test_a_mouse_drags_a_card_to_another_column(page: Page, app_url: str):
    email = f"drag-{uuid.uuid4().hex[:8]}@example.com"
    sign_up(page, app_url, email)
    token = httpx.post(f"{app_url}/auth/token", json={"email": email, "password": PASSWORD}).json()["access_token"]
    posting = {"url": "https://www.linkedin.com/jobs/view/4000000001", "title": "Platform Engineer", "company": "Acme", "site": "linkedin"}
    saved = httpx.post(f"{app_url}/api/tracker/jobs", json=posting, headers={"Authorization": f"Bearer {token}"})
    assert saved.status_code == 201

    page.set_viewport_size({"width": 1280, "height": 900})
    page.goto(f"{app_url}/tracker")
    dragged = card(page, "Platform Engineer")
    expect(dragged).to_have_attribute("data-stage", "saved")
    dragged.drag_to(page.locator("#column-offer"))
    expect(page.locator("#column-offer .tracker-card", has_text="Platform Engineer")).to_be_visible()
    item = httpx.get(f"{app_url}/api/tracker/lookup", params={"url": posting["url"]}, headers={"Authorization": f"Bearer {token}"}).json()
    assert item["found"] and item["item"]["stage"] == "offer"


@pytest.mark.parametrize("theme", ["light", "dark"])
@pytest.mark.parametrize("width", [1280, 375])
def test_the_board_the_list_and_the_edit_dialog_have_no_wcag_aa_violation(
    browser: Browser, app_url: str, axe_script: Path, width: int, theme: str
):
    context = browser.new_context(viewport={"width": width, "height": 900}, color_scheme=theme, reduced_motion="reduce")
    try:
        page = context.new_page()
        email = f"axe-{uuid.uuid4().hex[:8]}@example.com"
        sign_up(page, app_url, email)
        token = httpx.post(f"{app_url}/auth/token", json={"email": email, "password": PASSWORD}).json()["access_token"]
        posting = {"url": "https://www.indeed.com/viewjob?jk=axe1", "title": "QA Engineer", "company": "Initech", "site": "indeed"}
        httpx.post(f"{app_url}/api/tracker/jobs", json=posting, headers={"Authorization": f"Bearer {token}"}).raise_for_status()
        page.goto(f"{app_url}/tracker")
        expect(card(page, "QA Engineer")).to_be_visible()
        page.wait_for_timeout(300)
        board_problems = accessibility.violations(page, axe_script)
        card(page, "QA Engineer").locator(".card-title").click()
        expect(page.get_by_role("dialog")).to_be_visible()
        page.wait_for_timeout(300)
        dialog_problems = accessibility.violations(page, axe_script)
        page.keyboard.press("Escape")
        page.get_by_role("radio", name="List").click()
        expect(page.locator(".tracker-row")).to_have_count(1)
        list_problems = accessibility.violations(page, axe_script)
        assert (board_problems, dialog_problems, list_problems) == ([], [], [])
    finally:
        context.close()
