"""The License Server's domain: keys, validation order, machines, cache, management verbs."""

import base64
import json
import re
import threading
import uuid
from collections.abc import Iterator
from datetime import timedelta
from functools import partial

import pytest
import redis
from anyio.from_thread import BlockingPortal, start_blocking_portal
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat
from db_helpers import close_loop_connections, counting_statements
from redis_helpers import redis_test_url
from sqlmodel import select

from jobspy_web.accounts import users
from jobspy_web.db import read_session, write_session
from jobspy_web.infra import rate_limits
from jobspy_web.infra.cache import get_cache
from jobspy_web.infra.redis_scripts import HotScript
from jobspy_web.licensing import keys, licenses
from jobspy_web.licensing import validate as validating
from jobspy_web.licensing.licenses import LicenseCode, LicenseError
from jobspy_web.licensing.signing import get_signer, reset_signer
from jobspy_web.models import AuditEvent, License, LicenseMachine, LicenseStatus, User
from jobspy_web.models.base import utcnow
from jobspy_web.settings import get_settings

REDIS_TEST_URL = redis_test_url(11)
HERE = "a" * 64
THERE = "b" * 64


def _fresh_state() -> None:
    get_settings.cache_clear()
    get_cache.cache_clear()
    rate_limits.reset_limiter()
    reset_signer()


@pytest.fixture(autouse=True)
def answer_cache(monkeypatch):
    """Answers are cached in Redis only (without it nothing is: see
    test_without_redis_no_answer_is_cached_and_every_validation_is_counted)."""
    monkeypatch.setenv("REDIS_URL", REDIS_TEST_URL)
    redis.Redis.from_url(REDIS_TEST_URL).flushdb()
    monkeypatch.setenv("LICENSE_MIN_APP_VERSION", "1.0.0")
    # The limits are the API's business (tests/api); here they only must not refuse.
    monkeypatch.setenv("LICENSE_LIMIT_PER_IP", "1000000/minute")
    monkeypatch.setenv("LICENSE_LIMIT_PER_KEY", "1000000/minute")
    _fresh_state()
    yield
    _fresh_state()


# The License Server's event loop: every validate below goes through the pipeline the
# route runs (licensing.validate), on one loop, from whichever thread calls it.
_server: list[BlockingPortal] = []


@pytest.fixture(autouse=True)
def server_loop(answer_cache) -> Iterator[None]:
    with start_blocking_portal() as portal:
        _server.append(portal)
        try:
            yield
        finally:
            _server.remove(portal)
            portal.call(close_loop_connections)


@pytest.fixture
def redis_cache():
    """Named by the tests that read Redis's keys themselves."""
    yield
    redis.Redis.from_url(REDIS_TEST_URL).flushdb()


@pytest.fixture
def no_redis(monkeypatch):
    """The embedded default: no Redis, so no answer cache."""
    monkeypatch.setenv("REDIS_URL", "")
    _fresh_state()


def issue(**overrides) -> licenses.IssuedLicense:
    arguments = {"license_type": "pro", "days": None if "expires_at" in overrides else 30, **overrides}
    with write_session() as session:
        return licenses.issue_license(session=session, **arguments)


def answer(key: str, fingerprint: str = HERE, app_version: str = "1.2.0", now=None) -> licenses.SignedAnswer:
    """What POST /licenses/validate sends: the pipeline's signed answer."""
    raw = json.dumps({"license_key": key, "hardware_fp": fingerprint, "app_version": app_version}).encode()
    return _server[0].call(partial(validating.validate, raw, ip="192.0.2.1", body_limit=64 * 1024, now=now))


def validate(key: str, fingerprint: str = HERE, app_version: str = "1.2.0", **kwargs) -> licenses.Validation:
    """The answer `answer` sends, as the client reads it."""
    return licenses.Validation.from_json(json.loads(answer(key, fingerprint, app_version, **kwargs).body))


def manage(verb, issued: licenses.IssuedLicense, **kwargs):
    with write_session() as session:
        return verb(session=session, license_id=issued.license.id, **kwargs)


def stored(issued: licenses.IssuedLicense) -> License:
    with read_session() as session:
        license = session.get(License, issued.license.id)
        assert license is not None
        return license


