"""Backups that restore: a database dumped, encrypted, uploaded to an S3-compatible bucket,
pruned by count and age; and the way back.

    dump        PostgreSQL: `pg_dump --format=custom` (one consistent snapshot, restorable
                into an empty database by `pg_restore`); SQLite: the online backup API (a
                consistent copy while the app writes).
    encrypt     AES-256-GCM in 1 MiB chunks (`cryptography`), each chunk's nonce and
                position authenticated, the last one marked: a wrong key, a flipped byte, a
                truncated or reordered file all fail with BackupError, never restore garbage.
                The key: 32 bytes, urlsafe base64 (`generate_key()`), from BACKUP_ENCRYPTION_KEY.
    store       boto3 to any S3 endpoint (AWS, MinIO, R2, ...): `<prefix>jobspy-<UTC time>.<kind>.enc`.
    retention   keep the newest `keep_count`, none older than `keep_days`, never the last one.

Knows no domain: the CLI (`python -m jobspy_web.cli backup | restore`) passes the URL,
bucket and key from the settings.
"""

from __future__ import annotations

import base64
import os
import secrets
import shutil
import sqlite3
import struct
import subprocess
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import make_url

__all__ = [
    "BackupError",
    "BackupStore",
    "StoredBackup",
    "back_up",
    "decrypt_file",
    "dump_database",
    "encrypt_file",
    "generate_key",
    "restore",
    "restore_database",
]

MAGIC = b"JSWBAK1\n"
CHUNK = 1024 * 1024
_NONCE_PREFIX = 8  # random per file; then a 4-byte chunk counter: a 96-bit GCM nonce


class BackupError(Exception):
    """A backup or restore that can't go on; the message says why, for the operator."""


def generate_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def _cipher(key: str) -> AESGCM:
    try:
        raw = base64.urlsafe_b64decode(key.encode())
    except ValueError:
        raw = b""
    if len(raw) != 32:
        raise BackupError("BACKUP_ENCRYPTION_KEY must be 32 bytes in urlsafe base64 (make one: python -m jobspy_web.cli backup --new-key).")
    return AESGCM(raw)


# --- encryption -----------------------------------------------------------------------------


def encrypt_file(source: Path, target: Path, *, key: str) -> None:
    cipher = _cipher(key)
    prefix = secrets.token_bytes(_NONCE_PREFIX)
    with source.open("rb") as plain, target.open("wb") as sealed:
        sealed.write(MAGIC + prefix)
        chunk = plain.read(CHUNK)
        index = 0
        while True:
            following = plain.read(CHUNK)
            last = not following
            sealed_chunk = cipher.encrypt(prefix + struct.pack(">I", index), chunk, _associated(index, last))
            sealed.write(struct.pack(">I", len(sealed_chunk)) + sealed_chunk)
            if last:
                return
            chunk, index = following, index + 1


def decrypt_file(source: Path, target: Path, *, key: str) -> None:
    """The plain file back; BackupError for a wrong key or a damaged file (nothing kept)."""
    cipher = _cipher(key)
    try:
        with source.open("rb") as sealed, target.open("wb") as plain:
            header = sealed.read(len(MAGIC) + _NONCE_PREFIX)
            if not header.startswith(MAGIC):
                raise BackupError(f"{source.name} is not a JobSpy Web backup (or an unencrypted one).")
            prefix = header[len(MAGIC) :]
            for index, (sealed_chunk, last) in enumerate(_chunks(sealed)):
                try:
                    plain.write(cipher.decrypt(prefix + struct.pack(">I", index), sealed_chunk, _associated(index, last)))
                except InvalidTag:
                    raise BackupError(
                        "The backup could not be decrypted: the key is not the one it was made with, or the file is damaged."
                    ) from None
    except BaseException:
        target.unlink(missing_ok=True)
        raise


def _associated(index: int, last: bool) -> bytes:
    return MAGIC + struct.pack(">I?", index, last)


def _chunks(sealed: BinaryIO) -> Iterator[tuple[bytes, bool]]:
    pending: bytes | None = None
    while True:
        length_bytes = sealed.read(4)
        if not length_bytes:
            break
        if len(length_bytes) < 4:
            raise BackupError("The backup is truncated.")
        chunk = sealed.read(struct.unpack(">I", length_bytes)[0])
        if pending is not None:
            yield pending, False
        pending = chunk
    if pending is None:
        raise BackupError("The backup is empty.")
    yield pending, True


# --- dumping and restoring a database -------------------------------------------------------


def _is_sqlite(url: str) -> bool:
    return url.startswith("sqlite")


def _libpq_url(url: str) -> str:
    return make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)


def _sqlite_path(url: str) -> str:
    database = make_url(url).database
    if not database:
        raise BackupError("The SQLite URL names no file.")
    return database


def dump_database(url: str, target: Path) -> str:
    """Write a consistent dump of the database at `url` to `target`; its kind (pgdump | sqlite)."""
    if _is_sqlite(url):
        source = sqlite3.connect(_sqlite_path(url))
        copy = sqlite3.connect(target)
        try:
            source.backup(copy)  # the online backup API: consistent while others write
        finally:
            copy.close()
            source.close()
        return "sqlite"
    _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={target}", _libpq_url(url)], "pg_dump")
    return "pgdump"


