"""GET/POST /api/saved-searches/changes: the desktop app's saved-searches sync, the tracker
sync's contract (Bearer, {items, next_since}, {results, server_time}), the tier's limits
refusing single items with a note."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from jobspy_web.core.tiers import Tier
from jobspy_web.db import write_session
from jobspy_web.saved_searches import store
from tests.api.test_tracker_api import api, person  # noqa: F401  (the fixture and the helper)

URL = "/api/saved-searches/changes"


def desktop_copy(**content) -> dict:
    return {
        "id": str(uuid.uuid4()),
        "updated_at": datetime.now(UTC).isoformat(),
        "name": "Python in Austin",
        "search_terms": ["python developer"],
        "locations": ["Austin, TX"],
        **content,
    }


def saved_on_the_web(owner: uuid.UUID, name: str, tier: str = "pro") -> uuid.UUID:
    data = store.parse_saved_search({"name": name, "search_terms": ["data engineer"], "apprise_urls": ["ntfy://secret-topic"]})
    with write_session() as session:
        return store.create_saved_search(session=session, owner_id=owner, tier=tier, data=data).id


async def test_push_applies_the_later_writer_notes_the_loser_and_pull_returns_changes(api):  # noqa: F811
    owner, headers = person(tier=Tier.PRO)
    web_id = saved_on_the_web(owner, "made on the web")
    start = datetime.now(UTC)
    new = desktop_copy(schedule="daily", hour=7, timezone="America/Chicago")
    stale = desktop_copy(id=str(web_id), name="an old desktop edit", updated_at=(start - timedelta(days=1)).isoformat())
    pushed = await api.post(URL, json={"items": [new, stale]}, headers=headers)
    assert pushed.status_code == 200, pushed.text
    applied, lost = pushed.json()["results"]
    assert (applied["id"], applied["status"], applied["note"]) == (new["id"], "applied", None)
    assert applied["item"]["schedule"] == "daily" and applied["item"]["timezone"] == "America/Chicago"
    assert lost["status"] == "conflict" and lost["item"]["name"] == "made on the web" and "server's copy was kept" in lost["note"]
    assert datetime.fromisoformat(pushed.json()["server_time"]) >= start

    everything = await api.get(URL, headers=headers)
    assert everything.status_code == 200
    body = everything.json()
    assert {item["id"] for item in body["items"]} == {str(web_id), new["id"]}
    assert "secret-topic" not in everything.text and "apprise_urls" not in everything.text  # channels stay on each side
    later = (await api.get(URL, params={"since": body["next_since"]}, headers=headers)).json()
    assert {item["id"] for item in later["items"]} <= {str(web_id), new["id"]}  # the overlap may repeat, never lose
    future = (datetime.now(UTC) + timedelta(minutes=5)).isoformat()
    assert (await api.get(f"{URL}?since={future}", headers=headers)).json()["items"] == []


async def test_a_deletion_on_the_web_is_pulled_as_a_tombstone_and_a_deleted_copy_pushed_removes_it(api):  # noqa: F811
    owner, headers = person(tier=Tier.PRO)
    gone, other = saved_on_the_web(owner, "deleted on the web"), saved_on_the_web(owner, "deleted on the desktop")
    with write_session() as session:
        store.delete_saved_search(session=session, owner_id=owner, saved_search_id=gone)
    items = {item["id"]: item for item in (await api.get(URL, headers=headers)).json()["items"]}
    assert items[str(gone)]["deleted"] is True and "name" not in items[str(gone)]
    deletion = {"id": str(other), "updated_at": datetime.now(UTC).isoformat(), "deleted": True}
    [result] = (await api.post(URL, json={"items": [deletion]}, headers=headers)).json()["results"]
    assert result["status"] == "applied" and result["item"]["deleted"] is True
    listed = await api.get("/api/saved-searches", headers=headers)
    assert listed.status_code == 200 and "deleted on the desktop" not in listed.text


async def test_the_free_plan_limit_refuses_single_items_with_a_note_not_a_500(api):  # noqa: F811
    owner, headers = person(tier=Tier.FREE)
    for index in range(3):
        saved_on_the_web(owner, f"web {index}", tier="free")
    over, scheduled = desktop_copy(name="a fourth"), desktop_copy(name="scheduled", schedule="hourly")
    pushed = await api.post(URL, json={"items": [over, scheduled]}, headers=headers)
    assert pushed.status_code == 200, pushed.text
    [limited, needs_pro] = pushed.json()["results"]
    assert limited["status"] == "refused" and "allows 3 saved searches" in limited["note"] and limited["item"] is None
    assert needs_pro["status"] == "refused" and needs_pro["note"]
    assert len((await api.get(URL, headers=headers)).json()["items"]) == 3


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"items": [{"name": "no id"}]}, "items.0.id"),
        ({"items": [{"id": "not-a-uuid", "updated_at": "2026-12-01T00:00:00Z"}]}, "items.0.id"),
        ({"items": [{"id": str(uuid.uuid4()), "updated_at": "2026-12-01T00:00:00"}]}, "items.0.updated_at"),
        ({"items": [{"id": str(uuid.uuid4()), "updated_at": "2026-12-01T00:00:00Z", "colour": "red"}]}, "items.0.colour"),
        ({"things": []}, "things"),
    ],
)
async def test_a_malformed_push_is_a_422_naming_the_field_and_stores_nothing(api, body, field):  # noqa: F811
    _, headers = person(tier=Tier.PRO)
    answer = await api.post(URL, json=body, headers=headers)
    assert answer.status_code == 422, answer.text
    assert field in answer.json()["error"]["fields"]
    assert (await api.get(URL, headers=headers)).json()["items"] == []


async def test_a_repeated_id_or_a_future_time_refuses_the_batch_and_a_bad_since_is_422(api):  # noqa: F811
    _, headers = person(tier=Tier.PRO)
    twice = desktop_copy()
    repeated = await api.post(URL, json={"items": [twice, twice]}, headers=headers)
    assert repeated.status_code == 422 and "items.1.id" in repeated.json()["error"]["fields"]
    ahead = desktop_copy(updated_at=(datetime.now(UTC) + timedelta(hours=2)).isoformat())
    future = await api.post(URL, json={"items": [ahead]}, headers=headers)
    assert future.status_code == 422 and "items.0.updated_at" in future.json()["error"]["fields"]
    bad_since = await api.get(URL, params={"since": "yesterday"}, headers=headers)
    assert bad_since.status_code == 422 and "since" in bad_since.json()["error"]["fields"]


async def test_without_a_bearer_both_routes_are_401_and_someone_elses_id_is_refused(api):  # noqa: F811
    assert (await api.get(URL)).status_code == 401
    assert (await api.post(URL, json={"items": []})).status_code == 401
    bob, _ = person(tier=Tier.PRO)
    bobs = saved_on_the_web(bob, "bob's")
    _, headers = person(tier=Tier.PRO)
    [result] = (await api.post(URL, json={"items": [desktop_copy(id=str(bobs), name="mine now")]}, headers=headers)).json()["results"]
    assert result["status"] == "refused" and result["item"] is None
