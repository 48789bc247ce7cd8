"""The License Server's HTTP contract: every code, signed answers, 422 fields, 429 limits."""

import base64
import json
import re
import secrets
from datetime import datetime, timedelta

import httpx
import pytest
import redis
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from db_helpers import close_loop_connections, counting_statements
from redis_helpers import redis_test_url
from starlette.requests import ClientDisconnect

from jobspy_web.api.app import build_api
from jobspy_web.api.errors import MAX_BODY_BYTES
from jobspy_web.db import write_session
from jobspy_web.infra import rate_limits
from jobspy_web.infra.cache import get_cache
from jobspy_web.licensing import keys, licenses
from jobspy_web.licensing.signing import reset_signer
from jobspy_web.models import License, LicenseStatus
from jobspy_web.models.base import utcnow
from jobspy_web.settings import get_settings

HERE = "a" * 64
THERE = "b" * 64
REDIS_TEST_URL = redis_test_url(11)


@pytest.fixture
async def api(db, monkeypatch):
    """The API with its answer cache and limits in Redis (without Redis no answer is cached)."""
    monkeypatch.setenv("REDIS_URL", REDIS_TEST_URL)
    redis.Redis.from_url(REDIS_TEST_URL).flushdb()
    monkeypatch.setenv("LICENSE_MIN_APP_VERSION", "1.0")
    get_settings.cache_clear()
    get_cache.cache_clear()
    rate_limits.reset_limiter()
    reset_signer()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url="http://testserver") as client:
        yield client
    await close_loop_connections()


def issue(**arguments) -> str:
    with write_session() as session:
        issued = licenses.issue_license(session=session, **{"license_type": "pro", **arguments})
    assert issued.key is not None
    return issued.key


def edit(key: str, **values) -> None:
    """Change the row behind the services' back (so forget the cached answers, as they would)."""
    get_cache().delete_group(f"license:{keys.hash_key(key)}:answers")
    with write_session() as session:
        license = licenses.find_license(session=session, reference=key)
        for name, value in values.items():
            setattr(license, name, value)
        session.add(license)


async def post(api, path, key, fingerprint=HERE, app_version="1.4.2", **extra):
    return await api.post(path, json={"license_key": key, "hardware_fp": fingerprint, "app_version": app_version, **extra})


async def verified(api, response: httpx.Response) -> dict:
    """The answer's body, after checking its signature against the published key."""
    published = (await api.get("/licenses/public-key")).json()
    fields = dict(re.findall(r'(\w+)="([^"]*)"', response.headers["License-Signature"]))
    assert fields["algorithm"] == published["algorithm"] == "ed25519"
    assert fields["keyid"] == published["key_id"]
    public_key = Ed25519PublicKey.from_public_bytes(base64.b64decode(published["public_key"]))
    public_key.verify(base64.b64decode(fields["signature"]), response.content)
    return json.loads(response.content)


async def test_a_good_key_gets_a_signed_valid_answer(api):
    key = issue(days=365)
    response = await post(api, "/licenses/validate", key)
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    body = await verified(api, response)
    assert body.pop("valid") is True and body.pop("license_type") == "pro"
    assert "all_sites" in body.pop("features")
    assert datetime.fromisoformat(body.pop("expires_at")) > utcnow() + timedelta(days=364)
    assert body.pop("hardware_fp") == HERE
    assert abs(datetime.fromisoformat(body.pop("checked_at")) - utcnow()) < timedelta(seconds=5)
    assert body == {}


async def test_a_perpetual_license_expires_at_null(api):
    body = (await post(api, "/licenses/validate", issue())).json()
    assert body["valid"] is True and body["expires_at"] is None


def _not_found(key):
    return keys.generate_key()


def _revoked(key):
    edit(key, status=LicenseStatus.REVOKED)
    return key


def _suspended(key):
    edit(key, status=LicenseStatus.SUSPENDED)
    return key


