"""Stripe events applied exactly once, Stripe's current state winning: through the real SDK
against the fake Stripe (tests/fakes/stripe_server.py), on SQLite and PostgreSQL."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest
import stripe
from sqlmodel import func, select

from jobspy_web.accounts.entitlements import tier_for_user
from jobspy_web.billing import checkout, webhooks
from jobspy_web.billing.webhooks import WebhookOutcome
from jobspy_web.core.tiers import Tier
from jobspy_web.db import read_session, write_session
from jobspy_web.licensing import licenses
from jobspy_web.licensing.licenses import LicenseCode
from jobspy_web.models import AuditEvent, License, LicenseStatus, Payment, Role, StripeEvent, Subscription, User
from jobspy_web.models.base import utcnow
from tests.fakes.stripe_server import FakeStripe

FINGERPRINT = "f" * 64


def make_user(email: str = "ada@example.com", role: Role = Role.FREE) -> User:
    with write_session() as session:
        user = User(email=email, role=role)
        session.add(user)
    return user


def check_out(fake: FakeStripe, user: User, plan_id: str = "pro_monthly") -> list[dict]:
    """The person picks a plan and pays on Stripe's page; the events Stripe then sends."""
    with write_session() as session:
        url = checkout.start_checkout(session=session, user=session.get(User, user.id), plan_id=plan_id)
    return fake.complete_checkout(url.rsplit("/", 1)[-1])


def apply(events: list[dict]) -> list[str]:
    return [webhooks.handle_event(event) for event in events]


def tier_of(user: User) -> Tier:
    with read_session() as session:
        return tier_for_user(session=session, user=session.get(User, user.id))


def rows(model) -> list:
    with read_session() as session:
        return list(session.exec(select(model)))


def count(model) -> int:
    with read_session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def revealed_key(user: User) -> str:
    with write_session() as session:
        [revealed] = checkout.reveal_new_keys(session=session, user_id=user.id)
    return revealed.key


def validate(key: str) -> licenses.Validation:
    with write_session() as session:
        return licenses.validate_license(session=session, key=key, fingerprint=FINGERPRINT, app_version="1.0.0")


def subscription_id(events: list[dict]) -> str:
    return next(e["data"]["object"]["id"] for e in events if e["type"] == "customer.subscription.created")


def test_a_completed_checkout_makes_the_user_pro_with_a_working_license_and_a_receipt(fake):
    user = make_user()
    events = check_out(fake, user)

    outcomes = apply(events)

    assert outcomes.count(WebhookOutcome.IGNORED) >= 1  # invoice.created, and the invoice's own PaymentIntent
    assert tier_of(user) is Tier.PRO
    [subscription] = rows(Subscription)
    stripe_subscription = fake.objects["subscription"][subscription.stripe_subscription_id]
    item = stripe_subscription["items"]["data"][0]
    assert (subscription.status, subscription.plan_id, subscription.user_id) == ("active", "pro_monthly", user.id)
    assert subscription.current_period_end.timestamp() == item["current_period_end"]
    assert subscription.current_period_start.timestamp() == item["current_period_start"]
    [payment] = rows(Payment)
    assert (payment.amount_cents, payment.currency, payment.status) == (1200, "usd", "succeeded")
    assert payment.invoice_url == fake.objects["invoice"][payment.stripe_invoice_id]["hosted_invoice_url"]
    assert payment.subscription_id == subscription.id
    [license] = rows(License)
    assert (license.license_type, license.user_id, license.max_machines) == ("pro", user.id, 3)
    assert license.expires_at == subscription.current_period_end + webhooks.LICENSE_GRACE
    with read_session() as session:
        assert session.get(User, user.id).stripe_customer_id == stripe_subscription["customer"]
    key = revealed_key(user)
    assert validate(key).valid and validate(key).license_type == "pro"


