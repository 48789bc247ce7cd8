"""Bad input is a clear 4xx with a JSON body on every route that reads one, never a 5xx.

Every POST route of jobspy_web/api/app.py that reads a body is listed below (JSON_ROUTES,
FORM_ROUTES, and the Stripe webhook); each gets a 4,300+ digit integer, 30,000 levels of
nesting, a NUL, a lone surrogate and a 200 MB body sent as a stream, then a bounded
random fuzz. On PostgreSQL: it is where a NUL used to fail (DataError -> 500).
"""

from __future__ import annotations

import json
import time
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
import stripe
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from db_helpers import close_loop_connections
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from jobspy_web.accounts import jwt_tokens, login_sessions
from jobspy_web.api import searches
from jobspy_web.api import tracker as tracker_api
from jobspy_web.api.app import build_api
from jobspy_web.api.errors import MAX_BODY_BYTES
from jobspy_web.billing.webhooks import HANDLED_TYPES
from jobspy_web.core.tiers import Tier
from jobspy_web.db import write_session
from jobspy_web.infra import rate_limits
from jobspy_web.infra.cache import get_cache
from jobspy_web.licensing import keys
from jobspy_web.models import User
from jobspy_web.settings import get_settings
from tests.fakes.stripe_server import FakeStripe, app_environment, install_prices

ORIGIN = "http://testserver"
KEY_PEM = (
    rsa.generate_private_key(public_exponent=65537, key_size=2048)
    .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    .decode()
)
HUGE_INT = b"9" * 5000  # past Python's 4,300-digit int limit
DEEP = b"[" * 30_000 + b"]" * 30_000
LONE_SURROGATE = b'"a\\ud800b"'  # a high surrogate escape with no low one after it
CHUNK = 64 * 1024
TWO_HUNDRED_MB = 200 * 1024 * 1024


@dataclass(frozen=True)
class JsonRoute:
    path: str
    body: dict[str, Any]  # valid in shape, so the bad value is the only problem
    text_field: str  # a text field that is stored or looked up
    auth: str = "none"  # or "bearer"
    # The License Server parses with pydantic (one parse, on the hot path): it refuses a
    # lone surrogate as bad JSON (400) instead of naming the field.
    surrogate_status: int = 422
    body_limit: int = MAX_BODY_BYTES  # the tracker takes long descriptions and sync batches


KEY = keys.generate_key()
FP = "f" * 64
JSON_ROUTES = [
    JsonRoute("/auth/token", {"email": "ada@example.com", "password": "pw"}, "email"),
    JsonRoute("/api/searches", {"search_term": "python", "site_name": ["indeed"]}, "search_term", auth="bearer"),
    JsonRoute("/create-payment-intent", {"plan_id": "desktop_lifetime"}, "plan_id", auth="bearer"),
    JsonRoute("/billing/checkout", {"plan_id": "pro_monthly"}, "plan_id", auth="bearer"),
    JsonRoute("/billing/portal", {"attempt": "a1"}, "attempt", auth="bearer"),
    JsonRoute("/licenses/validate", {"license_key": KEY, "hardware_fp": FP, "app_version": "1.0"}, "license_key", surrogate_status=400),
    JsonRoute(
        "/licenses/activate", {"license_key": KEY, "hardware_fp": FP, "app_version": "1.0", "name": "pc"}, "name", surrogate_status=400
    ),
    JsonRoute("/licenses/deactivate", {"license_key": KEY, "hardware_fp": FP}, "hardware_fp", surrogate_status=400),
    JsonRoute(
        "/api/tracker/jobs",
        {"url": "https://example.com/jobs/1", "title": "Engineer", "site": "other"},
        "title",
        auth="bearer",
        body_limit=tracker_api.SAVE_BODY_BYTES,
    ),
    JsonRoute("/api/tracker/changes", {"items": []}, "items", auth="bearer", body_limit=tracker_api.PUSH_BODY_BYTES),
]


