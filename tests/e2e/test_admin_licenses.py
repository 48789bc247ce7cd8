"""An operator issues a license on the admin page, a client validates it, the operator revokes it."""

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import ADMIN_EMAIL, sign_in


def validate(app_url: str, key: str) -> dict:
    response = httpx.post(
        f"{app_url}/licenses/validate", json={"license_key": key, "hardware_fp": "e2e-machine-0001", "app_version": "1.0.0"}
    )
    assert response.status_code == 200, response.text
    return response.json()


def test_issue_validate_revoke_from_the_admin_page(page: Page, app_url: str):
    sign_in(page, app_url, ADMIN_EMAIL, "/admin")
    page.locator("input[name=days]").fill("30")
    page.locator("#issue-license").click()
    key = page.locator("#issued-key").inner_text()

    answer = validate(app_url, key)
    assert answer["valid"] is True and answer["license_type"] == "pro" and answer["expires_at"]

    row = page.locator(".license-row", has_text=key[:9])  # the display prefix, e.g. JSW-K7QF2
    row.get_by_role("combobox").click()
    page.get_by_role("option", name="revoke").click()
    expect(row).to_contain_text("revoked")

    refused = validate(app_url, key)
    assert refused["valid"] is False and refused["code"] == "REVOKED"