def test_a_redelivered_event_changes_nothing(fake):
    user = make_user()
    events = check_out(fake, user)
    apply(events)
    before = (count(Payment), count(License), count(Subscription), count(AuditEvent), count(StripeEvent))

    assert set(apply(events)) <= {WebhookOutcome.DUPLICATE, WebhookOutcome.IGNORED}

    assert (count(Payment), count(License), count(Subscription), count(AuditEvent), count(StripeEvent)) == before


def test_events_in_any_order_end_in_the_same_state(fake):
    user = make_user()
    events = check_out(fake, user)

    apply(list(reversed(events)))

    assert tier_of(user) is Tier.PRO
    assert [s.status for s in rows(Subscription)] == ["active"]
    assert [p.status for p in rows(Payment)] == ["succeeded"]
    assert validate(revealed_key(user)).valid


def test_a_deleted_subscription_expires_its_license_and_a_late_update_cant_revive_it(fake):
    user = make_user()
    events = check_out(fake, user)
    apply(events)
    key = revealed_key(user)
    assert validate(key).valid

    apply(fake.cancel_subscription(subscription_id(events)))

    assert validate(key).code is LicenseCode.EXPIRED
    assert tier_of(user) is Tier.FREE
    assert [s.status for s in rows(Subscription)] == ["canceled"]
    # An update sent before the cancellation but delivered after it: Stripe says canceled.
    late = fake.event("customer.subscription.updated", {**fake.objects["subscription"][subscription_id(events)], "status": "active"})
    assert webhooks.handle_event(late) == WebhookOutcome.APPLIED
    assert [s.status for s in rows(Subscription)] == ["canceled"]
    assert validate(key).code is LicenseCode.EXPIRED


def test_a_snapshot_older_than_the_one_held_is_not_written(fake, monkeypatch):
    user = make_user()
    events = check_out(fake, user)
    apply(events)
    sub_id = subscription_id(events)
    old_truth = webhooks._fetch_for_subscription({"id": sub_id})  # fetched while still active
    apply(fake.cancel_subscription(sub_id))

    # A slow delivery that fetched before the cancellation commits after it.
    monkeypatch.setitem(webhooks._FETCHERS, "customer.subscription.updated", lambda _subject: old_truth)
    outcome = webhooks.handle_event(fake.event("customer.subscription.updated", fake.objects["subscription"][sub_id]))

    assert outcome == WebhookOutcome.STALE
    assert [s.status for s in rows(Subscription)] == ["canceled"]
    assert tier_of(user) is Tier.FREE


def test_a_failed_renewal_shows_a_notice_keeps_access_while_stripe_retries_then_clears(fake):
    user = make_user()
    events = check_out(fake, user)
    apply(events)
    sub_id = subscription_id(events)

    apply(fake.fail_renewal(sub_id))

    with read_session() as session:
        overview = checkout.billing_overview(session=session, user_id=user.id)
    assert overview.payment_failed and overview.status == "past_due"
    assert tier_of(user) is Tier.PRO
    assert sorted(p.status for p in rows(Payment)) == ["failed", "succeeded"]

    apply(fake.renew(sub_id))

    with read_session() as session:
        overview = checkout.billing_overview(session=session, user_id=user.id)
        receipts = checkout.receipts(session=session, user_id=user.id)
    assert not overview.payment_failed and overview.status == "active"
    assert [r.status for r in receipts].count("succeeded") == 2
    [license] = rows(License)
    assert license.expires_at == rows(Subscription)[0].current_period_end + webhooks.LICENSE_GRACE


def test_an_unpaid_subscription_suspends_the_license_and_paying_reinstates_it(fake):
    user = make_user()
    events = check_out(fake, user)
    apply(events)
    key = revealed_key(user)
    sub_id = subscription_id(events)

    apply(fake.set_status(sub_id, "unpaid"))
    assert validate(key).code is LicenseCode.SUSPENDED
    assert tier_of(user) is Tier.FREE

    apply(fake.set_status(sub_id, "active"))
    assert validate(key).valid


