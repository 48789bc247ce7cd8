"""Plans, checkout, portal, payment intents and Stripe's webhooks over HTTP, as a browser,
an API client and Stripe see them (Stripe being the fake in tests/fakes)."""

from __future__ import annotations

import asyncio
import random
import time

import httpx
import pytest
import stripe
from sqlmodel import func, select

from jobspy_web.accounts import jwt_tokens, login_sessions
from jobspy_web.accounts.entitlements import tier_for_user
from jobspy_web.api.app import build_api
from jobspy_web.billing import checkout
from jobspy_web.core.tiers import Tier
from jobspy_web.db import read_session, write_session
from jobspy_web.infra import rate_limits
from jobspy_web.infra.cache import get_cache
from jobspy_web.licensing import licenses
from jobspy_web.licensing.licenses import LicenseCode
from jobspy_web.models import License, Payment, StripeEvent, Subscription, User
from jobspy_web.settings import get_settings
from tests.fakes.stripe_server import FakeStripe, app_environment, install_prices

ORIGIN = "http://testserver"


def reset_shared_state() -> None:
    get_settings.cache_clear()
    get_cache.cache_clear()
    rate_limits.reset_limiter()


@pytest.fixture
async def api(db, monkeypatch):
    """The app without Stripe keys (the embedded default)."""
    monkeypatch.setenv("REDIS_URL", "")
    reset_shared_state()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url=ORIGIN) as client:
        yield client
    reset_shared_state()


@pytest.fixture
def fake(api, monkeypatch):
    with FakeStripe() as running:
        install_prices(running)
        for name, value in app_environment(running).items():
            monkeypatch.setenv(name, value)
        reset_shared_state()
        yield running


def make_user(email: str = "ada@example.com") -> User:
    with write_session() as session:
        user = User(email=email)
        session.add(user)
    return user


def cookie_for(user: User) -> dict[str, str]:
    with write_session() as session:
        secret = login_sessions.start_session(session=session, user=session.get(User, user.id))
    return {"Cookie": f"{login_sessions.COOKIE_NAME}={secret}", "Origin": ORIGIN}


def bearer_for(user: User) -> dict[str, str]:
    token = jwt_tokens.issue_access_token(user=user, tier=Tier.FREE).token
    return {"Authorization": f"Bearer {token}"}


def count(model) -> int:
    with read_session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


async def deliver(api, fake: FakeStripe, event: dict, **signing) -> httpx.Response:
    body, headers = fake.signed(event, **signing)
    return await api.post("/webhooks/stripe", content=body, headers=headers)


async def check_out(api, fake: FakeStripe, user: User) -> list[dict]:
    response = await api.post("/billing/checkout", data={"plan_id": "pro_monthly"}, headers=cookie_for(user))
    assert response.status_code == 303, response.text
    return fake.complete_checkout(response.headers["location"].rsplit("/", 1)[-1])


# --- plans ------------------------------------------------------------------------------


async def test_pricing_plans_are_public_and_say_payments_are_off_without_keys(api):
    response = await api.get("/pricing-plans")

    assert response.status_code == 200
    body = response.json()
    assert body["payments_enabled"] is False
    assert [plan["id"] for plan in body["plans"]] == ["free", "pro_monthly", "pro_yearly", "team_monthly", "desktop_lifetime"]
    assert not any(plan["purchasable"] for plan in body["plans"])
    pro = body["plans"][1]
    assert pro["price"] == {"amount_cents": 1200, "currency": "usd"} and pro["interval"] == "month"
    assert "all_sites" in pro["features"] and pro["limits"]["license_machines"] == 3
    assert pro["limits"]["exports_per_day"] == 100 and pro["limits"]["saved_searches"] == 50
    assert "sk_" not in response.text and "whsec" not in response.text


async def test_pricing_plans_follow_the_settings_they_are_rendered_from(api, monkeypatch):
    assert (await api.get("/pricing-plans")).json()["payments_enabled"] is False
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_test_later")
    get_settings.cache_clear()  # as a restart with the key would
    assert (await api.get("/pricing-plans")).json()["payments_enabled"] is True


