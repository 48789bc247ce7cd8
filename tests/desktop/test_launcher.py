"""The launcher's pieces: where the data goes, what the server is told, the entry point."""

from __future__ import annotations

import importlib
import io
import sqlite3
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import platformdirs
import pytest
from db_helpers import REPO_ROOT

from jobspy_web.accounts import local_mode
from jobspy_web.desktop import data_folder, server_environment
from jobspy_web.settings import reset_process_state


def test_the_data_folder_is_the_oss_app_data_folder_unless_overridden(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("JOBSPY_DESKTOP_HOME", raising=False)
    assert data_folder() == Path(platformdirs.user_data_dir("JobSpy Web", appauthor=False))
    monkeypatch.setenv("JOBSPY_DESKTOP_HOME", str(tmp_path / "mine"))
    assert data_folder() == tmp_path / "mine"


def test_the_server_runs_embedded_for_one_person_with_the_saved_preferences(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("DATA_DIR", str(tmp_path))
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:6379/5")  # a developer's shell must not leak in

    reset_process_state()
    local_mode.save_preferences(proxies_text="user:pw@proxy.local:8080\nproxy2.local:3128", site_timeout_text="45")
    env = server_environment(tmp_path, port=4321, launch_secret="s", license_server="https://licenses.example.com")
    assert env["DESKTOP_MODE"] == "true" and env["DESKTOP_LAUNCH_SECRET"] == "s"
    assert env["DATA_DIR"] == str(tmp_path) and env["DATABASE_URL"] == "" and env["REDIS_URL"] == ""
    assert env["PUBLIC_URL"] == "http://127.0.0.1:4321"
    assert env["LICENSE_SERVER_URL"] == "https://licenses.example.com"
    assert env["JOBSPY_PROXIES"] == "user:pw@proxy.local:8080,proxy2.local:3128"
    assert env["JOBSPY_SITE_TIMEOUT_SECONDS"] == "45"


def test_preferences_refuse_what_the_scrapers_cant_use(data_dir: Path) -> None:
    with pytest.raises(ValueError, match="seconds"):
        local_mode.save_preferences(proxies_text="", site_timeout_text="soon")
    with pytest.raises(ValueError, match="between 5 and 3600"):
        local_mode.save_preferences(proxies_text="", site_timeout_text="2")
    with pytest.raises(ValueError, match="one per line"):
        local_mode.save_preferences(proxies_text="a proxy with spaces", site_timeout_text="30")
    assert local_mode.preferences().proxies == []  # nothing was kept


def test_pip_install_gives_the_jobspy_desktop_command() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    module, _, function = project["scripts"]["jobspy-desktop"].partition(":")
    assert callable(getattr(importlib.import_module(module), function))
    assert project["optional-dependencies"]["desktop"] == ["pywebview>=5"]
    shown = subprocess.run([sys.executable, "-m", "jobspy_web.desktop", "--help"], cwd=REPO_ROOT, capture_output=True, text=True)
    assert shown.returncode == 0 and "--license-server" in shown.stdout


def test_the_backup_holds_the_database_and_preferences_but_never_the_key(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from db_helpers import upgrade_to_head

    from jobspy_web.db import write_session

    database = f"sqlite:///{tmp_path / 'local.db'}"
    upgrade_to_head(database)
    monkeypatch.setenv("DATABASE_URL", database)
    reset_process_state()
    with write_session() as session:
        local_mode.ensure_local_user(session=session)
    local_mode.save_preferences(proxies_text="", site_timeout_text="60")
    local_mode.write_private(local_mode.local_data_dir() / "license_key", "JSW-SECRET")

    with zipfile.ZipFile(io.BytesIO(local_mode.backup_archive())) as archive:
        assert sorted(archive.namelist()) == ["jobspy_web.db", "preferences.json"]
        copy = tmp_path / "restored.db"
        copy.write_bytes(archive.read("jobspy_web.db"))
        assert b"JSW-SECRET" not in b"".join(archive.read(name) for name in archive.namelist())
    with sqlite3.connect(copy) as restored:
        assert restored.execute("SELECT email FROM users").fetchall() == [(local_mode.LOCAL_EMAIL,)]
    reset_process_state()