@dataclass(frozen=True)
class FormRoute:
    path: str
    body: dict[str, str]
    auth: str = "none"  # or "cookie"


FORM_ROUTES = [
    FormRoute("/auth/signup", {"email": "new@example.com", "password": "correct horse battery", "full_name": "New"}),
    FormRoute("/auth/login", {"email": "ada@example.com", "password": "correct horse battery", "next": "/"}),
    FormRoute("/auth/forgot", {"email": "ada@example.com"}),
    FormRoute("/auth/reset", {"token": "abc", "password": "correct horse battery"}),
    FormRoute("/billing/checkout", {"plan_id": "pro_monthly", "attempt": "a1"}, auth="cookie"),
    FormRoute("/billing/portal", {"attempt": "a1"}, auth="cookie"),
]


@dataclass
class Harness:
    client: httpx.AsyncClient
    stripe: FakeStripe
    auth: dict[str, dict[str, str]] = field(default_factory=dict)

    async def post(self, path: str, auth: str = "none", **request: Any) -> httpx.Response:
        # Each request starts with empty rate limits: a 429 would hide what comes after it.
        rate_limits.reset_limiter()
        headers = {**self.auth.get(auth, {}), **request.pop("headers", {})}
        return await self.client.post(path, headers=headers, **request)

    async def post_json(self, route: JsonRoute, content: bytes) -> httpx.Response:
        return await self.post(route.path, route.auth, content=content, headers={"content-type": "application/json"})


def reset_shared_state() -> None:
    get_settings.cache_clear()
    get_cache.cache_clear()
    rate_limits.reset_limiter()


async def _not_run(_search_id: Any) -> None:
    """Searches started here are stored but never scraped."""


@pytest.fixture(scope="module")
def fake_stripe() -> Iterator[FakeStripe]:
    # One for the module: stopping one waits out its server's 0.5 s poll, per test.
    with FakeStripe() as fake:
        install_prices(fake)
        yield fake


@pytest.fixture
async def app(pg_db, fake_stripe, monkeypatch) -> AsyncIterator[Harness]:
    monkeypatch.setenv("REDIS_URL", "")
    monkeypatch.setenv("JWT_PRIVATE_KEY", KEY_PEM)
    monkeypatch.setattr(searches.tasks, "start_search", _not_run)
    for name, value in app_environment(fake_stripe).items():
        monkeypatch.setenv(name, value)
    reset_shared_state()
    with write_session() as session:
        user = User(email="ada@example.com")
        session.add(user)
        session.flush()
        secret = login_sessions.start_session(session=session, user=user)
        token = jwt_tokens.issue_access_token(user=user, tier=Tier.FREE).token
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url=ORIGIN, timeout=60) as client:
        yield Harness(
            client,
            fake_stripe,
            {
                "bearer": {"Authorization": f"Bearer {token}"},
                "cookie": {"Cookie": f"{login_sessions.COOKIE_NAME}={secret}", "Origin": ORIGIN},
            },
        )
    await close_loop_connections()
    reset_shared_state()


def with_raw(body: dict[str, Any], name: str, raw_value: bytes) -> bytes:
    """`body` as JSON with `name`'s value replaced by `raw_value`, written as is."""
    placeholder = "@@RAW@@"
    return json.dumps({**body, name: placeholder}).encode().replace(f'"{placeholder}"'.encode(), raw_value)


def assert_json_error(response: httpx.Response, status: int, code: str | None = None) -> dict[str, Any]:
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/json")
    error = response.json()["error"]
    assert error["message"]
    if code is not None:
        assert error["code"] == code
    return error


class Sender:
    """A 200 MB body in 64 KB chunks, counting how many the server pulled."""

    def __init__(self, total: int = TWO_HUNDRED_MB) -> None:
        self.total, self.pulled = total, 0

    async def __aiter__(self) -> AsyncIterator[bytes]:
        while self.pulled * CHUNK < self.total:
            self.pulled += 1
            yield b" " * CHUNK