def audit_actions() -> list[str]:
    with read_session() as session:
        return [event.action for event in session.exec(select(AuditEvent).order_by(AuditEvent.created_at))]


# --- keys -----------------------------------------------------------------------------


def test_keys_are_grouped_random_and_read_back_forgivingly():
    key = keys.generate_key()
    assert len(key) == 39 and key.startswith("JSW-") and key.count("-") == 6
    assert key != keys.generate_key()
    sloppy = key.lower().replace("-", " ").replace("0", "o").replace("1", "l")
    assert keys.parse_key(sloppy) == key
    assert keys.parse_key(key.removeprefix("JSW-")) == key


def test_every_single_symbol_typo_is_caught_by_the_checksum():
    key = keys.generate_key()
    for position, symbol in enumerate(key):
        if position < 4 or symbol == "-":
            continue
        for other in "0123456789ABCDEFGHJKMNPQRSTVWXYZ":
            if other != symbol:
                assert keys.parse_key(key[:position] + other + key[position + 1 :]) is None


def test_issued_key_is_shown_once_and_stored_as_hash_and_prefix(db):
    issued = issue()
    license = stored(issued)
    assert issued.key is not None and keys.parse_key(issued.key) == issued.key
    assert license.license_key_hash == keys.hash_key(issued.key)
    assert license.key_prefix == issued.key[:9]
    assert issued.key not in repr(license.model_dump())
    assert license.features == ["search", "all_sites", "scheduled_searches", "salary_insights", "export"]
    assert license.max_machines == 3
    assert audit_actions() == ["license.issue"]


# --- the validation order, one code at a time -------------------------------------------


def test_good_key_is_valid_with_its_type_features_and_expiry(db):
    issued = issue(license_type="team", days=None)
    answer = validate(issued.key)
    assert answer.as_json() == {"valid": True, "license_type": "team", "features": list(stored(issued).features), "expires_at": None}


def test_unknown_and_mistyped_keys_are_not_found(db):
    assert validate(keys.generate_key()).code is LicenseCode.NOT_FOUND
    # A mistyped key fails its checksum before any lookup: refused, naming the field.
    with pytest.raises(LicenseError) as refused:
        validate("JSW-nonsense")
    assert (refused.value.code, refused.value.status, list(refused.value.fields or {})) == ("INVALID_REQUEST", 422, ["license_key"])


@pytest.mark.parametrize(
    ("setup", "expected"),
    [
        ({"status": LicenseStatus.REVOKED, "expired": True}, LicenseCode.REVOKED),
        ({"status": LicenseStatus.SUSPENDED, "expired": True}, LicenseCode.SUSPENDED),
        ({"expired": True, "old_app": True}, LicenseCode.EXPIRED),
        ({"old_app": True, "full": True}, LicenseCode.VERSION_UNSUPPORTED),
        ({"full": True}, LicenseCode.FINGERPRINT_MISMATCH),
    ],
)
def test_the_first_failing_check_names_the_code(db, setup, expected):
    issued = issue(max_machines=1)
    if setup.get("full"):
        assert validate(issued.key, THERE).valid
    with write_session() as session:
        license = session.get(License, issued.license.id)
        license.status = setup.get("status", LicenseStatus.ACTIVE)
        if setup.get("expired"):
            license.expires_at = utcnow() - timedelta(seconds=1)
        session.add(license)
    answer = validate(issued.key, HERE, "0.9.0" if setup.get("old_app") else "1.0.0")
    assert answer.code is expected
    assert answer.as_json() == {"valid": False, "code": expected.value, "reason": licenses.REASONS[expected]}


def test_an_unsupported_app_does_not_take_a_machine(db):
    issued = issue(max_machines=1)
    assert validate(issued.key, HERE, "0.1").code is LicenseCode.VERSION_UNSUPPORTED
    assert validate(issued.key, THERE).valid


def test_a_multi_machine_license_that_is_full_is_too_many_machines(db):
    issued = issue(license_type="pro")  # three machines
    for fingerprint in ("1" * 64, "2" * 64, "3" * 64):
        assert validate(issued.key, fingerprint).valid
    assert validate(issued.key, "4" * 64).code is LicenseCode.TOO_MANY_MACHINES
    assert validate(issued.key, "2" * 64).valid  # the ones activated keep working


