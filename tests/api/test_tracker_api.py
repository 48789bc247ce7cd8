"""The tracker API as the extension and the desktop app use it: the contract, field by field."""

from __future__ import annotations

import csv
import io
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from jobspy_web.accounts import api_tokens, jwt_tokens, users
from jobspy_web.api.app import build_api
from jobspy_web.core.tiers import Tier
from jobspy_web.db import write_session
from jobspy_web.models import Role
from jobspy_web.settings import reset_process_state
from tests.tracker.factories import stored_result

LINKEDIN = {
    "url": "https://www.linkedin.com/jobs/view/senior-python-developer-3912345678/?refId=abc",
    "title": "Senior Python Developer",
    "company": "Acme",
    "location": "Austin, TX",
    "salary_text": "$150K/yr - $180K/yr",
    "description": "Build things.",
    "site": "linkedin",
}


def person(email: str | None = None, tier: Tier = Tier.FREE) -> tuple[uuid.UUID, dict[str, str]]:
    with write_session() as session:
        user = users.sign_up(session=session, email=email or f"u{uuid.uuid4().hex[:8]}@example.com", password="correct horse battery")
        user.role = Role(tier.value)
        issued = jwt_tokens.issue_access_token(user=user, tier=tier)
    return user.id, {"Authorization": f"Bearer {issued.token}"}


@pytest.fixture
def api(db):
    reset_process_state()
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url="http://testserver")


async def test_saving_the_same_url_twice_is_one_item_201_then_200(api):
    _, headers = person()
    created = await api.post("/api/tracker/jobs", json=LINKEDIN, headers=headers)
    assert created.status_code == 201
    item = created.json()["item"]
    assert created.headers["location"] == f"/api/tracker/jobs/{item['id']}"
    assert (item["stage"], item["site"], item["salary_text"], item["deleted"]) == ("saved", "linkedin", "$150K/yr - $180K/yr", False)
    assert item["stage_dates"]["saved"] is not None and item["stage_dates"]["applied"] is None
    assert item["postings"] == [{"site": "linkedin", "url": LINKEDIN["url"]}]

    again = await api.post("/api/tracker/jobs", json={**LINKEDIN, "url": "https://linkedin.com/jobs/view/3912345678"}, headers=headers)
    assert again.status_code == 200 and again.json()["item"]["id"] == item["id"]
    listed = await api.get("/api/tracker/jobs", headers=headers)
    assert [shown["id"] for shown in listed.json()["items"]] == [item["id"]]


async def test_lookup_answers_found_with_the_stage_or_not_found(api):
    _, headers = person()
    missing = await api.get("/api/tracker/lookup", params={"url": LINKEDIN["url"]}, headers=headers)
    assert missing.status_code == 200 and missing.json() == {"found": False, "item": None}

    item = (await api.post("/api/tracker/jobs", json={**LINKEDIN, "stage": "applied"}, headers=headers)).json()["item"]
    found = await api.get(
        "/api/tracker/lookup", params={"url": "https://www.linkedin.com/jobs/view/3912345678?trk=public"}, headers=headers
    )
    assert found.json()["found"] is True
    assert found.json()["item"]["id"] == item["id"] and found.json()["item"]["stage"] == "applied"


async def test_patch_moves_notes_and_follow_up_and_delete_leaves_a_tombstone(api):
    _, headers = person()
    item = (await api.post("/api/tracker/jobs", json=LINKEDIN, headers=headers)).json()["item"]
    path = f"/api/tracker/jobs/{item['id']}"

    moved = await api.patch(path, json={"stage": "interviewing", "notes": "Call on Tue", "follow_up_on": "2026-12-09"}, headers=headers)
    assert moved.status_code == 200
    shown = moved.json()["item"]
    assert (shown["stage"], shown["notes"], shown["follow_up_on"]) == ("interviewing", "Call on Tue", "2026-12-09")
    assert shown["stage_dates"]["interviewing"] is not None
    cleared = await api.patch(path, json={"follow_up_on": None}, headers=headers)
    assert cleared.json()["item"]["follow_up_on"] is None and cleared.json()["item"]["notes"] == "Call on Tue"
    assert (await api.get("/api/tracker/jobs", params={"stage": "interviewing"}, headers=headers)).json()["items"][0]["id"] == item["id"]
    assert (await api.get("/api/tracker/jobs", params={"stage": "saved,applied"}, headers=headers)).json()["items"] == []

    deleted = await api.delete(path, headers=headers)
    assert deleted.status_code == 200 and deleted.json()["item"]["deleted"] is True
    assert (await api.get(path, headers=headers)).status_code == 404
    assert (await api.get("/api/tracker/lookup", params={"url": LINKEDIN["url"]}, headers=headers)).json()["found"] is False