def read_at_most(sender: Sender, limit: int) -> None:
    """The server stopped at the chunk that crossed `limit`, not at the end of the body."""
    assert sender.pulled <= limit // CHUNK + 2, f"read {sender.pulled * CHUNK} bytes of {sender.total}"


# --- JSON routes ------------------------------------------------------------------------


def over_json_routes(routes: list[JsonRoute]) -> pytest.MarkDecorator:
    return pytest.mark.parametrize("route", routes, ids=[route.path for route in routes])


json_routes = over_json_routes(JSON_ROUTES)
# The License Server's models take no free-form objects, so a deep or keyed value is
# refused as bad JSON (400) before any field is named.
naming_json_routes = over_json_routes([route for route in JSON_ROUTES if route.surrogate_status == 422])
# The License Server reads up to the limit instead (no header scan on its hot path).
content_length_json_routes = over_json_routes([route for route in JSON_ROUTES if not route.path.startswith("/licenses/")])


@json_routes
async def test_a_huge_integer_is_a_400(app, route):
    response = await app.post_json(route, with_raw(route.body, route.text_field, HUGE_INT))
    assert_json_error(response, 400, "MALFORMED_JSON")


@json_routes
async def test_nesting_30000_deep_is_a_400(app, route):
    response = await app.post_json(route, with_raw(route.body, route.text_field, DEEP))
    assert_json_error(response, 400, "MALFORMED_JSON")


@json_routes
async def test_a_nul_byte_is_a_422_naming_its_field(app, route):
    response = await app.post_json(route, json.dumps({**route.body, route.text_field: "a\x00b"}).encode())
    error = assert_json_error(response, 422, "INVALID_REQUEST")
    assert route.text_field in error["fields"]


@json_routes
async def test_a_lone_surrogate_is_refused(app, route):
    response = await app.post_json(route, with_raw(route.body, route.text_field, LONE_SURROGATE))
    error = assert_json_error(response, route.surrogate_status)
    if route.surrogate_status == 422:
        assert route.text_field in error["fields"]


@naming_json_routes
async def test_a_nul_or_lone_surrogate_deep_inside_or_in_a_key_is_named(app, route):
    nested = json.dumps({**route.body, "extra": {"list": ["ok", "x\x00"]}}).encode()
    assert "extra.list.1" in assert_json_error(await app.post_json(route, nested), 422)["fields"]
    keyed = json.dumps({**route.body, "k\ud800": 1}).encode()  # json.dumps escapes the surrogate
    # Named as the field was read: orjson refuses the surrogate, so it was read as a NUL.
    assert "k\\u0000" in assert_json_error(await app.post_json(route, keyed), 422)["fields"]


@json_routes
async def test_a_200_mb_stream_is_a_413_after_reading_only_up_to_the_limit(app, route):
    sender = Sender()
    response = await app.post(route.path, route.auth, content=sender, headers={"content-type": "application/json"})
    assert_json_error(response, 413, "BODY_TOO_LARGE")
    read_at_most(sender, route.body_limit)


@content_length_json_routes
async def test_a_200_mb_content_length_is_a_413_before_reading_anything(app, route):
    sender = Sender()
    headers = {"content-type": "application/json", "content-length": str(TWO_HUNDRED_MB)}
    response = await app.post(route.path, route.auth, content=sender, headers=headers)
    assert_json_error(response, 413, "BODY_TOO_LARGE")
    assert sender.pulled == 0


async def test_valid_bodies_still_get_past_the_checks(app):
    # The checks refuse only what they should: each route's body above, as sent, is read.
    answers = {route.path: (await app.post(route.path, route.auth, json=route.body)).status_code for route in JSON_ROUTES}
    assert answers == {
        "/auth/token": 401,  # a user with no password: read, checked, refused
        "/api/searches": 202,
        "/create-payment-intent": 200,
        "/billing/checkout": 200,
        "/billing/portal": 200,  # the payment intent above made the Stripe customer
        "/licenses/validate": 200,  # {"valid": false, "code": "NOT_FOUND"}
        "/licenses/activate": 200,
        "/licenses/deactivate": 200,
        "/api/tracker/jobs": 201,
        "/api/tracker/changes": 200,
    }


