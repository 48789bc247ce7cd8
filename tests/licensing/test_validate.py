"""licensing.validate: a validation cache miss on PostgreSQL, answered by one statement
(licensing.store.MISS) on a few asyncpg connections (infra.pg_connections). It must answer
as licensing.licenses would, count each validation exactly once, touch only machines it may,
and never cache an answer a change to the license has retired.

Every test runs with the in-process cache and with Redis (DB 10, flushed around each test).
"""

import asyncio
import base64
import json
import re
import secrets
from collections.abc import Callable
from datetime import timedelta

import asyncpg
import httpx
import pytest
import redis
from db_helpers import close_loop_connections
from redis_helpers import redis_test_url
from sqlalchemy import text
from sqlmodel import select

from jobspy_web.api.app import build_api
from jobspy_web.db import primary_engine, read_session, write_session
from jobspy_web.infra import pg_reads
from jobspy_web.infra.cache import MemoryCache, RedisCache, get_cache
from jobspy_web.licensing import keys, licenses
from jobspy_web.licensing import validate as validating
from jobspy_web.licensing.licenses import LicenseCode, LicenseError
from jobspy_web.licensing.signing import get_signer
from jobspy_web.models import License, LicenseMachine
from jobspy_web.models.base import utcnow
from jobspy_web.settings import reset_process_state

REDIS_TEST_URL = redis_test_url(10)
HERE = "a" * 64
THERE = "b" * 64
VERSION = "1.2.0"
OLD_VERSION = "0.9.0"
APPLICATION_NAME = "jobspy-license-validate"  # what the hot path's connections call themselves


def _fresh_state() -> None:
    reset_process_state()


def _flush_redis() -> None:
    client = redis.Redis.from_url(REDIS_TEST_URL)
    try:
        client.flushdb()
    finally:
        client.close()


@pytest.fixture
async def server(pg_db, monkeypatch):
    """The License Server's settings on PostgreSQL, caching in Redis (without Redis no
    answer is cached: licensing.licenses)."""
    async for kind in _serve("redis", monkeypatch):
        yield kind


@pytest.fixture
async def memory_server(pg_db, monkeypatch):
    """`server` without Redis (limits in memory, no answer cache): for what the cache doesn't change."""
    async for kind in _serve("memory", monkeypatch):
        yield kind


async def _serve(kind: str, monkeypatch):
    url = REDIS_TEST_URL if kind == "redis" else ""
    monkeypatch.setenv("REDIS_URL", url)
    monkeypatch.setenv("LICENSE_MIN_APP_VERSION", "1.0.0")
    monkeypatch.setenv("LICENSE_LIMIT_PER_IP", "100000/minute")
    monkeypatch.setenv("LICENSE_LIMIT_PER_KEY", "100000/minute")
    if url:
        _flush_redis()
    _fresh_state()
    assert pg_reads.on_postgresql()
    assert isinstance(get_cache(), RedisCache if url else MemoryCache)
    yield kind
    await close_loop_connections()
    if url:
        _flush_redis()
    _fresh_state()


@pytest.fixture
async def api(server):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url="http://testserver") as client:
        yield client


# --- helpers ------------------------------------------------------------------------------


def issue(**overrides) -> licenses.IssuedLicense:
    arguments = {"license_type": "pro", "days": None if "expires_at" in overrides else 30, **overrides}
    with write_session() as session:
        issued = licenses.issue_license(session=session, **arguments)
    assert issued.key is not None
    return issued


def manage(verb, issued: licenses.IssuedLicense, **kwargs) -> None:
    with write_session() as session:
        verb(session=session, license_id=issued.license.id, **kwargs)


def full(key: str, fingerprint: str = HERE, app_version: str = VERSION, *, counted: bool = False) -> licenses.SignedAnswer:
    """licensing.licenses' answer from the database (the thread path, the reference)."""
    with write_session() as session:
        return licenses.answer_from_database(session=session, key=key, fingerprint=fingerprint, app_version=app_version, counted=counted)


