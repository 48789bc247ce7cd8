"""Pick a plan, pay on (fake) Stripe, get Pro and a working key; a failed renewal shows a
notice; cancelling in the portal stops the key. The app runs as in production and talks
to the fake Stripe (tests/fakes) through the official SDK; the fake sends signed webhooks."""

from __future__ import annotations

import re
import time
import uuid

import httpx
from playwright.sync_api import Page, expect

from tests.e2e.conftest import sign_up
from tests.fakes.stripe_server import FakeStripe, shared_fake

FINGERPRINT = "e2e0" * 16


def validate(app_url: str, key: str) -> dict:
    answer = httpx.post(f"{app_url}/licenses/validate", json={"license_key": key, "hardware_fp": FINGERPRINT, "app_version": "1.0.0"})
    assert answer.status_code == 200, answer.text
    return answer.json()


def until(check, timeout_s: float = 30.0):
    deadline = time.monotonic() + timeout_s
    while True:
        result = check()
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.3)


def fake_for(app_url: str) -> FakeStripe:
    fake = shared_fake()
    fake.webhook_url = f"{app_url}/webhooks/stripe"
    return fake


def test_pricing_page_shows_plans_side_by_side_to_anyone(page: Page, app_url: str):
    fake_for(app_url)
    page.goto(f"{app_url}/pricing")
    expect(page.locator(".plan-card")).to_have_count(5)
    expect(page.locator("#plan-pro_monthly")).to_contain_text("$12.00")
    expect(page.locator("#plan-team_monthly")).to_contain_text("1,000 exports a day")
    expect(page.locator("#plan-team_monthly")).not_to_contain_text("priority support")  # not built: not promised
    expect(page.locator("#payments-off")).to_have_count(0)


def test_subscribe_get_a_key_fail_a_renewal_then_cancel(page: Page, app_url: str):
    fake = fake_for(app_url)
    email = f"payer-{uuid.uuid4().hex[:8]}@example.com"
    sign_up(page, app_url, email)

    # Pick Pro; pay on Stripe's page; come back to a page that waits for the webhook.
    page.goto(f"{app_url}/pricing")
    expect(page.locator("#plan-free")).to_contain_text("Current plan")
    page.locator("#upgrade-pro_monthly").click()
    page.wait_for_url(re.compile(re.escape(fake.url) + r"/checkout/cs_test_"))
    page.locator("#pay").click()
    page.wait_for_url(re.compile(re.escape(app_url) + r"/billing/success/?\?session_id=cs_test_"))
    expect(page.locator("#checkout-done")).to_be_visible(timeout=45_000)
    expect(page.locator("#success-tier")).to_have_text("pro")
    key = page.locator(".new-license-key").inner_text().strip()

    answer = validate(app_url, key)
    assert answer["valid"] is True and answer["license_type"] == "pro", answer

    # The Licenses page lists it by prefix only (the key was shown once, above).
    page.goto(f"{app_url}/licenses")
    card = page.locator(".license-card")
    expect(card).to_have_count(1)
    expect(card.locator(".license-type")).to_have_text("pro")
    expect(card.locator(".license-status")).to_have_text("active")
    prefix = card.locator(".license-prefix").inner_text().rstrip("…")
    assert key.startswith(prefix)
    expect(page.locator(".new-license-key")).to_have_count(0)
    expect(card.locator(".machine-row")).to_have_count(1)  # the validate above activated this machine

    page.goto(f"{app_url}/billing")
    expect(page.locator("#billing-plan")).to_have_text("Pro")
    expect(page.locator(".receipt-row")).to_have_count(1)
    expect(page.locator(".receipt-row")).to_contain_text("$12.00")
    expect(page.locator(".receipt-row")).to_contain_text("succeeded")

    # The next renewal is declined: the person is told, and keeps access while Stripe retries.
    customer_id = next(customer["id"] for customer in fake.objects["customer"].values() if customer["email"] == email)
    subscription_id = next(s["id"] for s in fake.objects["subscription"].values() if s["customer"] == customer_id)
    fake.send(fake.fail_renewal(subscription_id))
    page.reload()
    expect(page.locator("#payment-failed")).to_be_visible()
    assert validate(app_url, key)["valid"] is True

    # Cancel in the Customer Portal: back on Billing, the key stops working.
    page.locator("#manage-subscription").click()
    page.wait_for_url(re.compile(re.escape(fake.url) + r"/portal/bps_"))
    page.locator("#cancel-plan").click()
    page.wait_for_url(re.compile(re.escape(app_url) + r"/billing/?$"))
    refused = until(lambda: (answer := validate(app_url, key))["valid"] is False and answer)
    assert refused and refused["code"] == "EXPIRED", refused
    page.reload()
    expect(page.locator("#billing-plan")).to_have_text("Free")


# Stripe.js comes from Stripe's servers; here a stand-in keeps its two calls' contract:
# elements({clientSecret}) mounts a card form, confirmPayment() sends the person to
# return_url with ?payment_intent=<id>, as Stripe does once the card is accepted.
STRIPE_JS_STAND_IN = """
window.Stripe = function (publishableKey) {
  let clientSecret = null;
  return {
    elements(options) {
      clientSecret = options.clientSecret;
      return {create: () => ({mount: (selector) => { document.querySelector(selector).textContent = "card form for " + publishableKey; }})};
    },
    async confirmPayment({confirmParams}) {
      const intent = clientSecret.split("_secret_")[0];
      window.location.href = confirmParams.return_url + "?payment_intent=" + intent + "&redirect_status=succeeded";
      return {};
    },
  };
};
"""


def test_buy_a_lifetime_license_with_stripe_js(page: Page, app_url: str):
    fake = fake_for(app_url)
    page.route("https://js.stripe.com/v3/", lambda route: route.fulfill(body=STRIPE_JS_STAND_IN, content_type="application/javascript"))
    sign_up(page, app_url, f"lifetime-{uuid.uuid4().hex[:8]}@example.com")

    page.goto(f"{app_url}/pricing")
    page.locator("#buy-desktop_lifetime").click()
    expect(page.locator("#pay-button")).to_have_text("Continue to payment")
    page.locator("#pay-button").click()
    expect(page.locator("#payment-element")).to_contain_text("card form for pk_test_")
    page.locator("#pay-button").click()
    page.wait_for_url(re.compile(re.escape(app_url) + r"/billing/success/?\?payment_intent=pi_"))
    expect(page.locator("#checkout-waiting")).to_be_visible()

    intent_id = re.search(r"payment_intent=(pi_\w+)", page.url).group(1)
    assert fake.objects["payment_intent"][intent_id]["amount"] == 14900
    fake.send(fake.succeed_payment_intent(intent_id))  # the card went through: Stripe tells us

    expect(page.locator("#checkout-done")).to_be_visible()
    key = page.locator(".new-license-key").inner_text().strip()
    answer = validate(app_url, key)
    assert answer["valid"] is True and answer["license_type"] == "pro" and answer["expires_at"] is None
    page.goto(f"{app_url}/billing")
    expect(page.locator(".receipt-row")).to_contain_text("Desktop lifetime")
