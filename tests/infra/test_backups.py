"""Backups end to end: `cli backup` against a throwaway PostgreSQL and a local S3 (moto in server
mode), the database dropped, `cli restore` into an empty one, every table's row count and a
sample of rows equal; a wrong key fails with a sentence; SQLite the same; retention by count
and age; a damaged file never restores."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
import sqlalchemy as sa
from db_helpers import REPO_ROOT, temporary_postgres_database, upgrade_to_head
from moto.server import ThreadedMotoServer
from sqlalchemy.pool import NullPool

from jobspy_web.db import write_session
from jobspy_web.infra import backups
from jobspy_web.licensing import licenses
from jobspy_web.models import Search, User
from jobspy_web.settings import reset_process_state

BUCKET = "jobspy-backups"
KEY = backups.generate_key()


@pytest.fixture(scope="module")
def s3_endpoint() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def s3(s3_endpoint, monkeypatch):
    for name, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
        "BACKUP_S3_BUCKET": BUCKET,
        "BACKUP_S3_ENDPOINT_URL": s3_endpoint,
        "BACKUP_ENCRYPTION_KEY": KEY,
    }.items():
        monkeypatch.setenv(name, value)
    client = boto3.client("s3", endpoint_url=s3_endpoint)
    client.create_bucket(Bucket=BUCKET)
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


def cli(*arguments: str, **environment: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "jobspy_web.cli", *arguments],
        cwd=REPO_ROOT,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=120,
    )


def seed(url: str, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", url.replace("+psycopg", ""))
    reset_process_state()
    with write_session() as session:
        for n in range(25):
            session.add(User(email=f"person{n}@example.com", password_hash=f"hash-{n}"))
        session.add(Search(params={"search_term": "ünïcode ✓ 'quotes'"}))
    for n in range(7):
        with write_session() as session:
            licenses.issue_license(session=session, license_type="pro", pending_email=f"buyer{n}@example.com")


def snapshot(url: str) -> dict[str, tuple[int, list[tuple]]]:
    """Every table's row count and its first rows in a stable order."""
    engine = sa.create_engine(url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            tables = sa.inspect(connection).get_table_names()
            found = {}
            for table in tables:
                quoted = connection.dialect.identifier_preparer.quote(table)
                count = connection.exec_driver_sql(f"SELECT count(*) FROM {quoted}").scalar_one()
                rows = [tuple(row) for row in connection.exec_driver_sql(f"SELECT * FROM {quoted} ORDER BY 1 LIMIT 20")]
                found[table] = (count, rows)
            return found
    finally:
        engine.dispose()


def test_a_postgresql_backup_restores_every_row_after_the_database_is_dropped(s3, monkeypatch):
    with temporary_postgres_database("jobspy_backup_src") as source_url:
        upgrade_to_head(source_url)
        seed(source_url, monkeypatch)
        before = snapshot(source_url)
        made = cli("backup", DATABASE_URL=source_url.replace("+psycopg", ""))
        assert made.returncode == 0, made.stderr
        assert "backed up: backups/jobspy-" in made.stdout
    # The source is dropped now. Restore into a fresh, empty database.
    stored = s3.list_objects_v2(Bucket=BUCKET)["Contents"]
    assert len(stored) == 1 and stored[0]["Key"].endswith(".pgdump.enc")
    body = s3.get_object(Bucket=BUCKET, Key=stored[0]["Key"])["Body"].read()
    assert body.startswith(backups.MAGIC) and b"person3@example.com" not in body  # encrypted at rest
    with temporary_postgres_database("jobspy_backup_dst") as target_url:
        restored = cli("restore", "--database-url", target_url.replace("+psycopg", ""))
        assert restored.returncode == 0, restored.stderr
        after = snapshot(target_url)
    assert before["users"][0] == 25 and before["licenses"][0] == 7 and before["alembic_version"][0] == 1
    assert after == before


def test_a_wrong_key_fails_clearly_and_restores_nothing(s3, monkeypatch, tmp_path):
    source = tmp_path / "app.db"
    upgrade_to_head(f"sqlite:///{source}")
    made = cli("backup", DATABASE_URL=f"sqlite:///{source}")
    assert made.returncode == 0, made.stderr
    target = tmp_path / "restored.db"
    refused = cli("restore", "--database-url", f"sqlite:///{target}", BACKUP_ENCRYPTION_KEY=backups.generate_key())
    assert refused.returncode != 0
    assert "restore failed: The backup could not be decrypted: the key is not the one it was made with" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not target.exists()
    malformed = cli("restore", "--database-url", f"sqlite:///{target}", BACKUP_ENCRYPTION_KEY="short")
    assert malformed.returncode != 0 and "must be 32 bytes" in malformed.stderr


def test_a_sqlite_backup_restores_byte_equal_rows(s3, monkeypatch, tmp_path):
    source = tmp_path / "app.db"
    upgrade_to_head(f"sqlite:///{source}")
    seed(f"sqlite:///{source}", monkeypatch)
    assert cli("backup", DATABASE_URL=f"sqlite:///{source}").returncode == 0
    target = tmp_path / "restored.db"
    restored = cli("restore", "--database-url", f"sqlite:///{target}")
    assert restored.returncode == 0, restored.stderr
    assert snapshot(f"sqlite:///{target}") == snapshot(f"sqlite:///{source}")
    again = cli("restore", "--database-url", f"sqlite:///{target}")
    assert again.returncode != 0 and "already exists" in again.stderr  # never over a live database


def test_retention_keeps_the_newest_by_count_and_drops_the_old(s3, tmp_path):
    store = backups.BackupStore(BUCKET, prefix="backups/", client=s3)
    now = datetime(2026, 12, 1, tzinfo=UTC)
    empty = tmp_path / "empty"
    empty.write_bytes(b"x")
    ages = [0, 1, 2, 3, 40, 50]  # days old
    for age in ages:
        store.upload(empty, store.name_for("pgdump", now - timedelta(days=age)))
    deleted = store.prune(keep_count=3, keep_days=30, now=now)
    assert len(deleted) == 3
    assert [now - stored.made_at for stored in store.stored()] == [timedelta(days=age) for age in (0, 1, 2)]
    # Age alone: only the newest survives when everything is older than keep_days.
    assert len(store.prune(keep_count=10, keep_days=0.5, now=now + timedelta(days=5))) == 2
    assert len(store.stored()) == 1


def test_a_damaged_or_truncated_file_is_refused(tmp_path):
    plain = tmp_path / "plain"
    plain.write_bytes(os.urandom(backups.CHUNK * 2 + 123))  # three chunks
    sealed = tmp_path / "sealed"
    backups.encrypt_file(plain, sealed, key=KEY)
    back = tmp_path / "back"
    backups.decrypt_file(sealed, back, key=KEY)
    assert back.read_bytes() == plain.read_bytes()
    data = sealed.read_bytes()
    for damaged in (data[:-1] + bytes([data[-1] ^ 1]), data[: len(data) // 2], data[: -(len(data) // 4)]):
        broken = tmp_path / "broken"
        broken.write_bytes(damaged)
        with pytest.raises(backups.BackupError):
            backups.decrypt_file(broken, tmp_path / "out", key=KEY)
        assert not (tmp_path / "out").exists()


def test_the_cli_makes_a_key_and_lists_backups(s3, tmp_path):
    made = cli("backup", "--new-key")
    assert made.returncode == 0 and len(backups._cipher(made.stdout.strip()).__class__.__name__) > 0
    assert cli("backup", DATABASE_URL=f"sqlite:///{Path(tmp_path) / 'fresh.db'}").returncode == 0
    listing = cli("backup", "--list")
    assert listing.returncode == 0 and listing.stdout.count(".sqlite.enc") == 1