def activate(key: str, *fingerprints: str) -> None:
    for fingerprint in fingerprints:
        assert verified(full(key, fingerprint))["valid"] is True


def cache_keys(key: str, fingerprint: str) -> licenses.CacheKeys:
    return licenses.answer_cache_keys(key_hash=keys.hash_key(key), fingerprint=fingerprint)


def current_generation(key: str, fingerprint: str = HERE) -> int:
    """What the route reads before a miss: the license's answers' generation (absent: 0)."""
    return get_cache().get(cache_keys(key, fingerprint)[1]) or 0


def cached(key: str, fingerprint: str = HERE):
    return get_cache().get(cache_keys(key, fingerprint)[0])


async def hot(
    key: str,
    fingerprint: str = HERE,
    app_version: str = VERSION,
    *,
    read: licenses.CacheKeys | None = None,
    generation: int | None = None,
    now=None,
) -> licenses.SignedAnswer | None:
    """The hot path, as the route calls it after reading `read` (now, by default) and
    finding `generation` there."""
    read = read or cache_keys(key, fingerprint)
    if generation is None:
        generation = get_cache().get(read.generation) or 0
    body = validating.ValidateRequest.model_construct(license_key=key, hardware_fp=fingerprint, app_version=app_version)
    answer, counted = await validating._miss(body, keys.hash_key(key), generation, now or utcnow())
    assert counted
    return answer


async def hot_then_full(key: str, fingerprint: str = HERE, app_version: str = VERSION) -> tuple[licenses.SignedAnswer, bool]:
    """A miss as the route answers it, and whether the hot path answered it alone."""
    answer = await hot(key, fingerprint, app_version)
    if answer is not None:
        return answer, True
    return await asyncio.to_thread(full, key, fingerprint, app_version, counted=True), False


def verified(answer: licenses.SignedAnswer) -> dict:
    """The answer's body, once its signature is checked."""
    signature = re.search(r'signature="([^"]+)"', answer.signature)
    assert signature is not None
    get_signer().private_key.public_key().verify(base64.b64decode(signature.group(1)), answer.body)
    return json.loads(answer.body)


def without_checked_at(body: dict) -> dict:
    return {name: value for name, value in body.items() if name != "checked_at"}


def stored(key: str) -> License | None:
    with read_session() as session:
        return session.exec(select(License).where(License.license_key_hash == keys.hash_key(key))).one_or_none()


def count(key: str) -> int | None:
    license = stored(key)
    return None if license is None else license.validation_count


def machines(key: str) -> dict[str, LicenseMachine]:
    license = stored(key)
    assert license is not None
    with read_session() as session:
        found = session.exec(select(LicenseMachine).where(LicenseMachine.license_id == license.id))
        return {machine.fingerprint: machine for machine in found}


def fingerprints(prefix: str, how_many: int) -> list[str]:
    return [f"{prefix}-{n:03d}".ljust(64, "x") for n in range(how_many)]


def hot_path_backends(*, waiting_for_a_lock: bool = False, running: bool = False) -> list[int]:
    """The pids of this database's sessions opened by the pipeline's connections (`running`: only
    those running a statement)."""
    query = "SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND application_name = :name"
    if waiting_for_a_lock:
        query += " AND wait_event_type = 'Lock'"
    if running:
        query += " AND state = 'active'"
    with primary_engine().connect() as connection:
        return list(connection.execute(text(query), {"name": APPLICATION_NAME}).scalars())


async def wait_until(condition: Callable[[], bool], *, timeout_s: float = 5.0) -> None:
    async with asyncio.timeout(timeout_s):
        while not condition():
            await asyncio.sleep(0.02)


# --- 1. the same answer as licensing.licenses, code by code --------------------------------------


def _valid_seen_again():
    issued = issue()
    activate(issued.key, HERE)
    return issued.key, HERE, VERSION