def _expired(key):
    edit(key, expires_at=utcnow() - timedelta(minutes=1))
    return key


@pytest.mark.parametrize(
    ("make_invalid", "fingerprint", "app_version", "code"),
    [
        (_not_found, HERE, "1.4.2", "NOT_FOUND"),
        (_revoked, HERE, "1.4.2", "REVOKED"),
        (_suspended, HERE, "1.4.2", "SUSPENDED"),
        (_expired, HERE, "1.4.2", "EXPIRED"),
        (lambda key: key, HERE, "0.9.9", "VERSION_UNSUPPORTED"),
        (lambda key: key, THERE, "1.4.2", "FINGERPRINT_MISMATCH"),
    ],
)
async def test_each_invalid_answer_is_200_with_only_a_code_and_reason(api, make_invalid, fingerprint, app_version, code):
    key = issue(max_machines=1)
    assert (await post(api, "/licenses/activate", key, HERE)).json()["valid"] is True
    response = await post(api, "/licenses/validate", make_invalid(key), fingerprint, app_version)
    assert response.status_code == 200
    body = await verified(api, response)
    assert set(body) == {"valid", "code", "reason", "hardware_fp", "checked_at"}
    assert (body["valid"], body["code"]) == (False, code)
    assert body["reason"] == licenses.REASONS[licenses.LicenseCode(code)]


async def test_too_many_machines_on_a_full_multi_machine_license(api):
    key = issue(max_machines=2)
    for fingerprint in ("1" * 32, "2" * 32):
        assert (await post(api, "/licenses/validate", key, fingerprint)).json()["valid"] is True
    body = (await post(api, "/licenses/validate", key, "3" * 32)).json()
    assert body["code"] == "TOO_MANY_MACHINES"


async def test_revoked_key_stops_validating_on_the_next_request(api):
    key = issue()
    for _ in range(2):  # the second answer comes from the cache
        assert (await post(api, "/licenses/validate", key)).json()["valid"] is True
    with write_session() as session:
        licenses.revoke_license(session=session, license_id=licenses.find_license(session=session, reference=key).id)
    assert (await post(api, "/licenses/validate", key)).json()["code"] == "REVOKED"


async def test_activate_then_deactivate_frees_the_machine(api):
    key = issue(max_machines=1)
    activated = await post(api, "/licenses/activate", key, HERE, name="ada-laptop")
    assert (await verified(api, activated))["valid"] is True
    assert (await post(api, "/licenses/validate", key, THERE)).json()["code"] == "FINGERPRINT_MISMATCH"
    payload = {"license_key": key, "hardware_fp": HERE}
    first = await api.post("/licenses/deactivate", json=payload)
    assert (await verified(api, first))["deactivated"] is True
    again = (await api.post("/licenses/deactivate", json=payload)).json()
    assert (again["deactivated"], again["code"]) == (False, "MACHINE_NOT_FOUND")
    unknown = (await api.post("/licenses/deactivate", json={**payload, "license_key": keys.generate_key()})).json()
    assert (unknown["deactivated"], unknown["code"]) == (False, "NOT_FOUND")
    assert (await post(api, "/licenses/validate", key, THERE)).json()["valid"] is True


async def test_a_tampered_answer_fails_verification(api):
    response = await post(api, "/licenses/validate", issue())
    forged = httpx.Response(200, headers=response.headers, content=response.content.replace(b'"pro"', b'"team"'))
    with pytest.raises(InvalidSignature):
        await verified(api, forged)


async def test_the_public_key_endpoint_publishes_pem_and_raw_forms(api):
    published = (await api.get("/licenses/public-key")).json()
    assert set(published) == {"algorithm", "key_id", "public_key", "public_key_pem"}
    assert len(base64.b64decode(published["public_key"])) == 32
    assert published["public_key_pem"].startswith("-----BEGIN PUBLIC KEY-----")


