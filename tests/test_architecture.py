"""The layers in pyproject.toml's [tool.importlinter] hold: entry points -> domains -> core and
infra -> models and settings; no web framework inside the domains; a desktop client free of
server code; no import cycles."""

import subprocess
import sys
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent


def test_import_linter_contracts_are_kept():
    linter = Path(sys.executable).with_name("lint-imports")
    result = subprocess.run([str(linter), "--no-cache"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    assert "0 broken" in result.stdout


def test_no_module_is_left_in_the_old_flat_services_folder():
    assert not (REPO_ROOT / "jobspy_web" / "services").exists()
