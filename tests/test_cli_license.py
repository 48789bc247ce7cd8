"""`python -m jobspy_web.cli license ...`: issue, find, change, and what the server sees after."""

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from sqlmodel import select

from jobspy_web import cli
from jobspy_web.db import read_session, write_session
from jobspy_web.licensing import licenses
from jobspy_web.licensing.licenses import LicenseCode
from jobspy_web.models import AuditEvent
from jobspy_web.settings import reset_process_state

ROOT = Path(__file__).resolve().parent.parent
HERE = "c" * 64


@pytest.fixture(autouse=True)
def no_redis(monkeypatch):
    monkeypatch.setenv("REDIS_URL", "")
    reset_process_state()


def run(capsys, *args: str) -> str:
    cli.main(["license", *args])
    return capsys.readouterr().out


def key_in(output: str) -> str:
    match = re.search(r"^key:\s+(JSW-\S+)", output, re.MULTILINE)
    assert match, output
    return match.group(1)


def validate(key: str) -> licenses.Validation:
    with write_session() as session:
        return licenses.validate_license(session=session, key=key, fingerprint=HERE, app_version="1.0")


def test_issue_prints_the_key_once_and_the_license(db, capsys):
    output = run(capsys, "issue", "--email", "ada@example.com", "--type", "pro", "--days", "365")
    key = key_in(output)
    assert "shown once" in output and "type:      pro" in output and "machines:  0 of 3" in output
    assert validate(key).valid
    listed = run(capsys, "list")
    assert key[:9] in listed and key not in listed


def test_each_change_reaches_the_next_validate_and_the_audit_log(db, capsys):
    key = key_in(run(capsys, "issue", "--email", "ada@example.com", "--type", "free", "--days", "30"))
    prefix = key[:9]
    assert validate(key).valid
    assert "status:    suspended" in run(capsys, "suspend", prefix, "--reason", "chargeback")
    assert validate(key).code is LicenseCode.SUSPENDED
    run(capsys, "reinstate", prefix)
    assert "type:      team" in run(capsys, "set-type", prefix, "team")
    assert validate(key).license_type == "team"
    assert "2099-01-01" in run(capsys, "extend", prefix, "--until", "2099-01-01")
    assert "machines:  1 of 10" in run(capsys, "show", key)
    assert "machines:  0 of 10" in run(capsys, "deactivate", prefix, HERE)
    new_key = key_in(run(capsys, "regenerate", prefix))
    assert validate(key).code is LicenseCode.NOT_FOUND and validate(new_key).valid
    run(capsys, "revoke", new_key[:9])
    assert validate(new_key).code is LicenseCode.REVOKED
    with read_session() as session:
        actions = {event.action for event in session.exec(select(AuditEvent))}
    assert {
        "license.issue",
        "license.suspend",
        "license.reinstate",
        "license.change_type",
        "license.extend",
        "license.machine_deactivate",
        "license.regenerate_key",
        "license.revoke",
    } <= actions


def test_operator_mistakes_are_sentences_not_tracebacks(db, capsys):
    key = key_in(run(capsys, "issue", "--email", "ada@example.com"))
    run(capsys, "revoke", key[:9])
    with pytest.raises(SystemExit, match="revoked, which is final"):
        run(capsys, "reinstate", key[:9])
    with pytest.raises(SystemExit, match="No license matches JSW-00000"):
        run(capsys, "show", "JSW-00000")
    with pytest.raises(SystemExit, match="no user with email"):
        run(capsys, "list", "--email", "nobody@example.com")


def _cli(data_dir: Path, *args: str) -> str:
    env = {**os.environ, "DATA_DIR": str(data_dir), "DATABASE_URL": "", "REDIS_URL": ""}
    done = subprocess.run(
        [sys.executable, "-m", "jobspy_web.cli", "license", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_on_the_embedded_default_a_revoke_from_the_cli_reaches_a_running_server(data_dir):
    # A fresh DATA_DIR: the CLI creates the SQLite database itself.
    key = key_in(_cli(data_dir, "issue", "--email", "ada@example.com", "--type", "pro", "--days", "365"))
    assert validate(key).valid and validate(key).valid  # without Redis nothing is cached: each asks SQLite
    _cli(data_dir, "revoke", key[:9])
    assert validate(key).code is LicenseCode.REVOKED


def test_public_key_prints_a_pem(data_dir, capsys):
    assert run(capsys, "public-key").startswith("-----BEGIN PUBLIC KEY-----")