@pytest.mark.parametrize(
    ("payload", "fields"),
    [
        ({}, {"license_key", "hardware_fp", "app_version"}),
        ({"license_key": "JSW-AAAAA", "hardware_fp": HERE, "app_version": "1.0"}, {"license_key"}),
        ({"license_key": "KEY", "hardware_fp": "short", "app_version": "one"}, {"license_key", "hardware_fp", "app_version"}),
        ({"license_key": 12, "hardware_fp": "has spaces in it, see", "app_version": "1.0"}, {"license_key", "hardware_fp"}),
    ],
)
async def test_malformed_requests_get_422_naming_each_field(api, payload, fields):
    response = await api.post("/licenses/validate", json=payload)
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "INVALID_REQUEST" and set(error["fields"]) == fields


async def test_a_mistyped_key_is_a_field_error_not_a_lookup(api):
    key = issue()
    typo = key[:-1] + ("0" if key[-1] != "0" else "1")
    response = await post(api, "/licenses/validate", typo)
    assert response.status_code == 422 and "typos" in response.json()["error"]["fields"]["license_key"]
    with write_session() as session:
        assert licenses.find_license(session=session, reference=key).validation_count == 0


async def test_over_the_per_key_limit_is_429_with_retry_after(api, monkeypatch):
    monkeypatch.setenv("LICENSE_LIMIT_PER_KEY", "3/minute")
    get_settings.cache_clear()
    key, other = issue(), issue()
    statuses = [(await post(api, "/licenses/validate", key)).status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = await post(api, "/licenses/validate", key)
    assert limited.json()["error"]["code"] == "RATE_LIMITED" and 0 < int(limited.headers["Retry-After"]) <= 60
    assert (await post(api, "/licenses/validate", other)).status_code == 200


async def test_over_the_per_ip_limit_is_429_even_for_garbage(api, monkeypatch):
    monkeypatch.setenv("LICENSE_LIMIT_PER_IP", "2/minute")
    get_settings.cache_clear()
    statuses = [(await api.post("/licenses/validate", content=b"not json")).status_code for _ in range(3)]
    assert statuses == [400, 400, 429]
    assert "Retry-After" in (await post(api, "/licenses/validate", issue())).headers


async def test_validation_is_counted_once_per_database_visit(api):
    key = issue()
    for _ in range(3):
        await post(api, "/licenses/validate", key)
    with write_session() as session:
        license = session.get(License, licenses.find_license(session=session, reference=key).id)
        assert license is not None and license.validation_count == 1


async def test_a_cached_answer_is_the_same_signed_bytes_with_no_database_visit(api):
    key = issue()
    with counting_statements() as statements:
        first = await post(api, "/licenses/validate", key)
    assert statements  # the miss is seen, whichever path it took
    with counting_statements() as statements:
        again = await post(api, "/licenses/validate", key)
    assert statements == []
    assert again.content == first.content and again.headers["License-Signature"] == first.headers["License-Signature"]
    assert (await verified(api, again))["valid"] is True


@pytest.mark.parametrize(
    ("content", "status", "code"),
    [
        (b"", 422, "INVALID_REQUEST"),
        (b"[1, 2]", 422, "INVALID_REQUEST"),
        (b'"text"', 422, "INVALID_REQUEST"),
        (b'{"license_key": "\xff"}', 400, "MALFORMED_JSON"),
        (b"{" + b" " * MAX_BODY_BYTES + b"}", 413, "BODY_TOO_LARGE"),
    ],
)
async def test_a_body_that_is_not_a_json_object_gets_a_plain_error(api, content, status, code):
    response = await api.post("/licenses/validate", content=content)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)


async def test_validate_is_post_only(api):
    response = await api.get("/licenses/validate")
    assert response.status_code == 405 and "POST" in response.headers["allow"]


