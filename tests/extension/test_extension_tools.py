"""The extension's Node tests (extractors) and Mozilla's linter, run from pytest."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path


def test_extractor_unit_tests_pass_under_nodes_test_runner(extension_dir: Path) -> None:
    run = subprocess.run(["node", "--test", "tests/"], cwd=extension_dir, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-2000:]
    passed = int(re.search(r"^# pass (\d+)$", run.stdout, re.MULTILINE).group(1))  # type: ignore[union-attr]
    pages = json.loads((extension_dir / "tests" / "pages" / "expected.json").read_text())
    assert passed >= len(pages) + 5, run.stdout[-2000:]  # one test per page, plus the rules


def test_web_ext_lint_passes_for_the_firefox_build_without_warnings(extension_dir: Path, extension_builds: dict[str, Path]) -> None:
    lint = [str(extension_dir / "node_modules" / ".bin" / "web-ext"), "lint", "--source-dir", str(extension_builds["firefox"])]
    run = subprocess.run([*lint, "--self-hosted", "--warnings-as-errors", "--output", "json"], capture_output=True, text=True, timeout=300)
    report = json.loads(run.stdout)
    assert run.returncode == 0, json.dumps(report, indent=2)[:4000]
    assert report["summary"] == {"errors": 0, "notices": 0, "warnings": 0}


def test_each_build_keeps_only_its_browsers_background(extension_builds: dict[str, Path]) -> None:
    chrome = json.loads((extension_builds["chrome"] / "manifest.json").read_text())
    firefox = json.loads((extension_builds["firefox"] / "manifest.json").read_text())
    assert chrome["background"] == {"service_worker": "background.js"}
    assert "browser_specific_settings" not in chrome
    assert firefox["background"] == {"scripts": ["background.js"]}
    assert firefox["browser_specific_settings"]["gecko"]["id"]
    assert chrome["manifest_version"] == firefox["manifest_version"] == 3
    # Never cookies: no "cookies" permission and no host permission over the boards' sites.
    assert chrome["permissions"] == ["storage"] and "host_permissions" not in chrome
