"""Traces (an in-memory span exporter): a search is one trace whose sites are its child spans,
with the database's spans beneath them; an API request is a server span over its queries;
nothing is set up without OTEL_* settings. Sentry: events leave with every secret scrubbed."""

from __future__ import annotations

import httpx
import pytest
import sentry_sdk
from opentelemetry import trace
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from sentry_sdk.transport import Transport

from jobspy_web.api.app import build_api
from jobspy_web.db import write_session
from jobspy_web.infra import tracing
from jobspy_web.search import runner
from jobspy_web.search.params import parse_search_params
from jobspy_web.settings import reset_process_state
from tests.replay import SiteBehaviour

EXPORTER = InMemorySpanExporter()


@pytest.fixture
def spans():
    """Tracing on for this process (once: OpenTelemetry keeps its first provider), engines
    made afresh so SQLAlchemy's are traced; the spans each test made."""
    assert tracing.configure(exporter=EXPORTER)
    reset_process_state()
    EXPORTER.clear()
    yield EXPORTER
    EXPORTER.clear()


def test_tracing_stays_off_without_otel_settings():
    assert not tracing.tracing_wanted({})
    assert not tracing.tracing_wanted({"OTEL_TRACES_EXPORTER": "none", "OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
    assert tracing.tracing_wanted({"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"})
    assert tracing.tracing_wanted({"OTEL_TRACES_EXPORTER": "otlp"})
    assert not tracing.tracing_wanted({"OTEL_SDK_DISABLED": "true", "OTEL_TRACES_EXPORTER": "otlp"})


async def test_a_search_is_one_trace_with_a_span_per_site_and_its_queries_beneath(db, replay, spans):
    replay.scenario["glassdoor"] = SiteBehaviour(mode="status", status=429)
    params = parse_search_params({"search_term": "python developer", "location": "Austin, TX", "results_wanted": 5})
    params = params.model_copy(update={"site_name": ["indeed", "glassdoor"]})
    with write_session() as session:
        search_id = runner.create_search(session=session, params=params).id
    events = [event async for event in runner.run_search(search_id)]
    assert events[-1].status is not None

    finished = spans.get_finished_spans()
    (search,) = [span for span in finished if span.name == "search"]
    sites = [span for span in finished if span.name == "search.site"]
    assert sorted(span.attributes["search.site"] for span in sites) == ["glassdoor", "indeed"]
    assert all(span.parent is not None and span.parent.span_id == search.context.span_id for span in sites)
    assert all(span.context.trace_id == search.context.trace_id for span in sites)
    outcomes = {span.attributes["search.site"]: span.attributes["search.site.outcome"] for span in sites}
    assert outcomes == {"indeed": "done", "glassdoor": "blocked"}
    assert search.attributes["search.status"] == events[-1].status.value
    site_ids = {span.context.span_id for span in sites}
    queries_under_sites = [span for span in finished if span.parent is not None and span.parent.span_id in site_ids and span is not search]
    assert queries_under_sites, "the database's spans nest under their site"


async def test_an_api_request_is_a_server_span_over_its_queries(db, spans):
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url="http://testserver") as client:
        assert (await client.get("/health")).status_code == 200  # not traced: probes are noise
        answer = await client.post("/licenses/deactivate", json={"license_key": "nope", "hardware_fp": "x" * 64})
        assert answer.status_code == 422
    finished = spans.get_finished_spans()
    servers = [span for span in finished if span.kind == trace.SpanKind.SERVER]
    assert [span.attributes.get("http.target", span.attributes.get("url.path")) for span in servers] == ["/licenses/deactivate"]
    assert servers[0].attributes.get("http.status_code", servers[0].attributes.get("http.response.status_code")) == 422


class KeptEvents(Transport):
    def __init__(self, options=None):
        super().__init__(options)
        self.envelopes = []

    def capture_envelope(self, envelope):
        self.envelopes.append(envelope)


def test_sentry_events_leave_with_secrets_scrubbed():
    kept = KeptEvents()
    assert not tracing.configure_sentry("")
    assert tracing.configure_sentry("https://public@sentry.example/1", transport=kept, default_integrations=False)
    try:
        try:
            raise RuntimeError("login failed for Authorization: Bearer abcdefghijklmnop123 with password=hunter22")
        except RuntimeError as error:
            with sentry_sdk.new_scope() as scope:
                scope.set_context("request", {"headers": {"Cookie": "jobspy_session=sessionsecret123", "Accept": "text/html"}})
                scope.set_extra("license_key", "JSW-AAAAA-BBBBB-CCCCC-DDDDD-EEEEE-FFFFF")
                sentry_sdk.capture_exception(error)
        sentry_sdk.flush()
    finally:
        sentry_sdk.get_client().close()
        sentry_sdk.init()  # no DSN: off again for the rest of the session
    sent = b"".join(item.get_bytes() for envelope in kept.envelopes for item in envelope.items)
    assert b"login failed" in sent  # the event itself went out
    for secret in (b"abcdefghijklmnop123", b"hunter22", b"sessionsecret123", b"JSW-AAAAA"):
        assert secret not in sent, secret
    assert b"[redacted]" in sent
