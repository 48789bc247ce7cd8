"""The browser extension's tools: its npm packages (web-ext, linkedom) installed once into
extension/node_modules from the lock file, so `pytest` alone covers the extension too."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

EXTENSION = Path(__file__).resolve().parents[2] / "extension"


def _installed() -> bool:
    # npm writes this after a complete install; a half-finished one lacks it.
    return (EXTENSION / "node_modules" / ".package-lock.json").exists()


@pytest.fixture(scope="session")
def extension_dir() -> Path:
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.fail("the extension's tests need Node.js and npm (apt-get install nodejs npm)")
    if not _installed():
        subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=EXTENSION, check=True, capture_output=True, timeout=600)
    return EXTENSION


@pytest.fixture(scope="session")
def extension_builds(extension_dir: Path) -> dict[str, Path]:
    """dist/chrome and dist/firefox, built from src/ by extension/build.js."""
    subprocess.run(["node", "build.js"], cwd=extension_dir, check=True, capture_output=True, timeout=60)
    return {browser: extension_dir / "dist" / browser for browser in ("chrome", "firefox")}