async def test_pricing_plans_with_stripe_configured_are_for_sale(api, fake):
    body = (await api.get("/pricing-plans")).json()
    assert body["payments_enabled"] is True
    assert {plan["id"]: plan["purchasable"] for plan in body["plans"]} == {
        "free": False,
        "pro_monthly": True,
        "pro_yearly": True,
        "team_monthly": True,
        "desktop_lifetime": True,
    }


# --- paying -------------------------------------------------------------------------


async def test_checkout_form_redirects_to_stripe(api, fake):
    user = make_user()
    response = await api.post("/billing/checkout", data={"plan_id": "pro_monthly", "attempt": "v1"}, headers=cookie_for(user))
    assert response.status_code == 303
    assert response.headers["location"].startswith(f"{fake.url}/checkout/cs_test_")


async def test_checkout_asks_strangers_to_sign_in_and_refuses_other_sites(api, fake):
    response = await api.post("/billing/checkout", data={"plan_id": "pro_monthly"})
    assert (response.status_code, response.headers["location"]) == (303, "/login?next=/pricing")

    headers = {**cookie_for(make_user()), "Origin": "https://evil.example"}
    response = await api.post("/billing/checkout", data={"plan_id": "pro_monthly"}, headers=headers)
    assert (response.status_code, response.headers["location"]) == (303, "/pricing?error=CSRF")
    assert fake.requests == []


async def test_checkout_errors_go_back_to_the_pricing_page_with_a_code(api, fake):
    headers = cookie_for(make_user())
    response = await api.post("/billing/checkout", data={"plan_id": "gold"}, headers=headers)
    assert response.headers["location"] == "/pricing?error=UNKNOWN_PLAN"
    response = await api.post("/billing/checkout", data={"plan_id": "pro_monthly", "attempt": "<script>"}, headers=headers)
    assert response.headers["location"] == "/pricing?error=INVALID_REQUEST"


async def test_api_clients_get_checkout_and_portal_urls_as_json(api, fake):
    user = make_user()
    response = await api.post("/billing/checkout", json={"plan_id": "team_monthly"}, headers=bearer_for(user))
    assert response.status_code == 200 and response.json()["url"].startswith(fake.url)
    response = await api.post("/billing/portal", json={}, headers=bearer_for(user))
    assert response.status_code == 200 and response.json()["url"].startswith(f"{fake.url}/portal/")


async def test_the_portal_form_redirects_or_says_there_is_no_billing_account(api, fake):
    user = make_user()
    response = await api.post("/billing/portal", data={}, headers=cookie_for(user))
    assert response.headers["location"] == "/billing?error=NO_BILLING_ACCOUNT"
    await check_out(api, fake, user)
    response = await api.post("/billing/portal", data={}, headers=cookie_for(user))
    assert response.status_code == 303 and response.headers["location"].startswith(f"{fake.url}/portal/")


async def test_create_payment_intent_returns_a_client_secret_for_the_plans_price(api, fake):
    user = make_user()
    for headers in (cookie_for(user), bearer_for(user)):
        response = await api.post("/create-payment-intent", json={"plan_id": "desktop_lifetime"}, headers=headers)
        assert response.status_code == 200, response.text
        body = response.json()
        assert set(body) == {"client_secret", "payment_intent_id"}
        assert body["client_secret"].startswith(body["payment_intent_id"] + "_secret_")
        assert fake.objects["payment_intent"][body["payment_intent_id"]]["amount"] == 14900
        assert response.headers["cache-control"] == "no-store"


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"plan_id": "desktop_lifetime", "amount": 1}, 422, "INVALID_REQUEST"),  # never an amount from the client
        ({"plan_id": "nope"}, 404, "UNKNOWN_PLAN"),
        ({"plan_id": "pro_monthly"}, 422, "WRONG_PLAN_KIND"),
        ({}, 422, "INVALID_REQUEST"),
    ],
)
async def test_create_payment_intent_refuses_bad_requests(api, fake, body, status, code):
    response = await api.post("/create-payment-intent", json=body, headers=bearer_for(make_user()))
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)


