"""accounts.local_premium against a real server process: with a Pro license key the desktop
gets a token by the license-key grant, reads salary insights, and syncs its tracker with the
license owner's account, last writer wins, a conflict kept as a note; the same for saved
searches."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest

from jobspy_web.accounts import local_mode, local_premium
from jobspy_web.client import PremiumError
from jobspy_web.db import write_session
from jobspy_web.models.tracker import TrackerStage
from jobspy_web.saved_searches import store
from jobspy_web.tracker import items
from jobspy_web.tracker.inputs import TrackedJobCreate, TrackedJobUpdate
from tests.api_server import ApiServer
from tests.desktop.conftest import issue_key

PASSWORD = "correct horse battery"
JOB_URL = "https://www.linkedin.com/jobs/view/4012345678/"


@pytest.fixture
def owner(license_server: ApiServer) -> str:
    """The license owner's account on the server (one per test: the server is the module's)."""
    email = f"owner-{uuid.uuid4().hex[:8]}@example.com"
    license_server.cli("user", "create", "--email", email, "--verified", JOBSPY_NEW_PASSWORD=PASSWORD)
    return email


@pytest.fixture
def owner_token(license_server: ApiServer, owner: str) -> str:
    """A token for the owner's account, as the web app has."""
    answer = httpx.post(f"{license_server.url}/auth/token", json={"email": owner, "password": PASSWORD}, timeout=10)
    assert answer.status_code == 200, answer.text
    return str(answer.json()["access_token"])


def _licensed(server: ApiServer, owner: str) -> None:
    printed = server.cli("license", "issue", "--email", owner, "--type", "pro", "--days", "30")
    key = next(line.split()[1] for line in printed.splitlines() if line.startswith("key:"))
    with write_session() as session:
        assert local_mode.enter_key(session=session, key=key).licensed


def _server_item(server: ApiServer, token: str) -> dict:
    found = httpx.get(f"{server.url}/api/tracker/lookup", params={"url": JOB_URL}, headers={"Authorization": f"Bearer {token}"})
    assert found.status_code == 200, found.text
    return found.json()


def _sync() -> local_premium.SyncReport:
    with write_session() as session:
        return local_premium.sync_tracker(session=session)


def test_without_a_pro_license_premium_features_say_so(desktop: Path, license_server: ApiServer) -> None:
    with pytest.raises(PremiumError, match="Pro license"):
        local_premium.salary_insights(title="Python Developer")
    issue_key(license_server)  # a key exists, but this machine never entered it
    with pytest.raises(PremiumError, match="Pro license"), write_session() as session:
        local_premium.sync_tracker(session=session)


def test_salary_insights_come_from_the_server_with_the_license_key(
    desktop: Path, license_server: ApiServer, owner: str, owner_token: str
) -> None:
    _licensed(license_server, owner)
    answer = local_premium.salary_insights(title="Python Developer", location="Austin, TX")
    assert answer["query"]["title"] and "yearly" in answer and answer["currency"] == "USD"
    assert answer["sample_size"] == 0  # an empty server: no postings with pay yet, said so