# --- form routes --------------------------------------------------------------------


form_routes = pytest.mark.parametrize("route", FORM_ROUTES, ids=[route.path for route in FORM_ROUTES])


@form_routes
async def test_a_nul_byte_in_any_form_field_is_a_422_naming_it(app, route):
    for name in route.body:
        response = await app.post(route.path, route.auth, data={**route.body, name: "a\x00b"})
        assert name in assert_json_error(response, 422, "INVALID_REQUEST")["fields"]


@form_routes
async def test_a_nul_byte_in_a_multipart_form_is_a_422_too(app, route):
    name = next(iter(route.body))
    response = await app.post(route.path, route.auth, data={**route.body, name: "a\x00b"}, files={"upload": b"ignored"})
    assert name in assert_json_error(response, 422, "INVALID_REQUEST")["fields"]


@form_routes
async def test_a_200_mb_form_stream_is_a_413_after_reading_only_up_to_the_limit(app, route):
    sender = Sender()
    response = await app.post(route.path, route.auth, content=sender, headers={"content-type": "application/x-www-form-urlencoded"})
    assert_json_error(response, 413, "BODY_TOO_LARGE")
    read_at_most(sender, MAX_BODY_BYTES)


async def test_a_nul_in_the_verify_link_is_a_redirect_not_a_500(app):
    response = await app.client.get("/auth/verify", params={"token": "a\x00b"})
    assert response.status_code == 303 and "error=INVALID_LINK" in response.headers["location"]


# --- the Stripe webhook -------------------------------------------------------------


def signed(fake: FakeStripe, payload: bytes, timestamp: int | None = None) -> dict[str, str]:
    header = stripe.WebhookSignature.generate_signature_header(payload.decode(), fake.webhook_secret, timestamp=timestamp)
    return {"Stripe-Signature": header, "content-type": "application/json"}


def subscription_event(fake: FakeStripe, **subject: Any) -> dict[str, Any]:
    return fake.event("customer.subscription.updated", {"id": "sub_1", "object": "subscription", **subject})


async def deliver(app: Harness, payload: bytes, **signing: Any) -> httpx.Response:
    return await app.post("/webhooks/stripe", content=payload, headers=signed(app.stripe, payload, **signing))


async def test_a_signature_dated_an_hour_ahead_is_a_400(app):
    payload = json.dumps(subscription_event(app.stripe)).encode()
    response = await deliver(app, payload, timestamp=int(time.time()) + 3600)
    assert_json_error(response, 400, "BAD_SIGNATURE")
    assert (await deliver(app, payload, timestamp=int(time.time()) + 60)).status_code == 200  # clock skew is fine


@pytest.mark.parametrize(
    "event_id",
    [
        pytest.param('"evt_\\u0000"', id="nul"),
        pytest.param(json.dumps("evt_" + "x" * 5000), id="5000-chars"),
        pytest.param(LONE_SURROGATE.decode(), id="surrogate"),
    ],
)
async def test_an_odd_event_id_is_acknowledged_as_ignored(app, event_id):
    payload = with_raw(subscription_event(app.stripe), "id", event_id.encode())
    response = await deliver(app, payload)
    assert (response.status_code, response.json()) == (200, {"received": True, "outcome": "ignored"})


@pytest.mark.parametrize(
    ("name", "raw_value"),
    [
        pytest.param("data", b'{"object": {}}', id="empty-object"),
        pytest.param("data", b'{"object": {"id": 123}}', id="numeric-object-id"),
        pytest.param("data", b'{"object": {"id": ' + LONE_SURROGATE + b"}}", id="surrogate-object-id"),
        pytest.param("created", str(10**20).encode(), id="huge-created"),
    ],
)
async def test_a_signed_event_of_odd_shape_is_acknowledged_as_ignored(app, name, raw_value):
    payload = with_raw(subscription_event(app.stripe), name, raw_value)
    response = await deliver(app, payload)
    assert (response.status_code, response.json()) == (200, {"received": True, "outcome": "ignored"})


