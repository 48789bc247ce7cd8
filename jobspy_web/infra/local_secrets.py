"""Secrets the embedded default generates on first run and keeps in DATA_DIR (never committed)."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Callable
from pathlib import Path

from jobspy_web.settings import get_settings


class MissingSecretError(RuntimeError):
    """Production must be given its secrets; it never invents them."""


def local_secret(filename: str, *, variable: str, make: Callable[[], str] = lambda: secrets.token_urlsafe(48)) -> str:
    """The secret in DATA_DIR/filename, created (mode 0600) the first time it is asked for."""
    settings = get_settings()
    if settings.environment == "production":
        raise MissingSecretError(f"{variable} must be set in production")
    path = Path(settings.data_dir) / filename
    if not path.exists():
        write_private_file(path, make().encode())
    return path.read_text()


def write_private_file(path: Path, content: bytes) -> None:
    """Create `path` (mode 0600) unless it exists. Written to a temp file, then linked into
    place: two workers starting at once both succeed, the first link wins, and nobody reads
    a half-written file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_hex(4)}")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(descriptor, "wb") as file:
            file.write(content)
            file.flush()
            os.fsync(file.fileno())
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def secret_key() -> str:
    return get_settings().secret_key.get_secret_value() or local_secret("secret_key", variable="SECRET_KEY")