async def test_create_payment_intent_needs_a_sign_in_from_our_site(api, fake):
    response = await api.post("/create-payment-intent", json={"plan_id": "desktop_lifetime"})
    assert (response.status_code, response.json()["error"]["code"]) == (401, "NOT_SIGNED_IN")
    headers = {**cookie_for(make_user()), "Origin": "https://evil.example"}
    response = await api.post("/create-payment-intent", json={"plan_id": "desktop_lifetime"}, headers=headers)
    assert (response.status_code, response.json()["error"]["code"]) == (403, "CSRF")
    response = await api.post("/create-payment-intent", json={"plan_id": "desktop_lifetime"}, headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401


async def test_without_stripe_keys_buying_says_payments_are_not_configured(api):
    response = await api.post("/create-payment-intent", json={"plan_id": "desktop_lifetime"}, headers=bearer_for(make_user()))
    assert (response.status_code, response.json()["error"]["code"]) == (503, "PAYMENTS_NOT_CONFIGURED")


async def test_stripe_down_is_a_502_with_a_code(api, fake):
    fake.fail_next_requests = 100
    response = await api.post("/create-payment-intent", json={"plan_id": "desktop_lifetime"}, headers=bearer_for(make_user()))
    assert (response.status_code, response.json()["error"]["code"]) == (502, "STRIPE_UNAVAILABLE")


# --- webhooks -----------------------------------------------------------------------


async def test_a_signed_event_is_applied_and_answered_200(api, fake):
    user = make_user()
    events = await check_out(api, fake, user)

    answers = [await deliver(api, fake, event) for event in events]

    assert {answer.status_code for answer in answers} == {200}
    assert answers[-1].json() == {"received": True, "outcome": "applied"}
    with read_session() as session:
        assert tier_for_user(session=session, user=session.get(User, user.id)) is Tier.PRO


@pytest.mark.parametrize(
    "tamper",
    [
        lambda body, headers: (body, {**headers, "Stripe-Signature": ""}),
        lambda body, headers: (body, {k: v for k, v in headers.items() if k != "Stripe-Signature"}),
        lambda body, headers: (body.replace(b'"livemode": false', b'"livemode": true'), headers),
        lambda body, headers: (body, {**headers, "Stripe-Signature": "t=1,v1=abc"}),
        lambda body, headers: (body, {**headers, "Stripe-Signature": "garbage"}),
    ],
    ids=["empty", "missing", "altered-body", "wrong-signature", "unparseable-header"],
)
async def test_a_bad_signature_is_400_and_stores_nothing(api, fake, tamper):
    events = await check_out(api, fake, make_user())
    body, headers = tamper(*fake.signed(events[-1]))

    response = await api.post("/webhooks/stripe", content=body, headers=headers)

    assert (response.status_code, response.json()["error"]["code"]) == (400, "BAD_SIGNATURE")
    assert count(StripeEvent) == count(Subscription) == 0


async def test_a_wrong_secret_or_an_old_timestamp_is_refused(api, fake):
    event = (await check_out(api, fake, make_user()))[-1]
    for signing in ({"secret": "whsec_someone_else"}, {"timestamp": int(time.time()) - 301}):
        response = await deliver(api, fake, event, **signing)
        assert (response.status_code, response.json()["error"]["code"]) == (400, "BAD_SIGNATURE")
    assert count(StripeEvent) == 0
    assert (await deliver(api, fake, event, timestamp=int(time.time()) - 290)).status_code == 200


@pytest.mark.parametrize("payload", ["{not json", "[]", "{}", '{"id": "evt_1", "type": "x", "data": []}', '"evt"', "\udcff"])
async def test_signed_nonsense_is_400_never_500(api, fake, payload):
    raw = payload.encode("utf-8", "surrogateescape")  # the last one is not even UTF-8
    header = stripe.WebhookSignature.generate_signature_header(raw.decode("utf-8", "replace"), fake.webhook_secret)
    response = await api.post("/webhooks/stripe", content=raw, headers={"Stripe-Signature": header})
    assert response.status_code == 400
    assert response.json()["error"]["code"] in {"MALFORMED_EVENT", "BAD_SIGNATURE"}


async def test_unknown_event_types_are_acknowledged(api, fake):
    event = fake.event("customer.discount.created", {"id": "di_1", "object": "discount"})
    response = await deliver(api, fake, event)
    assert response.json() == {"received": True, "outcome": "ignored"}
    assert count(StripeEvent) == 0  # nothing to apply, nothing kept


async def test_without_a_webhook_secret_events_wait_for_it(api, fake, monkeypatch):
    monkeypatch.setenv("STRIPE_WEBHOOK_SECRET", "")
    get_settings.cache_clear()
    event = (await check_out(api, fake, make_user()))[-1]
    response = await deliver(api, fake, event)
    assert (response.status_code, response.json()["error"]["code"]) == (503, "WEBHOOKS_NOT_CONFIGURED")


async def test_when_stripe_cant_be_asked_the_event_is_refused_for_a_retry(api, fake):
    event = (await check_out(api, fake, make_user()))[-1]
    fake.fail_next_requests = 100
    response = await deliver(api, fake, event)
    assert (response.status_code, response.json()["error"]["code"]) == (503, "STRIPE_UNAVAILABLE")
    fake.fail_next_requests = 0
    assert (await deliver(api, fake, event)).json()["outcome"] == "applied"


async def test_a_huge_body_is_refused_before_anything_else(api, fake):
    response = await api.post("/webhooks/stripe", content=b"x" * (1024 * 1024 + 1), headers={"Stripe-Signature": "t=1,v1=x"})
    assert response.status_code == 413


# --- exactly once, concurrently (PostgreSQL: real row locks) ------------------------


@pytest.fixture
async def pg_api(pg_db, monkeypatch):
    monkeypatch.setenv("REDIS_URL", "")
    with FakeStripe() as running:
        install_prices(running)
        for name, value in app_environment(running).items():
            monkeypatch.setenv(name, value)
        reset_shared_state()
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url=ORIGIN, timeout=60) as client:
            yield client, running
    reset_shared_state()


