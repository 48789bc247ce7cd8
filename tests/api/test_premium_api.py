"""GET /premium/salary-insights as an API client sees it, and the license-key grant."""

from __future__ import annotations

import dataclasses
import secrets
import uuid

import httpx
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from db_helpers import close_loop_connections
from redis_helpers import redis_test_url

from jobspy_web.accounts import jwt_tokens
from jobspy_web.accounts.passwords import hash_password
from jobspy_web.api.app import build_api
from jobspy_web.core import tiers
from jobspy_web.core.tiers import Tier
from jobspy_web.db import primary_engine, write_session
from jobspy_web.infra import rate_limits
from jobspy_web.infra.cache import get_cache
from jobspy_web.insights import benchmark, corpus
from jobspy_web.licensing import licenses
from jobspy_web.models import User
from jobspy_web.models.user import Role
from jobspy_web.settings import get_settings
from tests.insights.factories import add_jobs, software_jobs, tiny_oews_file

KEY_PEM = (
    rsa.generate_private_key(public_exponent=65537, key_size=2048)
    .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    .decode()
)
FINGERPRINT = "a1" * 32
URL = "/premium/salary-insights"


def _reset() -> None:
    get_settings.cache_clear()
    get_cache.cache_clear()
    rate_limits.reset_limiter()
    benchmark.reset_metro_index()
    corpus._last_sync = 0.0


@pytest.fixture
async def api(db, monkeypatch):
    monkeypatch.setenv("JWT_PRIVATE_KEY", KEY_PEM)
    _reset()
    transport = httpx.ASGITransport(app=build_api(), client=("203.0.113.7", 50000))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client
    await close_loop_connections()
    _reset()


def make_user(role: Role = Role.PRO) -> User:
    with write_session() as session:
        user = User(email=f"{uuid.uuid4().hex[:8]}@example.com", role=role, password_hash=hash_password("correct horse battery"))
        session.add(user)
    return user


def bearer(user: User, tier: Tier | None = None) -> dict[str, str]:
    issued = jwt_tokens.issue_access_token(user=user, tier=tier or Tier(user.role.value))
    return {"Authorization": f"Bearer {issued.token}"}


async def test_a_pro_account_gets_percentiles_of_the_stored_postings_for_the_occupation(api):
    add_jobs(software_jobs(40, start=100_000, step=1_000))  # 100k .. 139k
    add_jobs([{"title": "Registered Nurse", "yearly": 80_000}] * 10)  # another occupation: not counted
    response = await api.get(URL, params={"title": "Sr. Software Developer"}, headers=bearer(make_user()))
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["query"]["occupation"] == {"soc_code": "15-1252", "title": "Software Developers", "match_score": 1.0}
    assert answer["query"]["seniority"] == "senior"
    assert answer["sample_size"] == 40 and answer["companies"] == 1 and answer["share_with_pay"] == 1.0
    assert answer["yearly"]["p50"] == 119_500 and answer["yearly"]["p10"] == 103_900 and answer["yearly"]["mean"] == 119_500
    assert answer["confidence"] == "medium"  # 40 postings: more than 30, fewer than 100
    assert answer["pay_source"] == {"posted": 40}
    assert answer["breakdowns"]["site"] == [{"key": "indeed", "n": 40, "p25": 109_750, "p50": 119_500, "p75": 129_250}]
    assert answer["trend"][-1]["n"] == 40 and len(answer["trend"]) == 12
    assert sum(bar["n"] for bar in answer["histogram"]) == 40
    assert {source["name"]: source["status"] for source in answer["sources"]} == {"corpus": "ok", "bls_oews": "not_loaded"}
    assert answer["benchmark"] is None and answer["ignored_params"] == []
    assert response.headers["RateLimit-Limit"] == "60" and response.headers["RateLimit-Remaining"] == "59"
    assert int(response.headers["RateLimit-Reset"]) >= 1
    assert response.headers["Cache-Control"] == "private, max-age=3600" and response.headers["ETag"].startswith('"')


async def test_other_currencies_are_reported_apart_never_converted(api):
    add_jobs(software_jobs(6, start=100_000))
    add_jobs(software_jobs(5, start=60_000, currency="EUR"))
    answer = (await api.get(URL, params={"title": "software engineer"}, headers=bearer(make_user()))).json()
    assert answer["sample_size"] == 6 and answer["currency"] == "USD" and answer["yearly"]["p90"] < 110_000
    assert answer["other_currencies"] == [{"currency": "EUR", "n": 5, "p50": 62_000}]


