"""POST /licenses/machines: a bound machine lists its license's machines (names, short
fingerprints, last seen); anyone else gets 403/404; a bad body 422; limited like validate."""

import httpx
import pytest
from db_helpers import close_loop_connections

from jobspy_web.api.app import build_api
from jobspy_web.db import write_session
from jobspy_web.licensing import keys, licenses
from jobspy_web.settings import reset_process_state

HERE = "a" * 64
THERE = "b" * 64
STRANGER = "c" * 64


@pytest.fixture
async def api(db, monkeypatch):
    """The API with in-process limits (no Redis)."""
    monkeypatch.delenv("REDIS_URL", raising=False)
    monkeypatch.setenv("LICENSE_MIN_APP_VERSION", "1.0")
    reset_process_state()
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url="http://testserver") as client:
        yield client
    await close_loop_connections()


def issue(**arguments) -> str:
    with write_session() as session:
        issued = licenses.issue_license(session=session, **{"license_type": "pro", "max_machines": 3, **arguments})
    assert issued.key is not None
    return issued.key


async def activate(api, key: str, fingerprint: str, name: str) -> None:
    body = {"license_key": key, "hardware_fp": fingerprint, "app_version": "1.4.2", "name": name}
    answer = await api.post("/licenses/activate", json=body)
    assert answer.status_code == 200 and b'"valid":true' in answer.content.replace(b" ", b""), answer.text


async def machines(api, key: str, fingerprint: str) -> httpx.Response:
    return await api.post("/licenses/machines", json={"license_key": key, "hardware_fp": fingerprint})


async def test_a_bound_machine_sees_every_machine_of_its_license_without_whole_fingerprints(api):
    key = issue()
    await activate(api, key, HERE, "laptop")
    await activate(api, key, THERE, "desktop-at-home")
    answer = await machines(api, key, HERE)
    assert answer.status_code == 200, answer.text
    assert answer.headers["Cache-Control"] == "no-store"
    listed = answer.json()
    assert listed["max_machines"] == 3
    assert [(m["name"], m["this_machine"]) for m in listed["machines"]] == [("laptop", True), ("desktop-at-home", False)]
    assert {m["short_fingerprint"] for m in listed["machines"]} == {HERE[:12], THERE[:12]}
    assert HERE not in answer.text and THERE not in answer.text and key not in answer.text
    assert all(m["last_seen_at"] and m["first_seen_at"] for m in listed["machines"])


async def test_a_machine_not_bound_to_the_key_is_refused_403(api):
    key = issue()
    await activate(api, key, HERE, "laptop")
    answer = await machines(api, key, STRANGER)
    assert answer.status_code == 403 and answer.json()["error"]["code"] == "MACHINE_NOT_FOUND"
    assert "laptop" not in answer.text


async def test_a_deactivated_machine_no_longer_sees_the_list(api):
    key = issue()
    await activate(api, key, HERE, "laptop")
    gone = await api.post("/licenses/deactivate", json={"license_key": key, "hardware_fp": HERE})
    assert gone.status_code == 200
    assert (await machines(api, key, HERE)).status_code == 403


async def test_an_unknown_key_is_404(api):
    unknown = keys.generate_key()
    answer = await machines(api, unknown, HERE)
    assert answer.status_code == 404 and answer.json()["error"]["code"] == "NOT_FOUND"


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"hardware_fp": HERE}, "license_key"),
        ({"license_key": "JSW-NOPE", "hardware_fp": HERE}, "license_key"),
        ({"license_key": "x", "hardware_fp": "short"}, "hardware_fp"),
    ],
)
async def test_a_bad_body_is_422_naming_the_field(api, payload, field):
    answer = await api.post("/licenses/machines", json=payload)
    assert answer.status_code == 422 and field in answer.json()["error"]["fields"]


async def test_it_counts_against_the_key_limit_like_validate(api, monkeypatch):
    monkeypatch.setenv("LICENSE_LIMIT_PER_KEY", "2/minute")
    reset_process_state()
    key = issue()
    await activate(api, key, HERE, "laptop")  # one
    statuses = [(await machines(api, key, HERE)).status_code for _ in range(2)]
    assert statuses == [200, 429]
    assert "Retry-After" in (await machines(api, key, HERE)).headers