def _valid_new_machine():
    return issue().key, HERE, VERSION


def _valid_perpetual_team():
    issued = issue(license_type="team", days=None)
    activate(issued.key, HERE)
    return issued.key, HERE, VERSION


def _not_found():
    return keys.generate_key(), HERE, VERSION


def _changed(verb, **kwargs):
    def setup():
        issued = issue()
        activate(issued.key, HERE)
        manage(verb, issued, **kwargs)
        return issued.key, HERE, VERSION

    return setup


def _revoked_and_expired():
    issued = issue()
    activate(issued.key, HERE)
    manage(licenses.expire_license, issued, at=utcnow() - timedelta(days=1))
    manage(licenses.revoke_license, issued)
    return issued.key, HERE, OLD_VERSION


def _suspended_and_expired():
    issued = issue()
    activate(issued.key, HERE)
    manage(licenses.expire_license, issued, at=utcnow() - timedelta(days=1))
    manage(licenses.suspend_license, issued)
    return issued.key, HERE, VERSION


def _expired_and_old_app():
    issued = issue()
    activate(issued.key, HERE)
    manage(licenses.expire_license, issued, at=utcnow() - timedelta(minutes=1))
    return issued.key, HERE, OLD_VERSION


def _old_app():
    issued = issue()
    activate(issued.key, HERE)
    return issued.key, HERE, OLD_VERSION


def _old_app_on_a_full_license():
    issued = issue(max_machines=1)
    activate(issued.key, THERE)
    return issued.key, HERE, OLD_VERSION  # step 5 comes before step 6


def _bound_elsewhere():
    issued = issue(max_machines=1)
    activate(issued.key, THERE)
    return issued.key, HERE, VERSION


def _full_multi_machine():
    issued = issue(license_type="pro")  # three machines
    activate(issued.key, *fingerprints("full", 3))
    return issued.key, HERE, VERSION


def _downgraded(position: int):
    def setup():
        issued = issue(license_type="team")  # ten machines
        activated = fingerprints("down", 5)
        activate(issued.key, *activated)
        manage(licenses.change_license_type, issued, license_type="pro")  # three
        return issued.key, activated[position], VERSION

    return setup


PARITY = [
    # name, setup, code, answered by the hot path alone (else it hands over a machine to bind)
    ("valid-seen-again", _valid_seen_again, None, True),
    ("valid-new-machine", _valid_new_machine, None, False),
    ("valid-perpetual", _valid_perpetual_team, None, True),
    ("not-found", _not_found, LicenseCode.NOT_FOUND, True),
    ("revoked", _changed(licenses.revoke_license), LicenseCode.REVOKED, True),
    ("revoked-before-expired", _revoked_and_expired, LicenseCode.REVOKED, True),
    ("suspended", _changed(licenses.suspend_license), LicenseCode.SUSPENDED, True),
    ("suspended-before-expired", _suspended_and_expired, LicenseCode.SUSPENDED, True),
    ("expired", _changed(licenses.expire_license, at=utcnow() - timedelta(minutes=1)), LicenseCode.EXPIRED, True),
    ("expired-before-old-app", _expired_and_old_app, LicenseCode.EXPIRED, True),
    ("version-unsupported", _old_app, LicenseCode.VERSION_UNSUPPORTED, True),
    ("version-before-machines", _old_app_on_a_full_license, LicenseCode.VERSION_UNSUPPORTED, True),
    ("fingerprint-mismatch", _bound_elsewhere, LicenseCode.FINGERPRINT_MISMATCH, False),
    ("too-many-machines", _full_multi_machine, LicenseCode.TOO_MANY_MACHINES, False),
    ("kept-after-downgrade", _downgraded(2), None, True),
    ("past-max-after-downgrade", _downgraded(3), LicenseCode.TOO_MANY_MACHINES, False),
]


