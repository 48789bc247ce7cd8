"""deploy/: the Prometheus rules pass `promtool check rules` and their unit tests (`promtool test
rules`), the scrape config is valid, and every series the alerts and the Grafana dashboard
query is one the app really exports (infra.metrics.NAMES, each rendered by /metrics)."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from jobspy_web.infra import metrics

DEPLOY = Path(__file__).resolve().parents[2] / "deploy"
RULES = DEPLOY / "prometheus" / "alerts.yml"
DASHBOARD = DEPLOY / "grafana" / "jobspy-web.json"
# Series Prometheus makes itself, not the app.
PROMETHEUS_OWN = {"up"}
_PROMQL_WORDS = {
    "sum", "min", "max", "avg", "count", "rate", "irate", "increase", "by", "without", "on", "ignoring", "and", "or",
    "unless", "bool", "histogram_quantile", "min_over_time", "max_over_time", "avg_over_time", "abs", "offset", "le",
}  # fmt: skip


def promtool() -> str:
    found = shutil.which("promtool")
    assert found, "promtool is missing: apt-get install -y prometheus (.ci/run does)"
    return found


def series_in(expression: str) -> set[str]:
    """The metric names a PromQL expression reads."""
    text = re.sub(r'"(?:[^"\\]|\\.)*"', "", expression)  # strings (label values)
    text = re.sub(r"\{[^}]*\}", "", text)  # label matchers
    text = re.sub(r"\[[^\]]*\]", "", text)  # ranges
    text = re.sub(r"\b(by|without|on|ignoring)\s*\([^)]*\)", "", text)  # grouping labels
    names = set(re.findall(r"[A-Za-z_:][A-Za-z0-9_:]*", text))
    return {name for name in names if name not in _PROMQL_WORDS and not re.fullmatch(r"\d+[smhdwy]?|e\d*", name)}


def rule_expressions() -> list[str]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return [rule["expr"] for group in groups for rule in group["rules"]]


def dashboard_expressions() -> list[str]:
    return [target["expr"] for panel in json.loads(DASHBOARD.read_text())["panels"] for target in panel["targets"]]


def test_promtool_accepts_the_rules_and_their_unit_tests_pass():
    checked = subprocess.run([promtool(), "check", "rules", str(RULES)], capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout + checked.stderr
    assert "SUCCESS: 13 rules found" in checked.stdout
    tested = subprocess.run([promtool(), "test", "rules", "alerts_test.yml"], cwd=RULES.parent, capture_output=True, text=True)
    assert tested.returncode == 0, tested.stdout + tested.stderr


def test_the_scrape_config_is_valid():
    checked = subprocess.run(
        [promtool(), "check", "config", "--syntax-only", str(DEPLOY / "prometheus" / "prometheus.yml")], capture_output=True, text=True
    )
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_the_design_thresholds_are_the_rules():
    rules = {rule["alert"]: rule for group in yaml.safe_load(RULES.read_text())["groups"] for rule in group["rules"]}
    assert "> 0.70" in rules["JobspyHighCpu"]["expr"]
    assert "> 0.80" in rules["JobspyHighMemory"]["expr"]
    assert "> 2" in rules["JobspySlowResponses"]["expr"]
    assert rules["JobspyBoardBlocked"]["for"] == "1h"
    for name in ("JobspyValidateP99", "JobspyWebhookFailures", "JobspyQueueBacklog", "JobspyRedisDown", "JobspyDatabaseDown"):
        assert name in rules


@pytest.mark.parametrize("source", ["rules", "dashboard"])
def test_every_series_queried_is_one_the_app_exports(source):
    expressions = rule_expressions() if source == "rules" else dashboard_expressions()
    used = set().union(*(series_in(expression) for expression in expressions))
    assert used, "no series found: the parser is broken"
    unknown = used - metrics.NAMES - PROMETHEUS_OWN
    assert not unknown, f"{source} query series the app does not export: {sorted(unknown)}"


def test_the_check_catches_a_misspelt_series():
    assert series_in('sum by (route) (rate(jobspy_http_request_duration_second_bucket{route="/x"}[5m])) > 2') == {
        "jobspy_http_request_duration_second_bucket"
    }
    assert "jobspy_http_request_duration_second_bucket" not in metrics.NAMES


def test_every_exported_name_appears_in_a_scrape():
    # Touch every counter and histogram once, then the render must declare each NAMES entry
    # (scrape-time gauges come from their sources: tests/infra/test_metrics.py reads them).
    metrics.count_validation("VALID", cache_hit=True)
    metrics.count_search("done")
    metrics.count_site_outcome("indeed", "done", 1.0)
    metrics.count_webhook("invoice.paid", "applied")
    metrics.count_mail("sent")
    metrics.observe_job("jobspy", "search.run", 2.0)
    metrics.observe_request("/x", "GET", 429, 0.01)
    metrics.REPLICA_FALLBACKS.labels("down").inc(0)
    metrics.DATABASE_READS.labels("primary").inc(0)
    metrics.REDIS_FALLBACKS.labels("cache").inc(0)
    rendered = {sample.name for family in text_string_to_metric_families(metrics.render().decode()) for sample in family.samples}
    missing = metrics.NAMES - rendered - set(metrics.SCRAPED) - {"jobspy_scrape_source_up"}
    assert not missing, sorted(missing)