async def test_another_persons_item_is_not_found_for_every_verb(api):
    _, ada = person()
    _, bob = person()
    item = (await api.post("/api/tracker/jobs", json=LINKEDIN, headers=ada)).json()["item"]
    path = f"/api/tracker/jobs/{item['id']}"
    for answer in (
        await api.get(path, headers=bob),
        await api.patch(path, json={"stage": "offer"}, headers=bob),
        await api.delete(path, headers=bob),
        await api.get("/api/tracker/jobs/not-a-uuid", headers=bob),
    ):
        assert answer.status_code == 404 and answer.json()["error"]["code"] == "NOT_FOUND"
    assert (await api.get("/api/tracker/lookup", params={"url": LINKEDIN["url"]}, headers=bob)).json()["found"] is False
    assert (await api.get(path, headers=ada)).json()["item"]["stage"] == "saved"  # untouched


@pytest.mark.parametrize(
    ("method", "path", "body", "field"),
    [
        ("post", "/api/tracker/jobs", {**LINKEDIN, "url": "not a url"}, "url"),
        ("post", "/api/tracker/jobs", {k: v for k, v in LINKEDIN.items() if k != "title"}, "title"),
        ("post", "/api/tracker/jobs", {**LINKEDIN, "site": "monster"}, "site"),
        ("post", "/api/tracker/jobs", {**LINKEDIN, "stage": "hired"}, "stage"),
        ("post", "/api/tracker/jobs", {**LINKEDIN, "job_id": str(uuid.uuid4())}, "job_id"),
        ("post", "/api/tracker/jobs", {**LINKEDIN, "title": "bad\u0000"}, "title"),
        ("get", "/api/tracker/lookup", None, "url"),
        ("get", "/api/tracker/lookup?url=ftp://x", None, "url"),
        ("get", "/api/tracker/jobs?stage=hired", None, "stage"),
        ("get", "/api/tracker/changes?since=yesterday", None, "since"),
        ("get", "/api/tracker/changes?since=2026-12-01T09:00:00", None, "since"),
        ("get", "/api/tracker/export?format=pdf", None, "format"),
        ("post", "/api/tracker/changes", {"items": [{"id": "x"}]}, "items.0.id"),
        ("post", "/api/tracker/changes", {"things": []}, "items"),
    ],
)
async def test_bad_input_is_a_422_naming_the_field_and_stores_nothing(api, method, path, body, field):
    _, headers = person()
    answer = await api.request(method.upper(), path, json=body, headers=headers)
    assert answer.status_code == 422, answer.text
    error = answer.json()["error"]
    assert error["code"] == "INVALID_REQUEST" and field in error["fields"], error
    assert (await api.get("/api/tracker/jobs", headers=headers)).json()["items"] == []


async def test_patch_with_nothing_to_change_or_a_bad_stage_is_refused(api):
    _, headers = person()
    item = (await api.post("/api/tracker/jobs", json=LINKEDIN, headers=headers)).json()["item"]
    for body, field in (
        ({}, "body"),
        ({"stage": "hired"}, "stage"),
        ({"stage": None}, "stage"),
        ({"follow_up_on": "soon"}, "follow_up_on"),
    ):
        answer = await api.patch(f"/api/tracker/jobs/{item['id']}", json=body, headers=headers)
        assert answer.status_code == 422 and field in answer.json()["error"]["fields"], (body, answer.text)


async def test_without_a_valid_bearer_every_route_is_a_401_with_the_challenge(api):
    for method, path in (
        ("POST", "/api/tracker/jobs"),
        ("GET", "/api/tracker/lookup?url=https://x.com/a"),
        ("GET", "/api/tracker/changes"),
    ):
        bare = await api.request(method, path, json=LINKEDIN)
        assert bare.status_code == 401 and bare.json()["error"]["code"] == "MISSING_TOKEN"
        assert bare.headers["www-authenticate"].startswith("Bearer")
        forged = await api.request(method, path, json=LINKEDIN, headers={"Authorization": "Bearer jsw_" + "x" * 43})
        assert forged.status_code == 401 and forged.json()["error"]["code"] == "INVALID_TOKEN"