@pytest.mark.parametrize(("setup", "code", "by_hot_path"), [case[1:] for case in PARITY], ids=[case[0] for case in PARITY])
async def test_each_answer_is_the_one_services_licenses_gives(memory_server, setup, code, by_hot_path):
    key, fingerprint, app_version = setup()
    before = count(key)
    answer, alone = await hot_then_full(key, fingerprint, app_version)
    assert alone is by_hot_path
    after_the_miss = count(key)
    reference = full(key, fingerprint, app_version)  # the same state, decided by licensing.licenses
    body = verified(answer)
    assert without_checked_at(body) == without_checked_at(verified(reference))
    assert body["valid"] is (code is None) and body.get("code") == (code.value if code else None)
    assert body["hardware_fp"] == fingerprint
    if code is None:
        assert set(body) == {"valid", "license_type", "features", "expires_at", "hardware_fp", "checked_at"}
        assert body["features"] and body["license_type"] in licenses.LICENSE_TYPES
    else:
        assert body["reason"] == licenses.REASONS[code]
    if before is None:
        assert code is LicenseCode.NOT_FOUND
    else:  # counted once by the miss (even when the thread finished it), once by the reference
        assert (after_the_miss, count(key)) == (before + 1, before + 2)


# --- 2, 3. seen again, and new machines ------------------------------------------------------


async def test_an_activated_machine_is_answered_counted_and_touched_on_the_event_loop(server):
    issued = issue()
    activate(issued.key, HERE, THERE)
    license_before, machines_before = stored(issued.key), machines(issued.key)
    now = utcnow() + timedelta(minutes=5)
    answer = await hot(issued.key, HERE, "1.7.3", now=now)
    assert answer is not None
    body = verified(answer)
    assert body["valid"] is True and body["checked_at"] == now.isoformat(timespec="seconds")
    license = stored(issued.key)
    assert license.validation_count == license_before.validation_count + 1
    assert license.last_validated_at == now
    assert license.updated_at == license_before.updated_at  # a validation is not an edit
    after = machines(issued.key)
    assert (after[HERE].last_seen_at, after[HERE].app_version) == (now, "1.7.3")
    assert after[HERE].first_seen_at == machines_before[HERE].first_seen_at
    assert (after[THERE].last_seen_at, after[THERE].app_version) == (machines_before[THERE].last_seen_at, VERSION)
    # Cached as sent: the next request for this machine is a hit that sends the same bytes.
    entry = cached(issued.key, HERE)
    assert entry is not None and (entry["body"], entry["signature"]) == (answer.body.decode(), answer.signature)
    assert licenses.answer_from_cache(entry, fingerprint=HERE, app_version="1.7.3") == answer


async def test_a_new_machine_is_counted_by_the_hot_path_and_bound_by_the_full_path_without_a_second_count(server):
    issued = issue()
    activate(issued.key, THERE)
    before = count(issued.key)
    assert await hot(issued.key, HERE) is None
    assert count(issued.key) == before + 1  # counted already
    assert HERE not in machines(issued.key) and cached(issued.key, HERE) is None
    answer = await asyncio.to_thread(full, issued.key, HERE, "1.3.0", counted=True)
    assert verified(answer)["valid"] is True
    assert count(issued.key) == before + 1  # not + 2
    assert machines(issued.key)[HERE].app_version == "1.3.0"
    entry = cached(issued.key, HERE)
    assert entry is not None and entry["body"] == answer.body.decode()
    # From now on the machine is seen again: the hot path answers it alone.
    get_cache().delete(cache_keys(issued.key, HERE)[0])
    again = await hot(issued.key, HERE)
    assert again is not None and verified(again)["valid"] is True
    assert count(issued.key) == before + 2


async def test_a_first_validate_through_the_api_counts_once_and_binds_the_machine(api):
    issued = issue()
    response = await api.post("/licenses/validate", json={"license_key": issued.key, "hardware_fp": HERE, "app_version": VERSION})
    assert response.status_code == 200 and response.json()["valid"] is True
    assert count(issued.key) == 1 and set(machines(issued.key)) == {HERE}


