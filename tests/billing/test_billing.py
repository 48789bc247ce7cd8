"""Buying: plans from settings, Checkout, the portal, one-off PaymentIntents with
idempotency keys, tiers from what was paid, keys revealed once. Through the real SDK
against the fake Stripe."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlmodel import select

from jobspy_web.accounts.entitlements import tier_for_user
from jobspy_web.billing import checkout
from jobspy_web.billing.checkout import BillingError, BillingErrorCode
from jobspy_web.billing.plans import all_plans, find_plan, plan_for_price
from jobspy_web.core.tiers import Tier, rules_for
from jobspy_web.db import read_session, write_session
from jobspy_web.licensing import licenses
from jobspy_web.models import License, Role, Subscription, User
from jobspy_web.models.base import utcnow
from jobspy_web.settings import SettingsError, load_settings, reset_process_state
from tests.fakes.stripe_server import TEST_PLANS


def make_user(email: str = "ada@example.com", role: Role = Role.FREE) -> User:
    with write_session() as session:
        user = User(email=email, role=role, full_name="Ada Lovelace")
        session.add(user)
    return user


def as_user(user: User, verb, **arguments):
    with write_session() as session:
        return verb(session=session, user=session.get(User, user.id), **arguments)


def stored_customer(user: User) -> str | None:
    with read_session() as session:
        return session.get(User, user.id).stripe_customer_id


# --- plans --------------------------------------------------------------------------


def test_default_plans_cover_free_pro_team_and_a_lifetime_license_none_for_sale_yet(data_dir):
    plans = {plan.id: plan for plan in all_plans()}
    assert set(plans) == {"free", "pro_monthly", "pro_yearly", "team_monthly", "desktop_lifetime"}
    assert {plans["pro_monthly"].interval, plans["pro_yearly"].interval} == {"month", "year"}
    assert plans["desktop_lifetime"].kind == "one_time" and plans["desktop_lifetime"].license_days is None
    assert not any(plan.stripe_price_id for plan in plans.values())
    assert not any(plan.for_sale for plan in plans.values() if plan.kind == "subscription")


def test_a_plan_unlocks_exactly_what_its_tier_rules_say(data_dir):
    shown = find_plan("team_monthly").as_json()
    assert shown["features"] == rules_for(Tier.TEAM).published_features()
    assert shown["limits"]["results_per_search"] == rules_for(Tier.TEAM).results_per_search
    assert shown["price"] == {"amount_cents": 4900, "currency": "usd"}
    assert "stripe_price_id" not in shown


def test_a_plan_publishes_only_limits_something_enforces(data_dir):
    # Saved searches (issue 13), API calls and premium views (issue 14) join the page with
    # the change that enforces them; features still to be built aren't promised either.
    team, free = find_plan("team_monthly").as_json(), find_plan("free").as_json()
    premium = {"premium_views", "api_calls_per_minute", "api_calls_per_day"}  # enforced by api.premium
    saved = {"saved_searches"}  # enforced by saved_searches.store
    assert set(team["limits"]) == {"sites", "results_per_search", "exports_per_day", "license_machines", *premium, *saved}
    assert set(free["limits"]) == {"sites", "results_per_search", "exports_per_day", *premium, *saved}  # no license key comes with it
    assert team["features"] == ["search", "all_sites", "scheduled_searches", "salary_insights"] and free["features"] == ["search"]
    assert find_plan("free").promises() == [
        "Indeed, LinkedIn, ZipRecruiter, Glassdoor",
        "Up to 50 results per site",
        "5 exports a day (CSV, Excel, JSON)",
        "3 saved searches",
    ]
    assert find_plan("pro_monthly").promises() == [
        "All 8 job sites",
        "Up to 500 results per site",
        "100 exports a day (CSV, Excel, JSON)",
        "50 saved searches, run on a schedule with alerts",
        "Desktop app on 3 machines",
        "Salary insights: 60 API calls a minute, 5,000 a day",
    ]


def test_plans_come_from_billing_plans_and_prices_find_their_plan(monkeypatch):
    monkeypatch.setenv("BILLING_PLANS", json.dumps(TEST_PLANS))
    reset_process_state()
    assert plan_for_price("price_test_team_monthly").id == "team_monthly"
    assert plan_for_price("price_unknown") is None and plan_for_price(None) is None


@pytest.mark.parametrize(
    "plans",
    [
        "not json",
        "[]",
        json.dumps([{"id": "x", "name": "X", "tier": "pro", "kind": "subscription", "price_cents": 5}]),  # no interval
        json.dumps([{"id": "x", "name": "X", "tier": "admin", "kind": "one_time", "price_cents": 5}]),  # admin is not for sale
        json.dumps([{"id": "x", "name": "X", "tier": "pro", "kind": "one_time", "price_cents": 0}]),  # free paid plan
        json.dumps([{"id": "x", "name": "X", "tier": "free", "kind": "free"}, {"id": "x", "name": "Y", "tier": "free", "kind": "free"}]),
        json.dumps([{"id": "x", "name": "X", "tier": "pro", "kind": "one_time", "price_cents": 5, "amount": 1}]),  # unknown field
    ],
)
def test_invalid_billing_plans_stop_the_app_naming_the_variable(monkeypatch, plans):
    monkeypatch.setenv("BILLING_PLANS", plans)
    with pytest.raises(SettingsError, match="BILLING_PLANS"):
        load_settings()


def test_stripe_secrets_are_checked_without_being_repeated(monkeypatch):
    monkeypatch.setenv("STRIPE_SECRET_KEY", "pk_live_oops_a_publishable_key")
    with pytest.raises(SettingsError) as caught:
        load_settings()
    assert "STRIPE_SECRET_KEY" in str(caught.value) and "oops" not in str(caught.value)


def test_production_refuses_payments_without_a_webhook_secret(monkeypatch):
    monkeypatch.setenv("ENVIRONMENT", "production")
    monkeypatch.setenv("STRIPE_SECRET_KEY", "sk_" + "live_123")  # built, so no live-key pattern sits in the repo
    with pytest.raises(SettingsError, match="STRIPE_WEBHOOK_SECRET"):
        load_settings()


# --- checkout, portal, payment intents ------------------------------------------------


def test_checkout_makes_one_customer_and_a_session_that_names_the_user_and_plan(fake):
    user = make_user()

    url = as_user(user, checkout.start_checkout, plan_id="pro_monthly", attempt="visit-1")

    session_id = url.rsplit("/", 1)[-1]
    created = fake.objects["checkout_session"][session_id]
    assert url.startswith(fake.url + "/checkout/")
    assert created["customer"] == stored_customer(user)
    assert created["client_reference_id"] == str(user.id)
    assert created["_line_items"] == [{"price": "price_test_pro_monthly", "quantity": "1"}]
    assert created["_subscription_data"]["metadata"] == {"user_id": str(user.id), "plan_id": "pro_monthly"}
    assert created["success_url"].endswith("/billing/success?session_id={CHECKOUT_SESSION_ID}")
    assert fake.objects["customer"][created["customer"]]["metadata"] == {"user_id": str(user.id)}


def test_every_stripe_create_call_carries_an_idempotency_key(fake):
    user = make_user()
    as_user(user, checkout.start_checkout, plan_id="pro_monthly")
    as_user(user, checkout.create_payment_intent, plan_id="desktop_lifetime")
    as_user(user, checkout.open_portal)

    posts = [request for request in fake.requests if request["method"] == "POST"]
    assert [request["path"] for request in posts] == [
        "/v1/customers",
        "/v1/checkout/sessions",
        "/v1/payment_intents",
        "/v1/billing_portal/sessions",
    ]
    assert all(request["idempotency_key"] for request in posts)


def test_a_double_click_gets_the_same_checkout_page(fake):
    user = make_user()
    first = as_user(user, checkout.start_checkout, plan_id="pro_monthly", attempt="visit-1")
    second = as_user(user, checkout.start_checkout, plan_id="pro_monthly", attempt="visit-1")
    third = as_user(user, checkout.start_checkout, plan_id="pro_monthly", attempt="visit-2")

    assert first == second != third
    assert len(fake.objects["customer"]) == 1 and len(fake.objects["checkout_session"]) == 2


def test_a_stripe_hiccup_is_retried_with_the_same_key_and_makes_one_session(fake):
    user = make_user()
    fake.fail_next_requests = 1

    as_user(user, checkout.start_checkout, plan_id="pro_monthly")

    assert len(fake.objects["checkout_session"]) == 1 and len(fake.objects["customer"]) == 1
    keys = [request["idempotency_key"] for request in fake.requests if request["path"] == "/v1/customers"]
    assert len(keys) == 2 and len(set(keys)) == 1


@pytest.mark.parametrize(
    ("plan_id", "code"),
    [
        ("platinum", BillingErrorCode.UNKNOWN_PLAN),
        ("desktop_lifetime", BillingErrorCode.WRONG_KIND),
        ("free", BillingErrorCode.WRONG_KIND),
    ],
)
def test_checkout_refuses_what_it_cant_sell(fake, plan_id, code):
    with pytest.raises(BillingError) as caught:
        as_user(make_user(), checkout.start_checkout, plan_id=plan_id)
    assert caught.value.code is code
    assert fake.requests == []


def test_a_plan_without_its_stripe_price_is_not_for_sale(fake, monkeypatch):
    plans = [{**plan, "stripe_price_id": ""} if plan["id"] == "pro_monthly" else plan for plan in TEST_PLANS]
    monkeypatch.setenv("BILLING_PLANS", json.dumps(plans))
    reset_process_state()
    with pytest.raises(BillingError) as caught:
        as_user(make_user(), checkout.start_checkout, plan_id="pro_monthly")
    assert caught.value.code is BillingErrorCode.NOT_FOR_SALE


def test_without_stripe_keys_nothing_can_be_bought_and_nothing_crashes(db, monkeypatch):
    monkeypatch.setenv("BILLING_PLANS", json.dumps(TEST_PLANS))
    reset_process_state()
    user = make_user()
    for verb, arguments in [
        (checkout.start_checkout, {"plan_id": "pro_monthly"}),
        (checkout.create_payment_intent, {"plan_id": "desktop_lifetime"}),
    ]:
        with pytest.raises(BillingError) as caught:
            as_user(user, verb, **arguments)
        assert caught.value.code is BillingErrorCode.NOT_CONFIGURED


def test_stripe_down_is_a_billing_error_not_a_crash(fake):
    fake.fail_next_requests = 100
    with pytest.raises(BillingError) as caught:
        as_user(make_user(), checkout.start_checkout, plan_id="pro_monthly")
    assert caught.value.code is BillingErrorCode.STRIPE_UNAVAILABLE


def test_someone_already_subscribed_is_sent_to_change_plan_instead(fake):
    user = make_user()
    with write_session() as session:
        session.add(Subscription(user_id=user.id, stripe_subscription_id="sub_1", plan_id="pro_monthly", status="active"))
    with pytest.raises(BillingError) as caught:
        as_user(user, checkout.start_checkout, plan_id="team_monthly")
    assert caught.value.code is BillingErrorCode.ALREADY_SUBSCRIBED


def test_a_payment_intent_charges_the_plans_price_never_the_clients(fake):
    user = make_user()

    created = as_user(user, checkout.create_payment_intent, plan_id="desktop_lifetime", attempt="a1")

    intent = fake.objects["payment_intent"][created.payment_intent_id]
    assert (intent["amount"], intent["currency"]) == (14900, "usd")
    assert intent["metadata"] == {"user_id": str(user.id), "plan_id": "desktop_lifetime"}
    assert intent["customer"] == stored_customer(user)
    assert created.client_secret == intent["client_secret"]
    with pytest.raises(BillingError) as caught:
        as_user(user, checkout.create_payment_intent, plan_id="pro_monthly")
    assert caught.value.code is BillingErrorCode.WRONG_KIND


def test_the_portal_needs_a_billing_account_and_returns_to_billing(fake):
    user = make_user()
    with pytest.raises(BillingError) as caught:
        as_user(user, checkout.open_portal)
    assert caught.value.code is BillingErrorCode.NO_CUSTOMER

    as_user(user, checkout.start_checkout, plan_id="pro_monthly")
    url = as_user(user, checkout.open_portal)

    [portal] = fake.objects["portal_session"].values()
    assert url == portal["url"] and portal["return_url"].endswith("/billing")


# --- tiers and keys -------------------------------------------------------------------


def tier_of(user: User) -> Tier:
    with read_session() as session:
        return tier_for_user(session=session, user=session.get(User, user.id))


def test_the_tier_is_the_highest_of_role_subscription_and_license(fake):
    user = make_user()
    assert tier_of(user) is Tier.FREE
    with write_session() as session:
        licenses.issue_license(session=session, license_type="pro", user_id=user.id, days=30)
    assert tier_of(user) is Tier.PRO
    with write_session() as session:
        session.add(Subscription(user_id=user.id, stripe_subscription_id="sub_1", plan_id="team_monthly", status="past_due"))
    assert tier_of(user) is Tier.TEAM


def test_ended_subscriptions_and_expired_licenses_raise_nothing(fake):
    user = make_user()
    with write_session() as session:
        licenses.issue_license(session=session, license_type="team", user_id=user.id, expires_at=utcnow() - timedelta(seconds=1))
        session.add(Subscription(user_id=user.id, stripe_subscription_id="sub_1", plan_id="team_monthly", status="canceled"))
        session.add(Subscription(user_id=user.id, stripe_subscription_id="sub_2", plan_id="pro_monthly", status="incomplete"))
    assert tier_of(user) is Tier.FREE
    assert tier_of(make_user("boss@example.com", Role.ADMIN)) is Tier.ADMIN


def test_a_key_issued_by_a_webhook_is_stored_encrypted_and_revealed_once(fake):
    user = make_user()
    with write_session() as session:
        issued = licenses.issue_license(session=session, license_type="pro", user_id=user.id, external_ref="stripe:sub_1")
        checkout.seal_key(issued.license, issued.key)
        session.add(issued.license)
    with read_session() as session:
        stored = session.exec(select(License)).one()
    assert stored.sealed_key is not None and issued.key not in stored.sealed_key
    assert issued.key not in json.dumps(stored.extra_metadata)

    with write_session() as session:
        revealed = checkout.reveal_new_keys(session=session, user_id=user.id)
    with write_session() as session:
        again = checkout.reveal_new_keys(session=session, user_id=user.id)

    assert [key.key for key in revealed] == [issued.key] and again == []
    with read_session() as session:
        assert session.exec(select(License)).one().sealed_key is None


def test_a_sealed_key_is_only_for_its_owner_and_expires_unseen(fake, monkeypatch):
    owner, other = make_user(), make_user("grace@example.com")
    with write_session() as session:
        issued = licenses.issue_license(session=session, license_type="pro", user_id=owner.id)
        checkout.seal_key(issued.license, issued.key)
        session.add(issued.license)
    with write_session() as session:
        assert checkout.reveal_new_keys(session=session, user_id=other.id) == []

    monkeypatch.setattr(checkout, "SEALED_KEY_TTL_S", -1)
    with write_session() as session:
        assert checkout.reveal_new_keys(session=session, user_id=owner.id) == []
    with read_session() as session:
        assert session.exec(select(License)).one().sealed_key is None