def test_tracker_sync_both_ways_last_writer_wins_with_a_conflict_note(
    desktop: Path, license_server: ApiServer, owner: str, owner_token: str
) -> None:
    _licensed(license_server, owner)
    with write_session() as session:
        owner = local_mode.ensure_local_user(session=session)
        posting = TrackedJobCreate(url=JOB_URL, title="Senior Python Developer", company="Acme Robotics", site="linkedin")
        local_id = items.save_job(session=session, owner_id=owner.id, posting=posting).item.id

    first = _sync()
    assert first.sent == 1 and not first.notes
    on_server = _server_item(license_server, owner_token)
    assert on_server["found"] and on_server["item"]["title"] == "Senior Python Developer"

    # Changed on the account (the web app), then synced down.
    server_id = on_server["item"]["id"]
    auth = {"Authorization": f"Bearer {owner_token}"}
    moved = httpx.patch(f"{license_server.url}/api/tracker/jobs/{server_id}", json={"stage": "applied"}, headers=auth)
    assert moved.status_code == 200, moved.text
    second = _sync()
    assert second.received >= 1
    with write_session() as session:
        assert items.get_item(session=session, owner_id=owner.id, item_id=local_id).stage == TrackerStage.APPLIED

    # Changed on both: here first, on the account later; the account's change wins, visibly.
    with write_session() as session:
        changes = TrackedJobUpdate(stage=TrackerStage.INTERVIEWING)
        items.update_item(session=session, owner_id=owner.id, item_id=local_id, changes=changes)
    later = httpx.patch(f"{license_server.url}/api/tracker/jobs/{server_id}", json={"stage": "offer"}, headers=auth)
    assert later.status_code == 200, later.text
    third = _sync()
    assert third.notes and "Senior Python Developer" in third.notes[0]
    assert local_premium.last_sync().notes == third.notes  # the Settings page shows them
    with write_session() as session:
        assert items.get_item(session=session, owner_id=owner.id, item_id=local_id).stage == TrackerStage.OFFER
    assert _server_item(license_server, owner_token)["item"]["stage"] == "offer"


def _server_saved_searches(server: ApiServer, token: str) -> dict[str, dict]:
    pulled = httpx.get(f"{server.url}/api/saved-searches/changes", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert pulled.status_code == 200, pulled.text
    return {item["id"]: item for item in pulled.json()["items"]}


def _push_from_the_web(server: ApiServer, token: str, item: dict) -> dict:
    pushed = httpx.post(
        f"{server.url}/api/saved-searches/changes", json={"items": [item]}, headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert pushed.status_code == 200, pushed.text
    [result] = pushed.json()["results"]
    assert result["status"] == "applied", result
    return result


def test_saved_searches_sync_both_ways_last_writer_wins_with_a_conflict_note(
    desktop: Path, license_server: ApiServer, owner: str, owner_token: str
) -> None:
    _licensed(license_server, owner)
    with write_session() as session:
        me = local_mode.ensure_local_user(session=session)
        data = store.parse_saved_search({"name": "Python in Austin", "search_terms": ["python developer"], "locations": ["Austin, TX"]})
        local_id = store.create_saved_search(session=session, owner_id=me.id, tier="pro", data=data).id

    first = _sync()
    assert first.searches_sent == 1 and not first.notes
    on_server = _server_saved_searches(license_server, owner_token)[str(local_id)]
    assert on_server["name"] == "Python in Austin" and on_server["locations"] == ["Austin, TX"]

    # Changed on the account, then synced down.
    renamed = {**on_server, "name": "Python anywhere", "updated_at": datetime.now(UTC).isoformat()}
    del renamed["created_at"]
    _push_from_the_web(license_server, owner_token, renamed)
    second = _sync()
    assert second.searches_received >= 1 and not second.notes
    with write_session() as session:
        assert store.get_saved_search(session=session, owner_id=me.id, saved_search_id=local_id).name == "Python anywhere"

    # Changed on both: here first, on the account later; the account's change wins, visibly.
    with write_session() as session:
        data = store.parse_saved_search({"name": "Python on this computer", "search_terms": ["python developer"]})
        store.update_saved_search(session=session, owner_id=me.id, saved_search_id=local_id, tier="pro", data=data)
    later = {**renamed, "name": "Python on the web", "updated_at": (datetime.now(UTC) + timedelta(seconds=1)).isoformat()}
    _push_from_the_web(license_server, owner_token, later)
    third = _sync()
    assert any("Python on this computer" in note and "server's copy was kept" in note for note in third.notes), third.notes
    assert local_premium.last_sync().notes == third.notes  # the Settings page shows them
    with write_session() as session:
        assert store.get_saved_search(session=session, owner_id=me.id, saved_search_id=local_id).name == "Python on the web"
    assert _server_saved_searches(license_server, owner_token)[str(local_id)]["name"] == "Python on the web"
