import pytest

from jobspy_web.services.scraping import SiteScrape
from jobspy_web.services.site_outcomes import FailureReason, SiteOutcome, SiteState, classify


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        ("response status code 429 (blocked: use a proxy)", FailureReason.BLOCKED),
        ("response status code 403 (blocked: use a proxy)", FailureReason.BLOCKED),
        ("response status code 451", FailureReason.GEOBLOCKED),
        ("HTTPSConnectionPool(host='x'): Max retries exceeded (Caused by ProxyError('Unable to connect to proxy'))", FailureReason.NETWORK),
        ("Expecting value: line 1 column 1 (char 0)", FailureReason.UNEXPECTED_RESPONSE),
        ("KeyError: 'jobs'", FailureReason.ERROR),
    ],
)
def test_failures_get_a_reason_and_an_actionable_hint(error, reason):
    outcome = classify(SiteScrape("indeed", error=error), stored=0, timeout_s=60)
    assert outcome.state == SiteState.FAILED
    assert outcome.reason == reason
    assert outcome.hint


def test_blocked_hint_says_use_a_proxy():
    outcome = classify(SiteScrape("linkedin", error="response status code 429"), stored=0, timeout_s=60)
    assert "proxy" in outcome.hint.lower()


def test_timeout_names_the_limit():
    outcome = classify(SiteScrape("glassdoor", timed_out=True, elapsed_s=5.0), stored=0, timeout_s=5)
    assert (outcome.state, outcome.reason) == (SiteState.FAILED, FailureReason.TIMEOUT)
    assert "5 s" in outcome.message


def test_no_results_is_done_with_a_hint():
    outcome = classify(SiteScrape("indeed"), stored=0, timeout_s=60)
    assert outcome.state == SiteState.DONE and outcome.count == 0
    assert "broader" in outcome.hint


def test_partial_failure_keeps_the_jobs_found():
    outcome = classify(SiteScrape("indeed", error="response status code 429"), stored=7, timeout_s=60)
    assert outcome.state == SiteState.DONE and outcome.count == 7
    assert "stopped early" in outcome.message


def test_proxy_credentials_never_reach_the_message():
    error = "Unable to connect to proxy http://alice:s3cret@proxy.example:8080"
    outcome = classify(SiteScrape("indeed", error=error, warnings=[error]), stored=0, timeout_s=60)
    assert "s3cret" not in outcome.message and "alice" not in outcome.message
    assert "s3cret" not in " ".join(outcome.warnings or [])


def test_outcome_round_trips_through_json():
    outcome = SiteOutcome(SiteState.FAILED, reason=FailureReason.TIMEOUT, message="m", hint="h")
    assert SiteOutcome.from_json(outcome.as_json()) == outcome