# --- 4. generations: an answer from before a change is sent, never cached ------------------------


async def test_an_answer_read_at_an_older_generation_is_sent_but_not_cached(server):
    issued = issue()
    activate(issued.key, HERE)
    read = cache_keys(issued.key, HERE)
    old = current_generation(issued.key)
    manage(licenses.revoke_license, issued)  # forgets the license's answers: a new generation
    answer = await hot(issued.key, HERE, read=read, generation=old)
    assert answer is not None and verified(answer)["code"] == "REVOKED"
    assert cached(issued.key, HERE) is None, "cached although the generation read before the statement is stale"
    assert current_generation(issued.key) == old + 1
    current = await hot(issued.key, HERE)  # read at the current generation: cached
    assert current is not None
    entry = cached(issued.key, HERE)
    assert entry is not None and entry["body"] == current.body.decode() and entry["code"] == "REVOKED"


async def test_a_revoke_between_the_statement_and_the_caching_is_not_outlived(api, monkeypatch):
    """The race the generation exists for: the statement decides "valid", a revoke commits and
    forgets the license's answers, then the hot path caches. The next validate must be REVOKED.

    """
    issued = issue()
    activate(issued.key, HERE)
    get_cache().delete(cache_keys(issued.key, HERE)[0])  # the next validate is a miss
    fetch_row = validating._fetch_row

    async def fetch_then_revoke(*arguments):
        row = await fetch_row(*arguments)
        await asyncio.to_thread(manage, licenses.revoke_license, issued)
        return row

    monkeypatch.setattr(validating, "_fetch_row", fetch_then_revoke)
    payload = {"license_key": issued.key, "hardware_fp": HERE, "app_version": VERSION}
    first = await api.post("/licenses/validate", json=payload)
    assert first.json()["valid"] is True  # decided before the revoke: fine to send
    monkeypatch.setattr(validating, "_fetch_row", fetch_row)
    second = (await api.post("/licenses/validate", json=payload)).json()
    assert second["valid"] is False and second["code"] == "REVOKED", f"a revoked key still validates (from the cache): {second}"
    entry = cached(issued.key, HERE)
    assert entry is not None and entry["code"] == "REVOKED"  # the second answer's, cached at the new generation


# --- 5. concurrency ------------------------------------------------------------------------


async def test_concurrent_hot_path_validations_count_exactly(server):
    issued = issue(license_type="team")
    activated = fingerprints("seen", 5)
    activate(issued.key, *activated)
    before, machines_before = count(issued.key), machines(issued.key)
    answers = await asyncio.gather(*(hot(issued.key, activated[n % 5]) for n in range(40)))
    assert all(answer is not None and verified(answer)["valid"] is True for answer in answers)
    assert count(issued.key) == before + 40
    after = machines(issued.key)
    assert all(after[fingerprint].last_seen_at > machines_before[fingerprint].last_seen_at for fingerprint in activated)
    assert 0 < len(hot_path_backends()) <= validating.CONNECTIONS_PER_WORKER


async def test_concurrent_misses_through_the_api_count_exactly(api):
    issued = issue(max_machines=40)
    everyone = [secrets.token_hex(32) for _ in range(40)]

    async def validate_all() -> list[dict]:
        responses = await asyncio.gather(
            *(
                api.post("/licenses/validate", json={"license_key": issued.key, "hardware_fp": fp, "app_version": VERSION})
                for fp in everyone
            )
        )
        assert [response.status_code for response in responses] == [200] * 40
        return [response.json() for response in responses]

    assert all(body["valid"] for body in await validate_all())  # new machines: counted by the hot path, bound in a thread
    assert count(issued.key) == 40 and len(machines(issued.key)) == 40
    for fingerprint in everyone:
        get_cache().delete(cache_keys(issued.key, fingerprint)[0])
    assert all(body["valid"] for body in await validate_all())  # misses again: the hot path alone
    assert count(issued.key) == 80
    assert all(body["valid"] for body in await validate_all())  # hits, cached by the misses
    assert count(issued.key) == 80


