"""Secrets the embedded default generates on first run and keeps in DATA_DIR (never committed)."""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from jobspy_web.settings import get_settings


class MissingSecretError(RuntimeError):
    """Production must be given its secrets; it never invents them."""


def local_secret(filename: str, *, variable: str, make: callable = lambda: secrets.token_urlsafe(48)) -> str:  # type: ignore[valid-type]
    """The secret in DATA_DIR/filename, created (mode 0600) the first time it is asked for."""
    settings = get_settings()
    if settings.environment == "production":
        raise MissingSecretError(f"{variable} must be set in production")
    path = Path(settings.data_dir) / filename
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(make())
    return path.read_text()


def secret_key() -> str:
    return get_settings().secret_key or local_secret("secret_key", variable="SECRET_KEY")
