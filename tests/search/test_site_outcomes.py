import pytest

from jobspy_web.search.outcomes import FailureReason, SiteOutcome, SiteState, classify
from jobspy_web.search.probe import Observations, challenge_in
from jobspy_web.search.scraping import SiteScrape


@pytest.mark.parametrize(
    ("error", "reason"),
    [
        ("response status code 429 (blocked: use a proxy)", FailureReason.BLOCKED),
        ("response status code 403 (blocked: use a proxy)", FailureReason.BLOCKED),
        ("response status code 451", FailureReason.GEOBLOCKED),
        ("HTTPSConnectionPool(host='x'): Max retries exceeded (Caused by ProxyError('Unable to connect to proxy'))", FailureReason.NETWORK),
        ("Expecting value: line 1 column 1 (char 0)", FailureReason.UNEXPECTED_RESPONSE),
        ("response status code 503", FailureReason.UNEXPECTED_RESPONSE),
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
    assert outcome.message == "Glassdoor didn't finish within 5 s and was stopped."


def test_a_timeout_after_some_pages_keeps_them_as_done():
    outcome = classify(SiteScrape("linkedin", timed_out=True, elapsed_s=5.0), stored=20, timeout_s=5)
    assert (outcome.state, outcome.count, outcome.reason) == (SiteState.DONE, 20, FailureReason.TIMEOUT)


def test_postings_none_of_which_could_be_read_mean_the_site_changed():
    scrape = SiteScrape("indeed", seen=Observations(unreadable=25, unreadable_sample="1 validation error for JobPost"))
    outcome = classify(scrape, stored=0, timeout_s=60)
    assert (outcome.state, outcome.reason) == (SiteState.FAILED, FailureReason.SITE_CHANGED)
    assert f"{outcome.message} {outcome.hint}" == (
        "Indeed answered, but in a format this version can't read; the site probably changed. "
        "Other sites are unaffected; updating python-jobspy usually fixes it."
    )
    assert "validation error" in outcome.detail


def test_a_page_level_validation_error_means_the_site_changed():
    error = "1 validation error for JobSearch\nresults.0.job\n  Field required [type=missing]"
    assert classify(SiteScrape("indeed", error=error), stored=0, timeout_s=60).reason == FailureReason.SITE_CHANGED


def test_some_unreadable_postings_are_a_warning_on_a_done_site():
    outcome = classify(SiteScrape("linkedin", seen=Observations(readable=13, unreadable=12)), stored=13, timeout_s=60)
    assert (outcome.state, outcome.count, outcome.reason) == (SiteState.DONE, 13, None)
    assert outcome.warnings == ["12 of 25 LinkedIn postings could not be read."]
    assert outcome.hint == ""


def test_a_challenge_page_is_blocked_whatever_jobspy_made_of_it():
    for error in (None, "Expecting value: line 1 column 1 (char 0)", "no job data returned"):
        scrape = SiteScrape("google", error=error, seen=Observations(blocked="challenge page (status 200)"))
        outcome = classify(scrape, stored=0, timeout_s=60)
        assert (outcome.state, outcome.reason) == (SiteState.FAILED, FailureReason.BLOCKED), error
        assert outcome.message == "Google blocked this server."
        assert "challenge page (status 200)" in outcome.detail


def test_raw_exception_text_stays_in_the_detail_not_the_message():
    error = "HTTPSConnectionPool(host='apis.indeed.com', port=443): Max retries exceeded (NameResolutionError(...))"
    outcome = classify(SiteScrape("indeed", error=error), stored=0, timeout_s=60)
    assert outcome.reason == FailureReason.NETWORK
    assert outcome.message == "Couldn't reach Indeed."
    assert "HTTPSConnectionPool" in outcome.detail and "HTTPSConnectionPool" not in outcome.message


def test_no_results_is_done_with_a_hint():
    outcome = classify(SiteScrape("indeed"), stored=0, timeout_s=60)
    assert outcome.state == SiteState.DONE and outcome.count == 0
    assert "broader" in outcome.hint


def test_partial_failure_keeps_the_jobs_found():
    outcome = classify(SiteScrape("indeed", error="response status code 429"), stored=7, timeout_s=60)
    assert outcome.state == SiteState.DONE and outcome.count == 7
    assert outcome.reason == FailureReason.BLOCKED and outcome.stopped_early
    assert "Stopped early, after 7 jobs" in outcome.message


def test_proxy_credentials_never_reach_the_message():
    error = "Unable to connect to proxy http://alice:s3cret@proxy.example:8080"
    outcome = classify(SiteScrape("indeed", error=error, warnings=[error]), stored=0, timeout_s=60)
    assert "s3cret" not in outcome.message and "alice" not in outcome.message
    assert "s3cret" not in outcome.detail and "alice" not in outcome.detail
    assert "s3cret" not in " ".join(outcome.warnings or [])


def test_outcome_round_trips_through_json():
    outcome = SiteOutcome(SiteState.FAILED, reason=FailureReason.TIMEOUT, message="m", hint="h")
    assert SiteOutcome.from_json(outcome.as_json()) == outcome


@pytest.mark.parametrize(
    ("status", "content_type", "page"),
    [
        (200, "text/html", "<html><head><title>Just a moment...</title></head><body>cf-chl</body></html>"),
        (403, "text/html", "<html><head><title>Access Denied</title></head><body>Reference #18</body></html>"),
        (200, "text/html", "<html><body><div class='g-recaptcha'></div></body></html>"),
        (200, "text/html", "<html><body>Please enable JavaScript to view this page.</body></html>"),
    ],
)
def test_challenge_pages_are_recognised_with_any_status(status, content_type, page):
    assert challenge_in(status, content_type, page) == f"challenge page (status {status})"


def test_a_large_results_page_mentioning_captcha_in_a_script_is_not_a_challenge():
    page = "<html><body>" + "<div class='job-card'>Engineer</div>" * 2000 + "<script>var captcha=0</script></body></html>"
    assert challenge_in(200, "text/html", page) is None
    assert challenge_in(200, "application/json", '{"jobs": [], "note": "blocked"}') is None