async def test_breakdowns_show_only_groups_of_at_least_five_postings(api):
    add_jobs(software_jobs(6, site="linkedin"))
    add_jobs(software_jobs(4, site="indeed"))
    answer = (await api.get(URL, params={"title": "software engineer"}, headers=bearer(make_user()))).json()
    assert [row["key"] for row in answer["breakdowns"]["site"]] == ["linkedin"]
    assert answer["breakdowns"]["min_count"] == 5


async def test_market_vs_benchmark_compares_with_the_oews_figures_of_the_metro_area(api, tmp_path):
    benchmark.import_oews(engine=primary_engine(), source=tiny_oews_file(tmp_path / "oews.sqlite"))
    add_jobs(software_jobs(11, start=140_000, step=1_000, location="Austin, TX"))  # median 145k
    add_jobs(software_jobs(5, start=50_000, location="Dallas, TX"))  # Texas, not the Austin metro
    corpus.sync_facts(engine=primary_engine(), metros=benchmark.metro_index(primary_engine()))
    answer = (await api.get(URL, params={"title": "Software Engineer", "location": "Austin, TX"}, headers=bearer(make_user()))).json()
    assert answer["query"]["location"]["level"] == "metro" and answer["query"]["location"]["metro_code"] == "0012420"
    assert answer["sample_size"] == 11
    versus = answer["market_vs_benchmark"]
    assert versus["area"] == "Austin-Round Rock-San Marcos, TX" and versus["area_level"] == "metro"
    assert versus["figures"]["p50"] == {"market": 145_000, "benchmark": 130_000, "difference_pct": 11.5}
    assert answer["benchmark"]["release"] == "May 2025"
    state_answer = (await api.get(URL, params={"title": "Software Engineer", "location": "Texas"}, headers=bearer(make_user()))).json()
    assert state_answer["sample_size"] == 16 and state_answer["benchmark"]["area"]["level"] == "state"


async def test_a_free_account_is_refused_with_a_code_and_the_upgrade_url(api):
    response = await api.get(URL, params={"title": "nurse"}, headers=bearer(make_user(Role.FREE)))
    assert response.status_code == 403
    error = response.json()["error"]
    assert error["code"] == "PREMIUM_REQUIRED" and error["upgrade_url"] == "http://localhost:3000/pricing"
    assert tiers.rules_for(Tier.FREE).published_limits()["premium_views"] is False


async def test_without_a_token_the_answer_is_a_bearer_challenge(api):
    response = await api.get(URL, params={"title": "nurse"})
    assert response.status_code == 401 and response.headers["WWW-Authenticate"].startswith("Bearer")


async def test_unknown_parameters_are_a_422_naming_them(api):
    response = await api.get(URL, params={"title": "nurse", "salary": "1", "colour": "red"}, headers=bearer(make_user()))
    assert response.status_code == 422
    error = response.json()["error"]
    assert error["code"] == "UNKNOWN_PARAMETERS" and set(error["fields"]) == {"colour", "salary"}
    assert response.headers["RateLimit-Remaining"] == "59"  # counted, and said so


async def test_invalid_values_are_a_422_naming_the_field(api):
    response = await api.get(URL, params={"title": "nurse", "months": "99", "job_type": "gig"}, headers=bearer(make_user()))
    assert response.status_code == 422 and set(response.json()["error"]["fields"]) == {"months", "job_type"}
    missing = await api.get(URL, params={"location": "Austin, TX"}, headers=bearer(make_user()))
    assert missing.status_code == 422 and "title" in missing.json()["error"]["fields"]


async def test_an_unplaceable_location_is_listed_in_ignored_params(api):
    add_jobs(software_jobs(5))
    answer = (await api.get(URL, params={"title": "software engineer", "location": "Atlantis"}, headers=bearer(make_user()))).json()
    assert answer["ignored_params"] == ["location"] and answer["sample_size"] == 5


async def test_the_answer_is_cached_for_the_normalised_query_and_revalidates_by_etag(api):
    add_jobs(software_jobs(5))
    headers = bearer(make_user())
    first = await api.get(URL, params={"title": "Software Engineer"}, headers=headers)
    add_jobs(software_jobs(5, start=500_000))
    corpus._last_sync = 0.0
    # Another spelling of the same query: the same cached answer, not the new postings.
    again = await api.get(URL, params={"title": "software  engineer (remote)"}, headers=headers)
    assert again.json()["sample_size"] == 5 and again.headers["ETag"] == first.headers["ETag"]
    unchanged = await api.get(URL, params={"title": "software engineer"}, headers={**headers, "If-None-Match": first.headers["ETag"]})
    assert unchanged.status_code == 304 and unchanged.content == b"" and unchanged.headers["ETag"] == first.headers["ETag"]
    assert unchanged.headers["RateLimit-Remaining"] == "57"