@pytest.mark.parametrize("raw", [HUGE_INT, DEEP], ids=["huge-int", "deep"])
async def test_signed_json_we_cannot_read_is_a_400(app, raw):
    payload = with_raw(subscription_event(app.stripe), "created", raw)
    assert_json_error(await deliver(app, payload), 400, "MALFORMED_EVENT")


async def test_a_200_mb_event_stream_is_a_413_after_reading_only_up_to_the_limit(app):
    sender = Sender()
    response = await app.post("/webhooks/stripe", content=sender, headers={"Stripe-Signature": "t=1,v1=x"})
    assert_json_error(response, 413, "BODY_TOO_LARGE")
    read_at_most(sender, 1024 * 1024)


# --- a bounded random fuzz ----------------------------------------------------------

NASTY_TEXT = st.sampled_from(["", "\x00", "a\x00", "\ud800", "\udfff x", "💥", "x" * 5000, "../../etc", "null", "0"])
TEXT = st.text(max_size=40) | NASTY_TEXT
NUMBERS = st.integers(min_value=-(10**30), max_value=10**30) | st.floats(allow_nan=False, allow_infinity=False)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | NUMBERS | TEXT,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(TEXT, children, max_size=4),
    max_leaves=12,
)
ALL_FIELDS = sorted({name for route in (*JSON_ROUTES, *FORM_ROUTES) for name in route.body} | {"site_name", "results_wanted", "id", "type"})


def json_bodies(route: JsonRoute) -> st.SearchStrategy[bytes]:
    """Mostly the route's own fields with random values; now and then anything at all."""
    objects = st.builds(
        lambda base, extra: {**base, **extra},
        st.fixed_dictionaries({}, optional={name: JSON_VALUES for name in route.body}),
        st.dictionaries(st.sampled_from(ALL_FIELDS) | TEXT, JSON_VALUES, max_size=3),
    )
    return (objects | JSON_VALUES).map(lambda value: json.dumps(value).encode()) | st.binary(max_size=64)


def form_bodies(route: FormRoute) -> st.SearchStrategy[dict[str, str]]:
    form_text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40) | st.sampled_from(["\x00", "a\x00", "x" * 2000])
    return st.fixed_dictionaries({}, optional={name: form_text for name in route.body})


ANY_REQUEST = st.one_of(
    st.tuples(st.just("json"), st.sampled_from(JSON_ROUTES)).flatmap(lambda pair: st.tuples(st.just(pair[1]), json_bodies(pair[1]))),
    st.tuples(st.just("form"), st.sampled_from(FORM_ROUTES)).flatmap(lambda pair: st.tuples(st.just(pair[1]), form_bodies(pair[1]))),
    st.tuples(st.just("webhook"), st.builds(dict, type=st.sampled_from(HANDLED_TYPES) | TEXT, data=st.builds(dict, object=JSON_VALUES))),
)


@settings(max_examples=300, deadline=None, database=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(request=ANY_REQUEST, event_id=st.sampled_from(["evt_1", "evt_\x00", ""]) | TEXT)
async def test_random_bodies_on_every_route_are_never_a_5xx(app, request, event_id):
    route, body = request
    if isinstance(route, JsonRoute):
        response = await app.post_json(route, body)
    elif isinstance(route, FormRoute):
        response = await app.post(route.path, route.auth, data=body)
    else:
        payload = json.dumps({**body, "id": event_id, "object": "event"}).encode()
        response = await deliver(app, payload)
    assert response.status_code < 500, (route, body, response.text)
    if response.status_code >= 400:
        assert response.json()["error"]["code"]