def test_first_validate_activates_the_machine_and_activate_names_it(db):
    issued = issue()
    assert validate(issued.key).valid
    with write_session() as session:
        assert licenses.activate_machine(session=session, key=issued.key, fingerprint=HERE, app_version="1.3.0", name="ada-laptop").valid
    with read_session() as session:
        (machine,) = session.exec(select(LicenseMachine)).all()
    assert (machine.fingerprint, machine.name, machine.app_version) == (HERE, "ada-laptop", "1.3.0")
    assert "license.machine_activate" in audit_actions()


def test_after_a_downgrade_the_first_machines_keep_working(db):
    issued = issue(license_type="team")
    fingerprints = [str(n) * 64 for n in range(5)]
    for fingerprint in fingerprints:
        assert validate(fingerprint=fingerprint, key=issued.key).valid
    manage(licenses.change_license_type, issued, license_type="pro")  # 3 machines
    answers = [validate(issued.key, fingerprint).code for fingerprint in fingerprints]
    assert answers == [None, None, None, LicenseCode.TOO_MANY_MACHINES, LicenseCode.TOO_MANY_MACHINES]


# --- the cache ------------------------------------------------------------------------


def test_without_redis_no_answer_is_cached_and_every_validation_is_counted(db, no_redis):
    issued = issue()
    for _ in range(3):
        assert validate(issued.key).valid
    assert stored(issued).validation_count == 3
    manage(licenses.revoke_license, issued)  # as the CLI would, from another process
    assert validate(issued.key).code is LicenseCode.REVOKED


def test_a_miss_counts_the_validation_and_a_hit_does_not_touch_the_database(db):
    issued = issue()
    assert validate(issued.key).valid  # miss: the database decides, the answer is cached
    license = stored(issued)
    assert license.validation_count == 1 and license.last_validated_at is not None
    with counting_statements() as statements:
        for _ in range(5):
            assert validate(issued.key).valid
    assert statements == []
    assert stored(issued).validation_count == 1


def test_invalid_answers_are_cached_for_five_minutes_and_valid_ones_for_an_hour(db):
    issued = issue(max_machines=1)
    validate(issued.key, HERE)
    validate(issued.key, THERE)
    validate(keys.generate_key())
    client = redis.Redis.from_url(REDIS_TEST_URL)
    answers = [key for key in client.keys("jobspy:license:*") if not key.endswith((b":answers", b":generation"))]
    assert sorted(round(client.pttl(key) / 1000) for key in answers) == [300, 300, 3600]
    assert all(issued.key.encode() not in key for key in answers)


def test_a_cached_answer_expires_with_the_license(db):
    issued = issue(days=1)
    assert validate(issued.key).valid
    assert validate(issued.key, now=utcnow() + timedelta(days=1, seconds=1)).code is LicenseCode.EXPIRED


def test_raising_the_minimum_app_version_applies_to_cached_answers(db, monkeypatch):
    issued = issue()
    assert validate(issued.key, app_version="1.2.0").valid
    monkeypatch.setenv("LICENSE_MIN_APP_VERSION", "2.0")
    get_settings.cache_clear()
    assert validate(issued.key, app_version="1.2.0").code is LicenseCode.VERSION_UNSUPPORTED
    assert validate(issued.key, app_version="2.0.1-beta").valid


@pytest.mark.parametrize(
    ("change", "then"),
    [
        (lambda issued: manage(licenses.revoke_license, issued), LicenseCode.REVOKED),
        (lambda issued: manage(licenses.suspend_license, issued), LicenseCode.SUSPENDED),
        (lambda issued: manage(licenses.change_license_type, issued, license_type="free"), None),
    ],
    ids=["revoke", "suspend", "change-type"],
)
def test_a_change_reaches_the_very_next_validate(db, change, then):
    issued = issue()
    assert validate(issued.key).valid and validate(issued.key).valid  # the second is a hit
    change(issued)
    answer = validate(issued.key)
    assert answer.code is then
    if then is None:
        assert answer.license_type == "free"