async def test_concurrent_new_machines_through_the_api_fill_a_license_exactly(api):
    issued = issue(max_machines=5)
    everyone = [secrets.token_hex(32) for _ in range(20)]
    responses = await asyncio.gather(
        *(api.post("/licenses/validate", json={"license_key": issued.key, "hardware_fp": fp, "app_version": VERSION}) for fp in everyone)
    )
    bodies = [response.json() for response in responses]
    assert sorted(body.get("code", "valid") for body in bodies) == ["TOO_MANY_MACHINES"] * 15 + ["valid"] * 5
    bound = {fp for fp, body in zip(everyone, bodies, strict=True) if body["valid"]}
    assert set(machines(issued.key)) == bound
    assert count(issued.key) == 20


# --- 6. refused validations leave the machine alone -------------------------------------------------


@pytest.mark.parametrize(
    ("change", "app_version", "code", "cacheable"),
    [
        (None, OLD_VERSION, LicenseCode.VERSION_UNSUPPORTED, False),
        (lambda issued: manage(licenses.revoke_license, issued), VERSION, LicenseCode.REVOKED, True),
        (lambda issued: manage(licenses.suspend_license, issued), VERSION, LicenseCode.SUSPENDED, True),
        (lambda issued: manage(licenses.expire_license, issued, at=utcnow() - timedelta(seconds=1)), VERSION, LicenseCode.EXPIRED, True),
    ],
    ids=["version-unsupported", "revoked", "suspended", "expired"],
)
async def test_a_refused_validation_does_not_touch_the_machine(server, change, app_version, code, cacheable):
    issued = issue()
    activate(issued.key, HERE)
    if change is not None:
        change(issued)
    get_cache().delete(cache_keys(issued.key, HERE)[0])  # activate() cached its answer
    before, machine_before = count(issued.key), machines(issued.key)[HERE]
    answer = await hot(issued.key, HERE, app_version, now=utcnow() + timedelta(minutes=1))
    assert answer is not None and verified(answer)["code"] == code.value
    machine = machines(issued.key)[HERE]
    assert (machine.last_seen_at, machine.app_version) == (machine_before.last_seen_at, machine_before.app_version)
    assert count(issued.key) == before + 1  # still a validation
    entry = cached(issued.key, HERE)
    if cacheable:
        assert entry is not None and entry["code"] == code.value and entry["body"] == answer.body.decode()
    else:
        assert entry is None  # depends on the request, not the license


async def test_an_unsupported_app_on_a_new_machine_is_answered_without_binding_it(server):
    issued = issue(max_machines=1)
    answer = await hot(issued.key, HERE, OLD_VERSION)
    assert answer is not None and verified(answer)["code"] == "VERSION_UNSUPPORTED"
    assert machines(issued.key) == {} and cached(issued.key, HERE) is None
    assert count(issued.key) == 1
    answer, alone = await hot_then_full(issued.key, THERE)  # the slot is still free
    assert verified(answer)["valid"] is True and not alone


# --- 7. interrupted calls ---------------------------------------------------------------------------