async def replay_concurrently(api, fake: FakeStripe, events: list[dict], times: int = 3, seed: int = 1) -> list[httpx.Response]:
    deliveries = events * times
    random.Random(seed).shuffle(deliveries)
    return await asyncio.gather(*(deliver(api, fake, event) for event in deliveries))


async def test_every_webhook_three_times_shuffled_at_once_applies_once(pg_api):
    api, fake = pg_api
    user = make_user()
    events = await check_out(api, fake, user)

    answers = await replay_concurrently(api, fake, events)

    assert {answer.status_code for answer in answers} == {200}, [a.text for a in answers if a.status_code != 200]
    assert (count(Payment), count(License), count(Subscription)) == (1, 1, 1)
    with read_session() as session:
        recorded = session.exec(select(StripeEvent.id)).all()
        assert sorted(recorded) == sorted(e["id"] for e in events if e["type"] != "invoice.created")
        assert tier_for_user(session=session, user=session.get(User, user.id)) is Tier.PRO
        assert session.exec(select(Subscription.status)).one() == "active"
        assert session.exec(select(Payment.status)).one() == "succeeded"
    outcomes = [answer.json()["outcome"] for answer in answers]
    assert outcomes.count("duplicate") >= len(events) * 2 - 3  # the unknown type is never a duplicate


async def test_a_cancellation_among_shuffled_concurrent_replays_wins(pg_api):
    api, fake = pg_api
    user = make_user()
    events = await check_out(api, fake, user)
    for answer in await replay_concurrently(api, fake, events, seed=2):
        assert answer.status_code == 200
    with write_session() as session:
        [revealed] = checkout.reveal_new_keys(session=session, user_id=user.id)
    subscription_id = next(e["data"]["object"]["id"] for e in events if e["type"] == "customer.subscription.created")

    cancelled = fake.cancel_subscription(subscription_id)
    answers = await replay_concurrently(api, fake, [*events, *cancelled], seed=3)

    assert {answer.status_code for answer in answers} == {200}
    with read_session() as session:
        assert session.exec(select(Subscription.status)).one() == "canceled"
        assert tier_for_user(session=session, user=session.get(User, user.id)) is Tier.FREE
    assert (count(Payment), count(License)) == (1, 1)
    with write_session() as session:
        answer = licenses.validate_license(session=session, key=revealed.key, fingerprint="f" * 64, app_version="1.0.0")
    assert answer.as_json() == {"valid": False, "code": LicenseCode.EXPIRED.value, "reason": "This license has expired."}