def test_extend_and_reinstate_reach_the_very_next_validate(db):
    issued = issue(expires_at=utcnow() - timedelta(days=1))
    assert validate(issued.key).code is LicenseCode.EXPIRED
    manage(licenses.extend_license, issued, days=30)
    assert validate(issued.key).valid
    manage(licenses.suspend_license, issued)
    assert validate(issued.key).code is LicenseCode.SUSPENDED
    manage(licenses.reinstate_license, issued)
    assert validate(issued.key).valid


def test_a_deactivated_machine_frees_its_slot_at_once(db):
    issued = issue(max_machines=1)
    assert validate(issued.key, HERE).valid
    assert validate(issued.key, THERE).code is LicenseCode.FINGERPRINT_MISMATCH  # cached
    with write_session() as session:
        assert licenses.deactivate_machine(session=session, key=issued.key, fingerprint=HERE) is None
        assert licenses.deactivate_machine(session=session, key=issued.key, fingerprint=HERE) is LicenseCode.MACHINE_NOT_FOUND
        assert licenses.deactivate_machine(session=session, key=keys.generate_key(), fingerprint=HERE) is LicenseCode.NOT_FOUND
    assert validate(issued.key, THERE).valid
    assert validate(issued.key, HERE).code is LicenseCode.FINGERPRINT_MISMATCH


def test_an_owner_can_only_deactivate_machines_of_their_own_licenses(db):
    issued = issue()
    validate(issued.key)
    with write_session() as session:
        code = licenses.deactivate_machine(session=session, license_id=issued.license.id, fingerprint=HERE, owner_id=uuid.uuid4())
    assert code is LicenseCode.NOT_FOUND
    assert validate(issued.key).valid


def test_a_regenerated_key_replaces_the_old_one_at_once(db):
    issued = issue()
    assert validate(issued.key).valid
    regenerated = manage(licenses.regenerate_key, issued)
    assert regenerated.key != issued.key and stored(issued).key_prefix == regenerated.key[:9]
    assert validate(issued.key).code is LicenseCode.NOT_FOUND
    assert validate(regenerated.key).valid  # same license, same machine


def test_redis_cache_follows_the_same_rules(pg_db, redis_cache):
    issued = issue()
    assert validate(issued.key).valid
    client = redis.Redis.from_url(REDIS_TEST_URL)
    # Only this license's entries: another test run may share the Redis server.
    cached = [key.decode() for key in client.keys(f"*license:{issued.license.license_key_hash}*")]
    assert len(cached) == 2 and all(issued.key not in key and HERE not in key for key in cached)
    assert 3590 < client.ttl(next(key for key in cached if not key.endswith(":answers"))) <= 3600
    with counting_statements() as statements:
        assert validate(issued.key).valid
    assert statements == []
    manage(licenses.revoke_license, issued)
    assert validate(issued.key).code is LicenseCode.REVOKED


# --- concurrency (PostgreSQL) ------------------------------------------------------------


def _in_threads(count: int, work) -> None:
    start = threading.Barrier(count)
    errors: list[BaseException] = []

    def run(index: int) -> None:
        try:
            start.wait()
            work(index)
        except BaseException as error:  # surfaced below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []


def test_concurrent_validations_keep_the_count_exact(pg_db):
    issued = issue(license_type="team")
    # Each call a different machine, so each one reaches the database.
    _in_threads(16, lambda index: [validate(issued.key, f"{index:02d}-{n:02d}".ljust(64, "x")) for n in range(5)])
    assert stored(issued).validation_count == 80


def test_concurrent_first_validates_activate_one_machine_only(pg_db):
    issued = issue(max_machines=1)
    answers: list[licenses.Validation] = []
    _in_threads(8, lambda index: answers.append(validate(issued.key, str(index) * 64)))
    assert sorted(answer.code is None for answer in answers) == [False] * 7 + [True]
    with read_session() as session:
        assert len(session.exec(select(LicenseMachine)).all()) == 1


