"""The saved-search and alert routes, and the digest's unsubscribe link that needs no sign-in."""

import uuid

import httpx
import pytest
from api_helpers import bearer

from jobspy_web.alerts import digest
from jobspy_web.api.app import build_api
from jobspy_web.core.tiers import Tier
from jobspy_web.db import read_session
from jobspy_web.models import SavedSearch
from jobspy_web.settings import reset_process_state


@pytest.fixture
def api(db):
    reset_process_state()
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url="http://testserver")


async def test_a_free_account_saves_three_then_is_told_the_limit(api):
    ada = bearer("ada@example.com")
    for index in range(3):
        created = await api.post("/api/saved-searches", json={"name": f"s{index}", "search_terms": ["python"]}, headers=ada)
        assert created.status_code == 201, created.text
    refused = await api.post("/api/saved-searches", json={"name": "s4", "search_terms": ["python"]}, headers=ada)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "SAVED_SEARCH_LIMIT" and "allows 3" in refused.json()["error"]["message"]
    scheduled = await api.post("/api/saved-searches", json={"name": "x", "search_terms": ["a"], "schedule": "daily"}, headers=ada)
    assert scheduled.status_code == 403  # the limit comes first; either way a sentence
    listed = (await api.get("/api/saved-searches", headers=ada)).json()["saved_searches"]
    assert [saved["name"] for saved in listed] == ["s0", "s1", "s2"]


async def test_channel_tokens_are_never_shown_back_and_bad_input_is_a_422(api):
    ada = bearer("ada@example.com", Tier.PRO)
    created = await api.post(
        "/api/saved-searches",
        json={"name": "n", "search_terms": ["python"], "apprise_urls": ["tgram://123456789:secret-token/42"], "schedule": "weekly"},
        headers=ada,
    )
    assert created.status_code == 201, created.text
    assert "secret-token" not in created.text and created.json()["apprise_channels"] == ["tgram://…"]
    bad = await api.post("/api/saved-searches", json={"name": "n", "search_terms": ["python"], "hour": 25}, headers=ada)
    assert bad.status_code == 422 and "hour" in bad.json()["error"]["fields"]


async def test_the_unsubscribe_link_works_signed_out_and_a_tampered_one_is_refused(api):
    ada = bearer("ada@example.com", Tier.PRO)
    saved_id = (await api.post("/api/saved-searches", json={"name": "Nightly", "search_terms": ["python"]}, headers=ada)).json()["id"]
    with read_session() as session:
        token = digest.unsubscribe_token(session.get(SavedSearch, uuid.UUID(saved_id)).id)
    answer = await api.get(f"/api/alerts/unsubscribe/{token}")  # no Authorization header
    assert answer.status_code == 200 and "Nightly" in answer.text
    with read_session() as session:
        assert session.get(SavedSearch, uuid.UUID(saved_id)).email_digest is False
    assert (await api.get(f"/api/alerts/unsubscribe/{token}x")).status_code == 400


async def test_alerts_need_a_token(api):
    assert (await api.get("/api/alerts")).status_code == 401
    ada = bearer("ada@example.com")
    assert (await api.get("/api/alerts", headers=ada)).json() == {"unread": 0, "alerts": []}
