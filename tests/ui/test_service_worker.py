"""assets/sw.js under node: what it caches, what it leaves to the network, and its offline page.

The browser side (a real worker controlling the page offline) is tests/e2e/test_offline.py.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

ASSETS = Path(__file__).resolve().parents[2] / "assets"

# The worker's pure parts, loaded with a stand-in `self`; each case is [method, url, mode].
_HARNESS = """
const listeners = {};
global.self = { location: { origin: "http://app.test" }, addEventListener: (name, fn) => { listeners[name] = fn; } };
const sw = require(process.argv[1]);
const cases = JSON.parse(process.argv[2]);
const names = cases.map(([method, url, mode]) => {
  const strategy = sw.strategyFor({ method, url, mode });
  return strategy ? strategy.name : null;
});
console.log(JSON.stringify({ names, cache: sw.CACHE, shell: sw.SHELL, listeners: Object.keys(listeners).sort() }));
"""


def _run(cases: list[list[str]]) -> dict:
    if shutil.which("node") is None:
        pytest.fail("these tests need node (apt-get install nodejs)")
    done = subprocess.run(
        ["node", "-e", _HARNESS, str(ASSETS / "sw.js"), json.dumps(cases)], capture_output=True, text=True, timeout=60, check=True
    )
    return json.loads(done.stdout)


def test_hashed_files_cache_first_pages_fall_back_to_the_offline_page_and_live_data_is_never_cached():
    cases = {
        "hashed bundle": (["GET", "http://app.test/assets/index-B1a2c3.js", "no-cors"], "cacheFirst"),
        "a page": (["GET", "http://app.test/history/", "navigate"], "pageOrOffline"),
        "a page with a token": (["GET", "http://app.test/reset?token=abc", "navigate"], "pageOrOffline"),
        "the manifest": (["GET", "http://app.test/manifest.json", "no-cors"], "networkFirst"),
        "the offline page": (["GET", "http://app.test/offline.html", "same-origin"], "networkFirst"),
        "the websocket's polling": (["GET", "http://app.test/_event/?EIO=4", "cors"], None),
        "a search API answer": (["GET", "http://app.test/api/searches/1", "cors"], None),
        "an auth answer": (["GET", "http://app.test/auth/me", "cors"], None),
        "a license answer": (["GET", "http://app.test/licenses/mine", "cors"], None),
        "an export": (["GET", "http://app.test/exports/jobs.csv", "cors"], None),
        "a file with a query": (["GET", "http://app.test/manifest.json?user=1", "cors"], None),
        "a post": (["POST", "http://app.test/auth/logout", "navigate"], None),
        "another origin": (["GET", "https://js.stripe.com/v3/", "no-cors"], None),
    }
    answer = _run([request for request, _ in cases.values()])
    assert dict(zip(cases, answer["names"], strict=True)) == {name: want for name, (_, want) in cases.items()}
    assert answer["listeners"] == ["activate", "fetch", "install", "notificationclick", "push"]


def test_a_new_cache_name_and_a_precached_offline_page_that_loads_its_script():
    answer = _run([])
    assert answer["cache"] == "jobspy-web-v2"  # the v1 caches (which held pages) are dropped
    assert {"/offline.html", "/offline.js", "/manifest.json", "/icon-192.png"} <= set(answer["shell"])
    for path in answer["shell"]:
        assert (ASSETS / path.lstrip("/")).is_file(), f"{path} is precached but not in assets/"
    page = (ASSETS / "offline.html").read_text()
    assert '<script src="/offline.js" defer></script>' in page
    assert 'id="offline-banner"' in page and 'id="offline-results"' in page
    # Scraped text never reaches the page as HTML.
    assert "innerHTML" not in (ASSETS / "offline.js").read_text()