def test_only_a_validation_commits_without_waiting_for_the_disk(pg_db):
    issued = issue()
    assert validate(issued.key).valid

    async def validations_synchronous_commit() -> str:
        return (await validating._connections().fetchrow("SHOW synchronous_commit"))[0]

    assert _server[0].call(validations_synchronous_commit) == "off"
    with write_session() as session:
        licenses.revoke_license(session=session, license_id=issued.license.id)
        assert session.connection().exec_driver_sql("SHOW synchronous_commit").scalar() == "on"
    with write_session() as session:
        licenses.revoke_license(session=session, license_id=issued.license.id)
        assert session.connection().exec_driver_sql("SHOW synchronous_commit").scalar() == "on"


def test_a_revoke_racing_validations_is_never_outlived_by_the_cache(pg_db, redis_cache):
    issued = issue(license_type="team")
    revoked = threading.Event()

    def work(index: int) -> None:
        if index == 0:
            manage(licenses.revoke_license, issued)
            revoked.set()
        else:
            for n in range(10):
                validate(issued.key, f"{index}-{n}".ljust(64, "y"))

    _in_threads(6, work)
    assert revoked.is_set()
    for index in range(1, 6):
        for n in range(10):
            assert validate(issued.key, f"{index}-{n}".ljust(64, "y")).code is LicenseCode.REVOKED


# --- management -----------------------------------------------------------------------


def test_issue_with_the_same_external_ref_returns_the_first_license(db):
    first = issue(external_ref="stripe:sub_1")
    again = issue(external_ref="stripe:sub_1")
    assert again.license.id == first.license.id and again.key is None
    assert audit_actions() == ["license.issue"]


def test_repeating_a_change_changes_nothing_and_logs_nothing(db):
    issued = issue()
    until = utcnow() + timedelta(days=400)
    for _ in range(2):
        manage(licenses.extend_license, issued, until=until)
        manage(licenses.suspend_license, issued, reason="chargeback")
        manage(licenses.change_license_type, issued, license_type="team")
    assert stored(issued).expires_at == until
    assert audit_actions() == ["license.issue", "license.extend", "license.suspend", "license.change_type"]


def test_extend_never_shortens_and_perpetual_stays_perpetual(db):
    issued = issue(days=100)
    before = stored(issued).expires_at
    manage(licenses.extend_license, issued, until=utcnow() + timedelta(days=10))
    assert stored(issued).expires_at == before
    manage(licenses.extend_license, issued, days=10)
    assert stored(issued).expires_at == before + timedelta(days=10)
    perpetual = issue(days=None)
    manage(licenses.extend_license, perpetual, days=10)
    assert stored(perpetual).expires_at is None


def test_revoked_is_final(db):
    issued = issue()
    manage(licenses.revoke_license, issued, reason="refund")
    for verb in (licenses.reinstate_license, licenses.suspend_license, licenses.regenerate_key):
        with pytest.raises(LicenseError):
            manage(verb, issued)
    (revoke,) = [event for event in _events() if event.action == "license.revoke"]
    assert revoke.extra_metadata == {"reason": "refund", "previous": "active"}


def _events() -> list[AuditEvent]:
    with read_session() as session:
        return list(session.exec(select(AuditEvent)))


def test_bad_management_requests_are_sentences(db):
    issued = issue()
    with pytest.raises(LicenseError, match="Unknown license type"):
        manage(licenses.change_license_type, issued, license_type="admin")
    with pytest.raises(LicenseError, match="one of them"):
        manage(licenses.extend_license, issued)
    with pytest.raises(LicenseError, match="No license"):
        with write_session() as session:
            licenses.revoke_license(session=session, license_id=uuid.uuid4())


def test_licenses_for_user_show_prefix_and_machines_never_the_key(db):
    with write_session() as session:
        user = User(email="ada@example.com")
        session.add(user)
    with read_session() as session:
        issued = issue(**users.license_owner(session=session, email="ADA@example.com"))
        unassigned = issue(**users.license_owner(session=session, email="bob@example.com"))
    validate(issued.key)
    with read_session() as session:
        (shown,) = licenses.licenses_for_user(session=session, user_id=user.id)
    assert shown.key_prefix == issued.key[:9] and [m.fingerprint for m in shown.machines] == [HERE]
    assert "license_key_hash" not in shown.model_dump() and issued.key not in shown.model_dump_json()
    assert stored(unassigned).user_id is None and stored(unassigned).pending_email == "bob@example.com"


