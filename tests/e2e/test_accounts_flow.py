"""Sign up, confirm by the mailed link, sign in, mint a token, use it, revoke it; privacy between users."""

import re
import uuid

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN_EMAIL, sign_in, sign_up
from tests.e2e.test_search_page import fill_search


def outbox_link(page: Page, app_url: str, email: str) -> str:
    """The newest link mailed to `email`, read from the admin's outbox page."""
    page.goto(f"{app_url}/admin")
    card = page.locator(".outbox-card", has_text=email).first
    expect(card).to_be_visible()
    # The list hides live link tokens; the admin reveals one mail at a time.
    card.locator(".outbox-reveal").click()
    revealed = card.locator(".outbox-revealed")
    expect(revealed).to_be_visible()
    return re.search(r"https?://\S+", revealed.inner_text()).group(0)


def test_sign_up_verify_token_jwt_revoke(browser, app_url: str):
    email = f"ada-{uuid.uuid4().hex[:8]}@example.com"
    person = browser.new_page()
    sign_up(person, app_url, email)

    admin = browser.new_page()
    sign_in(admin, app_url, ADMIN_EMAIL, "/admin")
    link = outbox_link(admin, app_url, email)
    assert "/auth/verify?token=" in link
    # sign_up confirmed through this link (it is what signs a new person in); it works once.
    person.goto(app_url + link[link.index("/auth/verify") :])
    person.wait_for_url(re.compile(r".*/login/?\?error=USED_LINK"))
    person.goto(app_url)

    # Sign out (the server ends the session), then back in with the password.
    person.locator("#account-menu").click()
    person.locator("#sign-out").click()
    person.wait_for_url(re.compile(r".*/login/?\?notice=signed_out"))
    person.goto(f"{app_url}/account")
    person.wait_for_url(re.compile(r".*/login/?\?next=/account"))
    sign_in(person, app_url, email, "/account")

    person.goto(f"{app_url}/account")
    expect(person.get_by_text("email confirmed")).to_be_visible()
    person.locator("#token-name").fill("laptop")
    person.locator("#create-token").click()
    secret = person.locator("#new-token-secret").inner_text()
    assert secret.startswith("jsw_")

    exchanged = httpx.post(f"{app_url}/auth/token", json={"api_token": secret})
    assert exchanged.status_code == 200, exchanged.text
    jwt = exchanged.json()["access_token"]
    me = httpx.get(f"{app_url}/auth/me", headers={"Authorization": f"Bearer {jwt}"})
    assert me.status_code == 200 and me.json()["email"] == email

    person.locator(".token-row").get_by_role("button", name="Revoke").click()
    expect(person.locator(".token-row")).to_have_count(0)
    refused = httpx.get(f"{app_url}/auth/me", headers={"Authorization": f"Bearer {jwt}"})
    assert refused.status_code == 401
    assert refused.json()["error"]["code"]
    assert httpx.post(f"{app_url}/auth/token", json={"api_token": secret}).status_code == 401


def test_one_user_never_sees_anothers_searches(browser, app_url: str, replay_proxy):
    replay_proxy.scenario.clear()
    first, second = browser.new_page(), browser.new_page()
    sign_up(first, app_url, f"first-{uuid.uuid4().hex[:8]}@example.com")
    fill_search(first, app_url, "secret project")
    first.locator("input[name=results_wanted]").fill("5")
    first.locator("#site-linkedin").click()
    first.locator("#site-zip_recruiter").click()
    first.locator("#site-glassdoor").click()
    first.locator("#search-button").click()
    expect(first.locator("#search-status")).to_have_text("completed")
    first.goto(f"{app_url}/history")
    expect(first.locator(".history-item")).to_have_count(1)

    sign_up(second, app_url, f"second-{uuid.uuid4().hex[:8]}@example.com")
    second.goto(f"{app_url}/history")
    expect(second.get_by_text("No searches yet.")).to_be_visible()
    expect(second.get_by_text("secret project")).to_have_count(0)
