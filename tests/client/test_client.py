"""The desktop client against a real License Server: granian serving build_api() on loopback,
PostgreSQL and Redis, as in production."""

import base64
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
import redis
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from redis_helpers import redis_test_url

from jobspy_web.client import LicenseClient, LicenseClientError, UntrustedAnswer, hardware_fingerprint
from jobspy_web.client.__main__ import main as client_main
from jobspy_web.db import write_session
from jobspy_web.licensing import keys, licenses
from jobspy_web.settings import reset_process_state

ROOT = Path(__file__).resolve().parents[2]
REDIS_TEST_URL = redis_test_url(11)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="module")
def server(migrated_postgres_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The License Server as production runs it (granian, like `reflex run --env prod`)."""
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": migrated_postgres_url,
        "REDIS_URL": REDIS_TEST_URL,
        "DATA_DIR": str(tmp_path_factory.mktemp("server-data")),
        "LICENSE_MIN_APP_VERSION": "1.0",
    }
    command = [
        sys.executable,
        "-m",
        "granian",
        "--interface",
        "asgi",
        "--factory",
        "jobspy_web.api:build_api",
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--workers",
        "1",
        "--log-level",
        "warning",
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if httpx.get(f"{url}/health", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert process.poll() is None and time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:  # a loaded CI machine: don't let one slow stop fail the next tests
            process.kill()
            process.wait(timeout=10)


@pytest.fixture
def shared_redis(pg_db, monkeypatch):
    """This process changes licenses in the server's database and Redis, as an operator would."""
    monkeypatch.setenv("REDIS_URL", REDIS_TEST_URL)
    redis.Redis.from_url(REDIS_TEST_URL).flushdb()
    reset_process_state()
    yield
    redis.Redis.from_url(REDIS_TEST_URL).flushdb()


@pytest.fixture
def client(server, shared_redis, tmp_path) -> Iterator[LicenseClient]:
    client = LicenseClient(server, cache_dir=tmp_path / "client-cache")
    yield client
    client.close()


def issue(**arguments) -> tuple[str, licenses.IssuedLicense]:
    with write_session() as session:
        issued = licenses.issue_license(session=session, **{"license_type": "pro", "days": 30, **arguments})
    assert issued.key is not None
    return issued.key, issued


def revoke(issued: licenses.IssuedLicense) -> None:
    with write_session() as session:
        licenses.revoke_license(session=session, license_id=issued.license.id)


def test_the_fingerprint_is_stable_hex():
    assert hardware_fingerprint() == hardware_fingerprint()
    assert len(hardware_fingerprint()) == 64 and int(hardware_fingerprint(), 16) >= 0


def test_a_licensed_machine_validates_and_pins_the_servers_key(client):
    key, _ = issue()
    check = client.validate(key)
    assert (check.valid, check.license_type, check.offline) == (True, "pro", False)
    assert "all_sites" in check.features and check.expires_at is not None
    assert (client.cache_dir / "public_key.json").exists()
    assert client.validate(key).valid  # a cache hit on the server, verified the same way


def test_revoked_key_stops_validating_on_the_next_request(client):
    key, issued = issue()
    assert client.validate(key).valid and client.validate(key).valid
    revoke(issued)
    check = client.validate(key)
    assert (check.valid, check.code) == (False, "REVOKED")


def test_machines_beyond_the_license_are_refused_until_one_is_deactivated(server, client, tmp_path):
    key, _ = issue(max_machines=1)
    assert client.activate(key, name="ada-laptop").valid
    other = LicenseClient(server, cache_dir=tmp_path / "other", fingerprint="f" * 64)
    assert other.validate(key).code == "FINGERPRINT_MISMATCH"
    assert client.deactivate(key) is True and client.deactivate(key) is False
    assert other.validate(key).valid
    other.close()


def test_an_old_app_is_told_to_update(server, shared_redis, tmp_path):
    key, _ = issue()
    old = LicenseClient(server, cache_dir=tmp_path, app_version="0.9.0")
    assert old.validate(key).code == "VERSION_UNSUPPORTED"
    old.close()


def test_offline_the_kept_answer_counts_within_the_grace_period(server, client, tmp_path):
    key, _ = issue()
    assert client.validate(key).valid
    dead = f"http://127.0.0.1:{_free_port()}"
    offline = LicenseClient(dead, cache_dir=client.cache_dir)
    check = offline.validate(key)
    assert (check.valid, check.offline) == (True, True)
    expired_grace = LicenseClient(dead, cache_dir=client.cache_dir, grace=timedelta(seconds=-1))
    with pytest.raises(LicenseClientError, match="can't be reached"):
        expired_grace.validate(key)
    for each in (offline, expired_grace):
        each.close()


def test_a_revoked_answer_is_kept_too_so_offline_does_not_resurrect_it(client, server):
    key, issued = issue()
    assert client.validate(key).valid
    revoke(issued)
    assert client.validate(key).code == "REVOKED"
    offline = LicenseClient(f"http://127.0.0.1:{_free_port()}", cache_dir=client.cache_dir)
    assert offline.validate(key).code == "REVOKED"
    offline.close()


def test_an_edited_kept_answer_is_no_answer(client):
    key, _ = issue(license_type="free")
    assert client.validate(key).valid
    (kept,) = client.cache_dir.glob("license-*.json")
    content = json.loads(kept.read_text())
    content["body"] = content["body"].replace('"free"', '"team"')
    kept.write_text(json.dumps(content))
    offline = LicenseClient(f"http://127.0.0.1:{_free_port()}", cache_dir=client.cache_dir)
    with pytest.raises(LicenseClientError, match="can't be reached"):
        offline.validate(key)
    offline.close()


def test_an_answer_signed_with_another_key_is_untrusted(server, shared_redis, tmp_path):
    key, _ = issue()
    impostor_key = Ed25519PrivateKey.generate().public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    client = LicenseClient(server, cache_dir=tmp_path, public_key=base64.b64encode(impostor_key).decode())
    with pytest.raises(UntrustedAnswer):
        client.validate(key)
    assert list(tmp_path.glob("license-*.json")) == []
    client.close()


def test_a_typo_is_caught_before_any_request(tmp_path):
    def no_network(request: httpx.Request) -> httpx.Response:
        raise AssertionError(f"unexpected request to {request.url}")

    client = LicenseClient("http://license.invalid", cache_dir=tmp_path, transport=httpx.MockTransport(no_network))
    key = keys.generate_key()
    with pytest.raises(LicenseClientError, match="typos"):
        client.validate(key[:-1] + ("0" if key[-1] != "0" else "1"))


def test_the_command_line_searches_locally_within_the_license(server, shared_redis, replay_proxy, tmp_path, capsys):
    key, _ = issue(license_type="free")
    status = client_main(
        [
            "--server",
            server,
            "--cache-dir",
            str(tmp_path),
            "search",
            key,
            "python developer",
            "--sites",
            "indeed,bayt",
            "--results",
            "5",
            "--proxy",
            replay_proxy.url,
            "--ca-cert",
            str(replay_proxy.ca_cert_path),
        ]
    )
    output = capsys.readouterr()
    assert status == 0, output.err
    assert output.out.startswith("licensed: free")
    assert "bayt: not included in this license" in output.err
    rows = [line.split("\t") for line in output.out.splitlines() if line.startswith("indeed\t")]
    assert rows and all(row[4].startswith("https://") for row in rows)


def test_the_command_line_exit_status_says_licensed_or_not(server, shared_redis, tmp_path, capsys):
    key, issued = issue()
    arguments = ["--server", server, "--cache-dir", str(tmp_path), "validate", key]
    assert client_main(arguments) == 0
    revoke(issued)
    assert client_main(arguments) == 1
    assert "not licensed: REVOKED" in capsys.readouterr().out
    assert client_main(["--server", server, "--cache-dir", str(tmp_path), "validate", "JSW-TYPO"]) == 2