def test_find_license_by_id_key_or_prefix(db):
    issued = issue()
    with read_session() as session:
        for reference in (str(issued.license.id), issued.key, issued.key[:9].lower()):
            assert licenses.find_license(session=session, reference=reference).id == issued.license.id
        with pytest.raises(LicenseError, match="No license matches"):
            licenses.find_license(session=session, reference="JSW-00000")


# --- signed answers ------------------------------------------------------------------------


def verifies(sent: licenses.SignedAnswer) -> dict:
    signature = re.search(r'signature="([^"]+)"', sent.signature)
    assert signature is not None
    get_signer().private_key.public_key().verify(base64.b64decode(signature.group(1)), sent.body)
    return json.loads(sent.body)


def test_a_cached_answer_is_sent_as_signed_when_the_database_decided(db):
    issued = issue()
    first = answer(issued.key)
    with counting_statements() as statements:
        again = answer(issued.key)
    assert statements == [] and again == first
    body = verifies(again)
    assert body["valid"] is True and body["hardware_fp"] == HERE and stored(issued).validation_count == 1


def test_a_cached_answer_the_recheck_changes_is_signed_again(db, monkeypatch):
    issued = issue(days=1)
    assert verifies(answer(issued.key))["valid"] is True
    later = utcnow() + timedelta(days=1, seconds=1)
    expired = verifies(answer(issued.key, now=later))
    assert (expired["code"], expired["checked_at"]) == ("EXPIRED", later.isoformat(timespec="seconds"))
    monkeypatch.setenv("LICENSE_MIN_APP_VERSION", "2.0")
    get_settings.cache_clear()
    assert verifies(answer(issued.key))["code"] == "VERSION_UNSUPPORTED"
    assert stored(issued).validation_count == 1


def test_cached_answers_signed_with_a_replaced_key_are_signed_again(db, monkeypatch):
    issued = issue()
    before = answer(issued.key)
    new_key = Ed25519PrivateKey.generate().private_bytes(Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()).decode()
    monkeypatch.setenv("LICENSE_SIGNING_KEY", new_key)
    _fresh_state_keeping_the_cache()
    after = answer(issued.key)
    assert after.body == before.body and after.signature != before.signature
    verifies(after)


def _fresh_state_keeping_the_cache() -> None:
    get_settings.cache_clear()
    reset_signer()


def test_a_key_tried_on_too_many_machines_is_answered_from_the_database(db, monkeypatch):
    monkeypatch.setattr(licenses, "MAX_CACHED_FINGERPRINTS", 2)
    issued = issue(license_type="team")
    fingerprints = [str(n) * 64 for n in range(3)]
    for fingerprint in fingerprints:
        assert validate(issued.key, fingerprint).valid
    for fingerprint in fingerprints:  # the third answer was not cached: counted again
        assert validate(issued.key, fingerprint).valid
    assert stored(issued).validation_count == 4
    manage(licenses.revoke_license, issued)
    assert [validate(issued.key, fingerprint).code for fingerprint in fingerprints] == [LicenseCode.REVOKED] * 3


def test_with_redis_a_miss_writes_its_answer_and_group_in_one_round_trip(pg_db, redis_cache, monkeypatch):
    issued = issue()
    with write_session() as session:  # an activated machine, whose cached answer expired
        licenses.activate_machine(session=session, key=issued.key, fingerprint=HERE, app_version="1.2.0")
    redis.Redis.from_url(REDIS_TEST_URL).flushdb()
    calls: list[int] = []
    future = HotScript.future
    monkeypatch.setattr(HotScript, "future", lambda script, keys, args=(): calls.append(len(keys)) or future(script, keys, args))
    answer(issued.key)
    # Limits and cache read: one script (2 limits, then the answer and its generation);
    # then one more: the answer's generation check, its group, its SET.
    assert calls == [4, 3]
    with counting_statements() as statements:
        assert verifies(answer(issued.key))["valid"] is True
    assert statements == []