async def test_a_personal_api_token_works_as_the_bearer_until_revoked(api):
    with write_session() as session:
        user = users.sign_up(session=session, email="tokens@example.com", password="correct horse battery")
        made = api_tokens.create_api_token(session=session, user=user, name="extension")
    headers = {"Authorization": f"Bearer {made.secret}"}
    assert (await api.post("/api/tracker/jobs", json=LINKEDIN, headers=headers)).status_code == 201
    with write_session() as session:
        api_tokens.revoke_api_token(session=session, user=user, token_id=made.token_row.id)
    assert (await api.get("/api/tracker/jobs", headers=headers)).status_code == 401


async def test_saving_a_result_by_job_id_links_its_other_boards(api):
    owner, headers = person()
    job_id = stored_result(
        owner, sources=[("indeed", "https://www.indeed.com/viewjob?jk=77aa"), ("linkedin", "https://www.linkedin.com/jobs/view/555")]
    )
    body = {"url": "https://www.indeed.com/viewjob?jk=77aa", "title": "Data Engineer", "site": "indeed", "job_id": job_id}
    item = (await api.post("/api/tracker/jobs", json=body, headers=headers)).json()["item"]
    assert item["job_id"] == job_id and item["company"] == "Initech"
    found = await api.get("/api/tracker/lookup", params={"url": "https://linkedin.com/jobs/view/555"}, headers=headers)
    assert found.json()["found"] is True and found.json()["item"]["id"] == item["id"]


async def test_sync_push_applies_the_later_writer_and_notes_the_loser_then_pull_returns_changes(api):
    _, headers = person()
    web = (await api.post("/api/tracker/jobs", json=LINKEDIN, headers=headers)).json()["item"]
    await api.patch(f"/api/tracker/jobs/{web['id']}", json={"stage": "applied"}, headers=headers)
    start = datetime.now(UTC)
    desktop_new = {
        "id": str(uuid.uuid4()),
        "url": "https://www.indeed.com/viewjob?jk=desk1",
        "title": "Backend Engineer",
        "site": "indeed",
        "stage": "saved",
        "updated_at": start.isoformat(),
    }
    stale = {**web, "stage": "withdrawn", "updated_at": (start - timedelta(days=1)).isoformat()}
    pushed = await api.post("/api/tracker/changes", json={"items": [desktop_new, stale]}, headers=headers)
    assert pushed.status_code == 200, pushed.text
    applied, lost = pushed.json()["results"]
    assert (applied["id"], applied["status"], applied["note"]) == (desktop_new["id"], "applied", None)
    assert lost["status"] == "conflict" and lost["item"]["stage"] == "applied" and "server's copy was kept" in lost["note"]
    assert datetime.fromisoformat(pushed.json()["server_time"]) >= start

    everything = (await api.get("/api/tracker/changes", headers=headers)).json()
    assert {item["id"] for item in everything["items"]} == {web["id"], desktop_new["id"]}
    later = (await api.get("/api/tracker/changes", params={"since": everything["next_since"]}, headers=headers)).json()
    assert {item["id"] for item in later["items"]} <= {web["id"], desktop_new["id"]}  # the overlap may repeat, never lose
    future = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert (await api.get(f"/api/tracker/changes?since={future}", headers=headers)).json()["items"] == []  # "+" sent unescaped
    spaced = (await api.get("/api/tracker/changes", params={"since": "2000-01-01 00:00:00Z"}, headers=headers)).json()
    assert len(spaced["items"]) == 2


async def test_export_is_a_file_of_the_trackers_jobs(api):
    _, headers = person()
    await api.post("/api/tracker/jobs", json=LINKEDIN, headers=headers)
    answer = await api.get("/api/tracker/export", params={"format": "csv"}, headers=headers)
    assert answer.status_code == 200 and answer.headers["content-type"].startswith("text/csv")
    assert 'filename="tracker.csv"' in answer.headers["content-disposition"]
    [record] = list(csv.DictReader(io.StringIO(answer.text)))
    assert (record["title"], record["stage"], record["url"]) == ("Senior Python Developer", "saved", LINKEDIN["url"])


async def test_a_huge_body_is_refused_with_413(api):
    _, headers = person()
    answer = await api.post(
        "/api/tracker/jobs", content=b'{"x":"' + b"a" * 300_000 + b'"}', headers={**headers, "content-type": "application/json"}
    )
    assert answer.status_code == 413
