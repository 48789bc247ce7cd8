"""Signed but oddly shaped Stripe events are ignored, never a 500 or a 503 Stripe retries
for days; everything the fake Stripe sends (shaped like Stripe's API) still fits."""

from __future__ import annotations

import copy
import logging
from collections.abc import Callable
from typing import Any

import pytest
from sqlmodel import func, select

from jobspy_web.billing import checkout, webhooks
from jobspy_web.billing.webhooks import WebhookOutcome, shape_problem
from jobspy_web.db import read_session, write_session
from jobspy_web.models import StripeEvent, User
from tests.fakes.stripe_server import FakeStripe


def make_user() -> User:
    with write_session() as session:
        user = User(email="ada@example.com")
        session.add(user)
    return user


def count(model) -> int:
    with read_session() as session:
        return session.exec(select(func.count()).select_from(model)).one()


def stripe_history(fake: FakeStripe) -> list[dict[str, Any]]:
    """A subscription bought, renewed, failed, changed and cancelled; a one-off bought."""
    user = make_user()
    with write_session() as session:
        url = checkout.start_checkout(session=session, user=session.get(User, user.id), plan_id="pro_monthly")
    events = fake.complete_checkout(url.rsplit("/", 1)[-1])
    subscription_id = next(e["data"]["object"]["id"] for e in events if e["type"] == "customer.subscription.created")
    events += fake.renew(subscription_id) + fake.fail_renewal(subscription_id)
    events += fake.change_price(subscription_id, "price_test_team_monthly") + fake.cancel_subscription(subscription_id)
    with write_session() as session:
        intent = checkout.create_payment_intent(session=session, user=session.get(User, user.id), plan_id="desktop_lifetime")
    return events + fake.fail_payment_intent(intent.payment_intent_id) + fake.succeed_payment_intent(intent.payment_intent_id)


def test_every_event_stripe_sends_has_the_shape_read(fake):
    events = stripe_history(fake)
    assert {event["type"].split(".")[0] for event in events} >= {"checkout", "customer", "invoice", "payment_intent"}
    assert [(event["type"], shape_problem(event)) for event in events] == [(event["type"], None) for event in events]


def test_odd_text_in_fields_not_read_changes_nothing(fake):
    events = stripe_history(fake)[:4]  # the checkout: session, subscription, invoice
    for event in events:
        event["data"]["object"]["description"] = "x\x00\ud800"
        event["data"]["object"]["unexpected"] = {"deep": [[["x"]]]}
    assert WebhookOutcome.APPLIED in [webhooks.handle_event(event) for event in events]


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Sets `path` ("data.object.id") of an event to `value`."""

    def change(event: dict[str, Any]) -> None:
        *parents, last = path.split(".")
        node = event
        for name in parents:
            node = node[name]
        node[last] = value

    return change


ODD_SHAPES = {
    "empty object": _set("data.object", {}),
    "numeric object id": _set("data.object.id", 123),
    "null object id": _set("data.object.id", None),
    "object id with a NUL": _set("data.object.id", "sub_\x00"),
    "object id with a lone surrogate": _set("data.object.id", "sub_\ud800"),
    "object id of 5000 characters": _set("data.object.id", "sub_" + "x" * 5000),
    "event id with a NUL": _set("id", "evt_\x00"),
    "event id of 5000 characters": _set("id", "evt_" + "x" * 5000),
    "numeric event id": _set("id", 42),
    "huge created": _set("created", 10**20),
    "created past year 9999": _set("created", 253_402_300_800),
    "negative created": _set("created", -1),
    "created as text": _set("created", "1700000000"),
    "created as a float": _set("created", 1e30),
    "object created huge": _set("data.object.created", 10**20),
    "data not an object": _set("data", []),
}
CHECKOUT_SHAPES = {
    "customer as a number": _set("data.object.customer", 5),
    "expanded customer without an id": _set("data.object.customer", {"email": "a@b.c"}),
    "customer id past 64 characters": _set("data.object.customer", "cus_" + "x" * 61),
    "subscription with a NUL": _set("data.object.subscription", "sub_\x00"),
    "metadata a list": _set("data.object.metadata", ["user_id"]),
    "client_reference_id a number": _set("data.object.client_reference_id", 7),
}


def _event(fake: FakeStripe, event_type: str) -> dict[str, Any]:
    subject = {"id": "obj_1", "object": "x", "created": 1_700_000_000, "customer": "cus_1", "metadata": {}}
    return fake.event(event_type, subject)


HANDLED_FAMILIES = ["customer.subscription.updated", "invoice.paid", "payment_intent.succeeded", "checkout.session.completed"]


def outcomes_of_odd_shapes(fake: FakeStripe, event_type: str, shapes: dict[str, Callable[[dict[str, Any]], None]]) -> dict[str, str]:
    outcomes = {}
    for name, change in shapes.items():
        event = _event(fake, event_type)
        change(event)
        outcomes[name] = webhooks.handle_event(event)
    return outcomes


@pytest.mark.parametrize("event_type", HANDLED_FAMILIES)
def test_an_oddly_shaped_event_is_ignored_without_asking_stripe_or_storing(fake, caplog, event_type):
    with caplog.at_level(logging.INFO, logger=webhooks.__name__):
        outcomes = outcomes_of_odd_shapes(fake, event_type, ODD_SHAPES)

    assert outcomes == dict.fromkeys(ODD_SHAPES, WebhookOutcome.IGNORED)
    assert fake.requests == [] and count(StripeEvent) == 0
    ignored = [record for record in caplog.records if "ignored" in record.getMessage()]
    assert len(ignored) == len(ODD_SHAPES) and {record.levelno for record in ignored} == {logging.INFO}


def test_an_oddly_shaped_checkout_session_is_ignored(fake):
    outcomes = outcomes_of_odd_shapes(fake, "checkout.session.completed", CHECKOUT_SHAPES)
    assert outcomes == dict.fromkeys(CHECKOUT_SHAPES, WebhookOutcome.IGNORED)
    assert fake.requests == [] and count(StripeEvent) == 0


def test_the_problem_is_named_by_its_field(fake):
    event = _event(fake, "invoice.paid")
    changed = copy.deepcopy(event)
    _set("data.object.id", 123)(changed)
    assert shape_problem(changed).startswith("data.object.id:")
    _set("created", 10**20)(event)
    assert shape_problem(event).startswith("created:")