async def test_a_body_sent_in_pieces_is_read_whole_and_the_answer_framed_exactly(api):
    # validate reads the ASGI messages itself (services' hot path skips Starlette's Request).
    key = issue()
    payload = json.dumps({"license_key": key, "hardware_fp": HERE, "app_version": "1.4.2"}).encode()
    pieces = [payload[:10], payload[10:40], payload[40:]]

    async def body():
        for piece in pieces:
            yield piece

    response = await api.post("/licenses/validate", content=body(), headers={"content-type": "application/json"})
    assert response.headers["content-type"] == "application/json" and response.headers["cache-control"] == "no-store"
    assert int(response.headers["content-length"]) == len(response.content)
    assert (await verified(api, response))["valid"] is True


async def test_a_client_gone_before_its_body_gets_no_answer_and_changes_nothing(api):
    key = issue()
    sent: list[dict] = []

    async def receive():
        return {"type": "http.disconnect"}

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "POST", "path": "/licenses/validate", "headers": [], "client": ("203.0.113.7", 1)}
    with pytest.raises(ClientDisconnect):
        await build_api().router(scope, receive, send)
    assert sent == []
    with write_session() as session:
        assert licenses.find_license(session=session, reference=key).validation_count == 0


# --- with Redis, as in production ---------------------------------------------------------------


@pytest.fixture
async def redis_api(pg_db, monkeypatch):
    """Clients of the app with its cache and limits in Redis, one per IP. Other test runs
    may share the Redis database: every key here is this test's own (fresh license keys,
    IPs and buckets from new_ip()), so nothing is flushed."""
    monkeypatch.setenv("REDIS_URL", REDIS_TEST_URL)
    monkeypatch.setenv("LICENSE_MIN_APP_VERSION", "1.0")
    get_settings.cache_clear()
    get_cache.cache_clear()
    rate_limits.reset_limiter()
    reset_signer()
    clients: list[httpx.AsyncClient] = []

    def client_from(ip: str) -> httpx.AsyncClient:
        clients.append(httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api(), client=(ip, 50000)), base_url="http://testserver"))
        return clients[-1]

    yield client_from
    for client in clients:
        await client.aclose()
    await close_loop_connections()
    get_cache.cache_clear()
    rate_limits.reset_limiter()


def new_ip() -> str:
    return f"2001:db8::{secrets.token_hex(2)}:{secrets.token_hex(2)}"


async def test_with_redis_a_hit_is_the_cached_signed_answer_and_a_revoke_ends_it(redis_api):
    api = redis_api(new_ip())
    key = issue()
    first = await post(api, "/licenses/validate", key)
    with counting_statements() as statements:
        again = await post(api, "/licenses/validate", key)
    assert statements == [] and again.content == first.content
    assert (await verified(api, again))["valid"] is True
    with write_session() as session:
        licenses.revoke_license(session=session, license_id=licenses.find_license(session=session, reference=key).id)
    assert (await verified(api, await post(api, "/licenses/validate", key)))["code"] == "REVOKED"


async def test_with_redis_a_request_refused_for_its_ip_does_not_count_against_its_key(redis_api, monkeypatch):
    monkeypatch.setenv("LICENSE_LIMIT_PER_IP", "2/minute")
    monkeypatch.setenv("LICENSE_LIMIT_PER_KEY", "3/minute")
    get_settings.cache_clear()
    key = issue()
    first, second = redis_api(new_ip()), redis_api(new_ip())
    assert [(await post(first, "/licenses/validate", key)).status_code for _ in range(3)] == [200, 200, 429]
    assert [(await post(second, "/licenses/validate", key)).status_code for _ in range(2)] == [200, 429]
    limited = await post(second, "/licenses/validate", key)
    assert limited.json()["error"]["code"] == "RATE_LIMITED" and 0 < int(limited.headers["Retry-After"]) <= 60
    assert (await first.post("/licenses/validate", content=b"not json")).status_code == 429  # a 429 wins over a 400