def restore_database(url: str, source: Path, kind: str) -> None:
    """Load a dump into the database at `url`, which must be empty (PostgreSQL) or absent."""
    if kind == "sqlite":
        if not _is_sqlite(url):
            raise BackupError("This is a SQLite backup: restore it into a sqlite:/// URL.")
        target = Path(_sqlite_path(url))
        if target.exists() and target.stat().st_size:
            raise BackupError(f"{target} already exists: restore into an empty place (move the old file away first).")
        backup = sqlite3.connect(source)
        restored = sqlite3.connect(target)
        try:
            backup.backup(restored)
        finally:
            restored.close()
            backup.close()
        return
    if _is_sqlite(url):
        raise BackupError("This is a PostgreSQL backup: restore it into a postgresql:// URL.")
    options = ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction"]
    _run(["pg_restore", *options, f"--dbname={_libpq_url(url)}", str(source)], "pg_restore")


def _run(command: list[str], name: str) -> None:
    if shutil.which(command[0]) is None:
        raise BackupError(f"{name} is not installed (Debian: apt-get install postgresql-client).")
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        # pg_* print the URL they were given on some errors: never echo it (a password).
        detail = "\n".join(line for line in done.stderr.splitlines() if "://" not in line)[-2000:]
        raise BackupError(f"{name} failed:\n{detail}")


# --- the bucket -------------------------------------------------------------------------------


@dataclass(frozen=True)
class StoredBackup:
    name: str
    kind: str  # pgdump | sqlite
    made_at: datetime
    size: int


class BackupStore:
    """Backups in one bucket under one prefix, on any S3-compatible endpoint."""

    def __init__(self, bucket: str, *, prefix: str = "", endpoint_url: str | None = None, client: Any = None) -> None:
        if not bucket:
            raise BackupError("BACKUP_S3_BUCKET is not set.")
        import boto3

        self.bucket, self.prefix = bucket, prefix
        self.client = client or boto3.client("s3", endpoint_url=endpoint_url or None)

    def name_for(self, kind: str, made_at: datetime) -> str:
        return f"{self.prefix}jobspy-{made_at:%Y%m%dT%H%M%S%fZ}.{kind}.enc"

    def upload(self, path: Path, name: str) -> None:
        self.client.upload_file(str(path), self.bucket, name)

    def download(self, name: str, path: Path) -> None:
        try:
            self.client.download_file(self.bucket, name, str(path))
        except Exception as error:
            raise BackupError(f"Could not fetch {name} from {self.bucket}: {type(error).__name__}") from None

    def stored(self) -> list[StoredBackup]:
        """Every backup under the prefix, newest first."""
        found = []
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=self.bucket, Prefix=self.prefix):
            for item in page.get("Contents", []):
                stored = _parsed_name(item["Key"], self.prefix, item["Size"])
                if stored is not None:
                    found.append(stored)
        return sorted(found, key=lambda stored: stored.made_at, reverse=True)

    def prune(self, *, keep_count: int, keep_days: float, now: datetime | None = None) -> list[str]:
        """Delete what retention lets go: past the newest `keep_count`, or older than
        `keep_days`; the newest backup always stays. The names deleted."""
        now = now or datetime.now(UTC)
        backups = self.stored()
        doomed = [
            stored.name
            for position, stored in enumerate(backups)
            if position > 0 and (position >= keep_count or now - stored.made_at > timedelta(days=keep_days))
        ]
        for name in doomed:
            self.client.delete_object(Bucket=self.bucket, Key=name)
        return doomed


def _parsed_name(name: str, prefix: str, size: int) -> StoredBackup | None:
    parts = name.removeprefix(prefix).split(".")
    if len(parts) != 3 or not parts[0].startswith("jobspy-") or parts[2] != "enc":
        return None
    try:
        made_at = datetime.strptime(parts[0].removeprefix("jobspy-"), "%Y%m%dT%H%M%S%fZ").replace(tzinfo=UTC)
    except ValueError:
        return None
    return StoredBackup(name=name, kind=parts[1], made_at=made_at, size=size)


# --- the two operations -------------------------------------------------------------------------


def back_up(*, database_url: str, store: BackupStore, key: str, keep_count: int = 14, keep_days: float = 30) -> StoredBackup:
    """Dump, encrypt, upload, prune; the backup made."""
    _cipher(key)  # a bad key stops before any work
    made_at = datetime.now(UTC)
    with tempfile.TemporaryDirectory(prefix="jobspy-backup-") as folder:
        plain, sealed = Path(folder) / "dump", Path(folder) / "dump.enc"
        os.chmod(folder, 0o700)
        kind = dump_database(database_url, plain)
        encrypt_file(plain, sealed, key=key)
        name = store.name_for(kind, made_at)
        store.upload(sealed, name)
        size = sealed.stat().st_size
    store.prune(keep_count=keep_count, keep_days=keep_days, now=made_at)
    return StoredBackup(name=name, kind=kind, made_at=made_at, size=size)


def restore(*, database_url: str, store: BackupStore, key: str, name: str = "latest") -> StoredBackup:
    """Fetch a backup (`latest` or its name), decrypt it, load it into an empty database."""
    backups = store.stored()
    chosen = backups[0] if name == "latest" and backups else next((stored for stored in backups if stored.name == name), None)
    if chosen is None:
        raise BackupError(f"No backup {'at all' if name == 'latest' else name} in {store.bucket}/{store.prefix}.")
    with tempfile.TemporaryDirectory(prefix="jobspy-restore-") as folder:
        os.chmod(folder, 0o700)
        sealed, plain = Path(folder) / "dump.enc", Path(folder) / "dump"
        store.download(chosen.name, sealed)
        decrypt_file(sealed, plain, key=key)
        restore_database(database_url, plain, chosen.kind)
    return chosen