def test_a_plan_change_in_the_portal_changes_the_tier_and_the_license_type(fake):
    user = make_user()
    events = check_out(fake, user)
    apply(events)

    apply(fake.change_price(subscription_id(events), "price_test_team_monthly"))

    assert tier_of(user) is Tier.TEAM
    [license] = rows(License)
    assert (license.license_type, license.max_machines) == ("team", 10)
    assert [s.plan_id for s in rows(Subscription)] == ["team_monthly"]


def test_a_one_off_purchase_issues_one_perpetual_license_and_one_receipt(fake):
    user = make_user()
    with write_session() as session:
        intent = checkout.create_payment_intent(session=session, user=session.get(User, user.id), plan_id="desktop_lifetime")
    events = fake.succeed_payment_intent(intent.payment_intent_id)

    apply(events * 3)

    [payment] = rows(Payment)
    assert (payment.stripe_payment_intent_id, payment.amount_cents, payment.status) == (intent.payment_intent_id, 14900, "succeeded")
    assert payment.invoice_url.startswith(fake.url + "/receipts/")
    [license] = rows(License)
    assert (license.license_type, license.expires_at, license.external_ref) == ("pro", None, f"stripe:{intent.payment_intent_id}")
    assert tier_of(user) is Tier.PRO
    with read_session() as session:
        assert checkout.checkout_outcome(session=session, user_id=user.id, payment_intent_id=intent.payment_intent_id).value == "completed"


def test_a_declined_one_off_payment_is_a_failed_receipt_and_no_license_until_it_succeeds(fake):
    user = make_user()
    with write_session() as session:
        intent = checkout.create_payment_intent(session=session, user=session.get(User, user.id), plan_id="desktop_lifetime")

    apply(fake.fail_payment_intent(intent.payment_intent_id))

    assert [p.status for p in rows(Payment)] == ["failed"] and rows(License) == []
    with read_session() as session:
        assert checkout.billing_overview(session=session, user_id=user.id).payment_failed

    apply(fake.succeed_payment_intent(intent.payment_intent_id))
    assert [p.status for p in rows(Payment)] == ["succeeded"] and len(rows(License)) == 1


def test_a_late_failure_never_undoes_a_success(fake, monkeypatch):
    user = make_user()
    with write_session() as session:
        intent = checkout.create_payment_intent(session=session, user=session.get(User, user.id), plan_id="desktop_lifetime")
    failed = fake.fail_payment_intent(intent.payment_intent_id)
    stale = webhooks._fetch_for_payment_intent({"id": intent.payment_intent_id})
    apply(fake.succeed_payment_intent(intent.payment_intent_id))

    monkeypatch.setitem(webhooks._FETCHERS, "payment_intent.payment_failed", lambda _subject: stale)
    assert apply(failed) == [WebhookOutcome.STALE]
    assert [p.status for p in rows(Payment)] == ["succeeded"]


def test_unknown_event_types_are_answered_and_not_stored(fake):
    event = fake.event("customer.tax_id.created", {"id": "txi_123", "object": "tax_id", "created": 1})
    assert webhooks.handle_event(event) == WebhookOutcome.IGNORED
    assert count(StripeEvent) == 0


def test_events_about_someone_we_dont_know_are_recorded_and_ignored(fake):
    user = make_user()
    events = check_out(fake, user)
    with write_session() as session:
        session.delete(session.get(User, user.id))

    assert set(apply(events)) == {WebhookOutcome.IGNORED}
    assert count(Subscription) == count(Payment) == count(License) == 0
    assert count(StripeEvent) == len(events) - 1  # all but the unknown type (invoice.created)


def test_stripe_unreachable_stores_nothing_and_the_retry_completes_it(fake):
    user = make_user()
    events = check_out(fake, user)
    fake.fail_next_requests = 100

    with pytest.raises(stripe.APIError):
        webhooks.handle_event(events[-1])
    assert count(StripeEvent) == count(Subscription) == 0

    fake.fail_next_requests = 0
    assert webhooks.handle_event(events[-1]) == WebhookOutcome.APPLIED
    assert tier_of(user) is Tier.PRO