async def test_a_call_cancelled_mid_statement_does_not_poison_later_calls(server):
    issued = issue()
    activate(issued.key, HERE)
    before = count(issued.key)
    assert await hot(issued.key, HERE) is not None  # a connection, idle in the set
    connections = validating._connections()
    holder = primary_engine().connect()
    transaction = holder.begin()
    try:
        holder.execute(text("SELECT id FROM licenses WHERE id = :id FOR UPDATE"), {"id": issued.license.id})
        call = asyncio.create_task(hot(issued.key, HERE))
        await wait_until(lambda: len(hot_path_backends(waiting_for_a_lock=True)) == 1)
        (orphan,) = hot_path_backends(waiting_for_a_lock=True)
        call.cancel()
        with pytest.raises(asyncio.CancelledError):
            await call
        # The connection was interrupted mid-reply: asyncpg cancels its statement, and the
        # connection stays in the list, no more of them than allowed.
        assert connections.size <= validating.CONNECTIONS_PER_WORKER
    finally:
        transaction.rollback()
        holder.close()
    # Its backend, waiting on the lock, runs the statement once the lock is free (asyncpg
    # asked the server to cancel it, which may come too late). Let it finish before counting.
    await wait_until(lambda: orphan not in hot_path_backends(running=True))
    settled = count(issued.key)
    # The warm-up call, and the cancelled one if its backend committed before it saw the client
    # gone (it does, today: without client_connection_check_interval nothing looks sooner).
    assert settled in (before + 1, before + 2)
    answers = await asyncio.gather(*(hot(issued.key, HERE) for _ in range(3)))
    assert all(answer is not None and verified(answer)["valid"] is True for answer in answers)
    assert count(issued.key) == settled + 3


async def test_a_statement_the_server_refuses_gives_its_connection_back(server):
    issued = issue()
    activate(issued.key, HERE)
    assert await hot(issued.key, HERE) is not None
    connections = validating._connections()
    with pytest.raises(asyncpg.PostgresError):  # a NUL is not text to PostgreSQL
        await hot(issued.key, "nul\x00" + HERE)
    assert connections.idle == connections.size == 1  # given back, not closed
    before = count(issued.key)
    assert await hot(issued.key, HERE) is not None
    assert count(issued.key) == before + 1


async def test_a_call_that_times_out_frees_its_slot_ends_its_statement_and_later_calls_work(memory_server, monkeypatch):
    monkeypatch.setattr(validating, "TIMEOUT_S", 0.2)
    issued = issue()
    activate(issued.key, HERE)
    before = count(issued.key)
    holder = primary_engine().connect()
    transaction = holder.begin()
    try:
        holder.execute(text("SELECT id FROM licenses WHERE id = :id FOR UPDATE"), {"id": issued.license.id})
        with pytest.raises(LicenseError) as busy:
            await hot(issued.key, HERE)
        assert (busy.value.code, busy.value.status, busy.value.retry_after_s) == ("BUSY", 503, 1)
        assert validating._connections().size <= validating.CONNECTIONS_PER_WORKER
        # The server ends the statement too (statement_timeout on these connections): no
        # backend is left waiting on the lock to count a validation nobody got an answer for.
        await wait_until(lambda: not hot_path_backends(waiting_for_a_lock=True))
    finally:
        transaction.rollback()
        holder.close()
    assert count(issued.key) == before
    monkeypatch.setattr(validating, "TIMEOUT_S", 10.0)
    assert await hot(issued.key, HERE) is not None
    assert count(issued.key) == before + 1


async def test_a_validate_stuck_behind_a_row_lock_gets_503_with_retry_after(server, monkeypatch):
    monkeypatch.setattr(validating, "TIMEOUT_S", 0.2)
    issued = issue()
    activate(issued.key, HERE)
    get_cache().delete(cache_keys(issued.key, HERE).answer)  # the next validate is a miss
    holder = primary_engine().connect()
    transaction = holder.begin()
    try:
        holder.execute(text("SELECT id FROM licenses WHERE id = :id FOR UPDATE"), {"id": issued.license.id})
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url="http://testserver") as client:
            response = await client.post(
                "/licenses/validate", json={"license_key": issued.key, "hardware_fp": HERE, "app_version": VERSION}
            )
    finally:
        transaction.rollback()
        holder.close()
    assert response.status_code == 503 and response.headers["retry-after"] == "1"
    assert response.json()["error"]["code"] == "BUSY"