async def test_a_pro_account_past_its_per_minute_budget_gets_429_with_retry_after(api):
    headers = bearer(make_user())
    allowed = tiers.rules_for(Tier.PRO).api_calls_per_minute
    for _ in range(allowed):
        assert (await api.get(URL, params={"title": "nurse"}, headers=headers)).status_code == 200
    refused = await api.get(URL, params={"title": "nurse"}, headers=headers)
    assert refused.status_code == 429 and refused.json()["error"]["code"] == "RATE_LIMITED"
    assert 1 <= int(refused.headers["Retry-After"]) <= 60 and refused.headers["RateLimit-Remaining"] == "0"
    other = await api.get(URL, params={"title": "nurse"}, headers=bearer(make_user()))
    assert other.status_code == 200  # counted per person


async def test_the_per_minute_budget_is_shared_across_workers_through_redis(db, monkeypatch):
    monkeypatch.setenv("JWT_PRIVATE_KEY", KEY_PEM)
    monkeypatch.setenv("REDIS_URL", redis_test_url(4))
    monkeypatch.setitem(tiers.RULES, Tier.PRO, dataclasses.replace(tiers.RULES[Tier.PRO], api_calls_per_minute=3))
    _reset()
    user = make_user()
    query = {"title": f"nurse {secrets.token_hex(3)}"}
    statuses = []
    for _worker in range(2):  # two apps, as two workers would be: only Redis is shared
        transport = httpx.ASGITransport(app=build_api(), client=("203.0.113.8", 50000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            for _ in range(2):
                statuses.append((await client.get(URL, params=query, headers=bearer(user))).status_code)
        await get_cache().aclose()  # closed, not just forgotten: its connection would leak into a later test
        get_cache.cache_clear()
    assert statuses == [200, 200, 200, 429]
    await close_loop_connections()
    _reset()


# --- the license-key grant --------------------------------------------------------------


def _license(user: User | None, license_type: str = "pro", **extra) -> str:
    with write_session() as session:
        owner = {"user_id": user.id} if user else {"pending_email": "later@example.com"}
        issued = licenses.issue_license(session=session, license_type=license_type, **owner, **extra)
    assert issued.key is not None
    return issued.key


async def test_a_license_key_gets_a_short_lived_token_at_the_license_tier(api):
    user = make_user(Role.FREE)  # the account is free; its license is Team
    key = _license(user, "team")
    grant = {"grant_type": "license_key", "license_key": key, "hardware_fp": FINGERPRINT, "app_version": "1.2.0"}
    response = await api.post("/auth/token", json=grant)
    assert response.status_code == 200, response.text
    issued = response.json()
    assert issued["tier"] == "team" and issued["token_type"] == "Bearer" and issued["expires_in"] == 300
    claims = jwt_tokens.verify_access_token(issued["access_token"])
    assert claims.user_id == user.id and claims.license_id is not None
    assert (claims.expires_at - claims.issued_at).total_seconds() == 300
    premium = await api.get(URL, params={"title": "nurse"}, headers={"Authorization": f"Bearer {issued['access_token']}"})
    assert premium.status_code == 200 and premium.headers["RateLimit-Limit"] == "300"


async def test_a_license_key_that_does_not_validate_gets_no_token(api):
    user = make_user()
    key = _license(user, "pro", max_machines=1)
    grant = {"grant_type": "license_key", "license_key": key, "hardware_fp": FINGERPRINT, "app_version": "1.2.0"}
    assert (await api.post("/auth/token", json=grant)).status_code == 200
    other_machine = await api.post("/auth/token", json={**grant, "hardware_fp": "b2" * 32})
    assert (
        other_machine.status_code == 401 and other_machine.json()["error"]["code"] == "LICENSE_FINGERPRINT_MISMATCH"
    )  # a one-machine license
    wrong = await api.post("/auth/token", json={**grant, "license_key": "JSPY-AAAA-AAAA-AAAA-AAAA"})
    assert wrong.status_code in (401, 422)
    unassigned = await api.post("/auth/token", json={**grant, "license_key": _license(None)})
    assert unassigned.status_code == 403 and unassigned.json()["error"]["code"] == "LICENSE_UNASSIGNED"


async def test_a_license_grant_needs_all_its_fields_and_only_them(api):
    missing = await api.post("/auth/token", json={"grant_type": "license_key", "license_key": "x"})
    assert missing.status_code == 422
    mixed = await api.post(
        "/auth/token",
        json={"grant_type": "license_key", "license_key": "x", "hardware_fp": FINGERPRINT, "app_version": "1", "api_token": "t"},
    )
    assert mixed.status_code == 422
