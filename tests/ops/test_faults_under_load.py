"""Faults under load: the production mix (bench/load.py --faults) for a few seconds on a
redis-server and a PostgreSQL primary + streaming replica of its own (spare ports; the
shared servers are never touched), with Redis restarted once and the replica once while it
runs. Across both: never a 500 or a broken connection, and every error a 503 that says
when to retry (Retry-After), while the fallbacks show the faults really were felt.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_a_redis_restart_and_a_replica_restart_under_load_cost_no_500(tmp_path: Path) -> None:
    tally_file = tmp_path / "tally.json"
    command = [sys.executable, "bench/load.py", "--faults", "--seconds", "7", "--workers", "2", "--connections", "12",
               "--warmup", "1", "--baseline-seconds", "0", "--down-seconds", "0.5", "--json", str(tally_file)]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert tally_file.exists(), f"the bench did not finish:\n{done.stdout}\n{done.stderr[-4000:]}"
    tally = json.loads(tally_file.read_text())

    assert len(tally["faults"]) == 2, tally  # Redis and the replica were each restarted mid-run
    assert tally["requests"] > 300, tally
    assert tally["server_errors"] == 0, f"500s or broken connections: {tally}\n{done.stderr[-4000:]}"
    assert tally["unavailable_without_retry_after"] == 0, tally
    assert set(tally["error_statuses"]) <= {"503"}, tally
    # The faults reached the app: answers came without Redis, reads went to the primary.
    assert tally["fallbacks"].get("jobspy_redis_fallbacks_total", 0) > 0, tally
    assert tally["fallbacks"].get("jobspy_replica_fallbacks_total", 0) > 0, tally
