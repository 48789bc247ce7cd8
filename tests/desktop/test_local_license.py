"""accounts.local_mode against a real License Server process: the key unlocks the local
account's tier, a revoke falls back to free at the next check, a kept answer works offline
and an edited one is refused."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from jobspy_web.accounts import local_mode
from jobspy_web.accounts.entitlements import tier_for_user
from jobspy_web.core.tiers import Tier
from jobspy_web.db import write_session
from jobspy_web.settings import reset_process_state
from jobspy_web.ui.state.desktop_settings import _machine_row
from tests.api_server import ApiServer
from tests.desktop.conftest import issue_key


def _local_tier() -> Tier:
    with write_session() as session:
        return tier_for_user(session=session, user=local_mode.ensure_local_user(session=session))


def _enter(key: str) -> local_mode.LicenseStatus:
    with write_session() as session:
        return local_mode.enter_key(session=session, key=key)


def _check() -> local_mode.LicenseStatus:
    with write_session() as session:
        return local_mode.check_license(session=session)


def test_first_run_is_unset_and_free_until_a_key_is_entered(desktop: Path) -> None:
    assert local_mode.license_status().state == "unset"
    assert _local_tier() == Tier.FREE
    with write_session() as session:
        assert local_mode.run_free(session=session).state == "free"
    assert local_mode.license_status().state == "free" and _local_tier() == Tier.FREE


def test_a_pro_key_unlocks_pro_and_a_revoke_falls_back_to_free_at_the_next_check(desktop: Path, license_server: ApiServer) -> None:
    key = issue_key(license_server)
    status = _enter(key)
    assert status.licensed and status.license_type == "pro"
    assert "all_sites" in status.features and "salary_insights" in status.features
    assert _local_tier() == Tier.PRO
    assert _check().licensed  # still valid at the next check

    license_server.cli("license", "revoke", key, "--reason", "refunded")
    fallen = _check()
    assert fallen.state == "not_licensed" and fallen.fell_back
    assert "revoked" in fallen.message.lower()
    assert _local_tier() == Tier.FREE
    assert local_mode.license_status().fell_back  # the Settings page shows it
    assert _check().fell_back  # and goes on showing it at the checks after
    with write_session() as session:
        assert not local_mode.run_free(session=session).fell_back  # until the person chooses free


def test_a_mistyped_key_is_refused_and_not_kept(desktop: Path, license_server: ApiServer) -> None:
    issue_key(license_server)
    try:
        _enter("JSW-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA-AAAAA")
    except local_mode.LicenseClientError as error:
        assert "typos" in str(error)
    else:
        raise AssertionError("a key with a bad checksum was accepted")
    assert not (desktop / "desktop" / "license_key").exists()
    assert _local_tier() == Tier.FREE


def test_offline_the_kept_signed_answer_keeps_pro(desktop: Path, license_server: ApiServer) -> None:
    _enter(issue_key(license_server))
    license_server.stop()
    status = _check()
    assert status.licensed and status.offline
    assert _local_tier() == Tier.PRO


def test_offline_an_edited_kept_answer_is_refused_and_the_app_runs_free(desktop: Path, license_server: ApiServer) -> None:
    _enter(issue_key(license_server, license_type="pro"))
    license_server.stop()
    (kept,) = (desktop / "desktop" / "license-cache").glob("license-*.json")
    answer = json.loads(kept.read_text())
    answer["body"] = answer["body"].replace('"pro"', '"team"')  # a hand-made upgrade
    kept.write_text(json.dumps(answer))
    status = _check()
    assert status.state == "unverified" and not status.licensed and status.fell_back
    assert _local_tier() == Tier.FREE


def test_deactivate_frees_this_machines_slot_and_runs_free(desktop: Path, license_server: ApiServer) -> None:
    key = issue_key(license_server)
    fingerprint = _enter(key).fingerprint
    assert fingerprint[:12] in license_server.cli("license", "show", key)
    with write_session() as session:
        status = local_mode.deactivate_this_machine(session=session)
    assert status.state == "free" and _local_tier() == Tier.FREE
    shown = license_server.cli("license", "show", key)
    assert fingerprint[:12] not in shown


def test_the_launch_secret_alone_opens_the_local_session(desktop: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DESKTOP_LAUNCH_SECRET", "s3cret-launch")
    reset_process_state()
    with write_session() as session:
        assert local_mode.start_local_session(session=session, launch_secret="wrong") is None
        assert local_mode.start_local_session(session=session, launch_secret="s3cret-launch")
    monkeypatch.setenv("DESKTOP_MODE", "false")
    reset_process_state()
    with write_session() as session:
        assert local_mode.start_local_session(session=session, launch_secret="s3cret-launch") is None


def test_settings_lists_every_machine_of_the_key_and_a_stranger_is_refused(desktop: Path, license_server: ApiServer) -> None:
    key = issue_key(license_server)
    assert local_mode.license_machines() == []  # no key kept yet: nothing to ask about
    assert _enter(key).licensed
    other = {"license_key": key, "hardware_fp": "f" * 64, "app_version": "1.0.0", "name": "work-laptop"}
    assert httpx.post(f"{license_server.url}/licenses/activate", json=other, timeout=10).status_code == 200

    listed = local_mode.license_machines()
    here = local_mode.license_status()
    assert [(machine["name"], machine["this_machine"]) for machine in listed] == [(here.machine_name, True), ("work-laptop", False)]
    assert listed[1]["short_fingerprint"] == "f" * 12 and "f" * 13 not in json.dumps(listed)
    rows = [_machine_row(machine) for machine in listed]
    assert rows[0]["this_machine"] == "yes" and rows[1]["this_machine"] == "" and rows[1]["last_seen"].endswith(" UTC")

    stranger = httpx.post(f"{license_server.url}/licenses/machines", json={"license_key": key, "hardware_fp": "e" * 64}, timeout=10)
    assert stranger.status_code == 403 and "work-laptop" not in stranger.text
    with write_session() as session:
        local_mode.deactivate_this_machine(session=session)
    assert local_mode.license_machines() == []  # the key is forgotten with the slot