def test_a_crash_before_the_commit_loses_nothing(fake, monkeypatch):
    user = make_user()
    events = check_out(fake, user)
    real_issue = licenses.issue_license

    def crash(**_arguments):
        raise RuntimeError("power cut")

    monkeypatch.setattr(licenses, "issue_license", crash)
    with pytest.raises(RuntimeError):
        webhooks.handle_event(events[-1])
    assert count(StripeEvent) == count(Subscription) == count(License) == 0

    monkeypatch.setattr(licenses, "issue_license", real_issue)
    assert webhooks.handle_event(events[-1]) == WebhookOutcome.APPLIED  # Stripe's retry
    assert count(License) == 1 and tier_of(user) is Tier.PRO


def test_a_revoked_license_stays_revoked_whatever_billing_says(fake):
    user = make_user()
    events = check_out(fake, user)
    apply(events)
    [license] = rows(License)
    with write_session() as session:
        licenses.revoke_license(session=session, license_id=license.id, reason="fraud")

    apply(fake.renew(subscription_id(events)))

    assert [lic.status for lic in rows(License)] == [LicenseStatus.REVOKED]


def test_an_admin_who_subscribes_stays_admin(fake):
    admin = make_user(role=Role.ADMIN)
    apply(check_out(fake, admin))
    assert tier_of(admin) is Tier.ADMIN


def test_the_success_page_waits_for_the_checkout_webhook(fake):
    user = make_user()
    events = check_out(fake, user)
    checkout_id = events[-1]["data"]["object"]["id"]
    with read_session() as session:
        assert checkout.checkout_outcome(session=session, user_id=user.id, checkout_session_id=checkout_id).value == "pending"

    apply(events)

    with read_session() as session:
        assert checkout.checkout_outcome(session=session, user_id=user.id, checkout_session_id=checkout_id).value == "completed"
        other = make_user("grace@example.com")
        assert checkout.checkout_outcome(session=session, user_id=other.id, checkout_session_id=checkout_id).value == "pending"


def test_license_expiry_follows_renewals_never_earlier(fake):
    user = make_user()
    events = check_out(fake, user)
    apply(events)
    first_expiry = rows(License)[0].expires_at

    apply(fake.renew(subscription_id(events)))

    assert rows(License)[0].expires_at - first_expiry == timedelta(days=30)
    assert rows(License)[0].expires_at > utcnow() + timedelta(days=59)


def test_shuffled_replays_one_at_a_time_end_in_one_state(fake):
    user = make_user()
    events = check_out(fake, user)
    replay = events * 3
    random.Random(7).shuffle(replay)

    apply(replay)

    assert (count(Subscription), count(Payment), count(License)) == (1, 1, 1)
    assert tier_of(user) is Tier.PRO


def test_deleting_an_account_cancels_its_subscription_at_stripe_first(fake):
    from jobspy_web.accounts import erasure, users

    user = make_user()
    events = check_out(fake, user)
    apply(events)
    sub_id = subscription_id(events)
    fake.fail_next_requests = 10  # Stripe down: the account must not be deleted
    with pytest.raises(users.AccountError) as caught, write_session() as session:
        erasure.delete_account(session=session, user=session.get(User, user.id))
    assert caught.value.code == users.AccountErrorCode.BILLING_UNAVAILABLE
    assert count(User) == 1
    fake.fail_next_requests = 0
    with write_session() as session:
        erasure.delete_account(session=session, user=session.get(User, user.id))
    assert count(User) == 0
    assert fake.objects["subscription"][sub_id]["status"] == "canceled"
    assert any(r["method"] == "DELETE" and r["path"].endswith(sub_id) for r in fake.requests)
