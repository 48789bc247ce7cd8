"""Distributed traces (OpenTelemetry) and error tracking (Sentry), both off unless configured.

Traces
    On when the standard OpenTelemetry variables ask for them: OTEL_EXPORTER_OTLP_ENDPOINT
    (or OTEL_EXPORTER_OTLP_TRACES_ENDPOINT), or OTEL_TRACES_EXPORTER=otlp|console. The OTLP
    exporter reads the rest itself (OTEL_SERVICE_NAME, OTEL_EXPORTER_OTLP_HEADERS, ...).
    Then SQLAlchemy, redis and httpx are instrumented, and the API's ASGI app is wrapped
    (api.observability.tracing_middlewares) so each request is a server span with those as its children.
    Unset, the tracer is OpenTelemetry's no-op one: `tracer()` costs nothing.

    A search is one span ("search") with one child per site ("search.site"), made in
    search.runner through `tracer()`.

Sentry
    On when SENTRY_DSN is set. Every event passes through infra.log_redaction.redact
    before it leaves (`scrub`): no cookie, token, key or password in what Sentry keeps;
    request bodies are not sent, nor personal data (Sentry's default).
"""

from __future__ import annotations

import os
from typing import Any

from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SimpleSpanProcessor, SpanExporter

from jobspy_web import db
from jobspy_web.infra import log_redaction

__all__ = ["UNTRACED_URLS", "configure", "configure_sentry", "scrub", "tracer", "tracing_on", "tracing_wanted"]

SERVICE_NAME = "jobspy-web"
_configured = False


def tracer() -> trace.Tracer:
    return trace.get_tracer("jobspy_web")


def tracing_wanted(environ: dict[str, str] | None = None) -> bool:
    environ = dict(os.environ) if environ is None else environ
    exporter = environ.get("OTEL_TRACES_EXPORTER", "").lower()
    if exporter == "none" or environ.get("OTEL_SDK_DISABLED", "").lower() == "true":
        return False
    endpoint = environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    return exporter in ("otlp", "console") or bool(endpoint)


def _exporter_from_environment() -> SpanExporter:
    if os.environ.get("OTEL_TRACES_EXPORTER", "").lower() == "console":
        from opentelemetry.sdk.trace.export import ConsoleSpanExporter

        return ConsoleSpanExporter()
    from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

    return OTLPSpanExporter()


def configure(*, exporter: SpanExporter | None = None) -> bool:
    """Install the tracer provider and the library instrumentations once; True when tracing
    is on. `exporter`: tests pass an in-memory one (spans exported as each ends)."""
    global _configured
    if _configured:
        return True
    if exporter is None and not tracing_wanted():
        return False
    resource = Resource.create({"service.name": os.environ.get("OTEL_SERVICE_NAME", SERVICE_NAME)})
    provider = TracerProvider(resource=resource)
    processor = SimpleSpanProcessor(exporter) if exporter is not None else BatchSpanProcessor(_exporter_from_environment())
    provider.add_span_processor(processor)
    trace.set_tracer_provider(provider)
    _instrument_libraries()
    _configured = True
    return True


def _instrument_libraries() -> None:
    from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
    from opentelemetry.instrumentation.redis import RedisInstrumentor

    # The app's engines come from db.make_engine (sqlmodel's create_engine, which the
    # SQLAlchemy instrumentor's patch of sqlalchemy.create_engine misses): traced there.
    db.ENGINE_LISTENERS.append(_trace_engine)
    RedisInstrumentor().instrument()
    HTTPXClientInstrumentor().instrument()


def _trace_engine(engine: Any) -> None:
    from opentelemetry.instrumentation.sqlalchemy.engine import EngineTracer
    from opentelemetry.metrics import get_meter

    connections = get_meter("jobspy_web").create_up_down_counter("db.client.connections.usage", unit="connections")
    EngineTracer(trace.get_tracer("opentelemetry.instrumentation.sqlalchemy"), engine, connections, False, {}, False)


def tracing_on() -> bool:
    return _configured


# Scrapes and probes would be most of the spans and tell nothing.
UNTRACED_URLS = "/metrics,/health,/ready"


def scrub(event: dict[str, Any], _hint: Any = None) -> dict[str, Any]:
    """A Sentry event with every secret replaced (its before_send)."""
    return log_redaction.redact(event)  # type: ignore[no-any-return]


def configure_sentry(dsn: str | None = None, *, transport: Any = None, **options: Any) -> bool:
    """Start Sentry when SENTRY_DSN (or `dsn`) is set; True when it is on. `transport` and
    `options`: tests keep the events and leave out the default integrations."""
    dsn = dsn if dsn is not None else os.environ.get("SENTRY_DSN", "")
    if not dsn:
        return False
    import sentry_sdk

    options = {
        **options,
        "dsn": dsn,
        "environment": os.environ.get("ENVIRONMENT", "development"),
        "max_request_body_size": "never",
        "before_send": scrub,
        "before_send_transaction": scrub,
        "traces_sample_rate": 0.0,  # traces go to OpenTelemetry
    }
    if transport is not None:
        options["transport"] = transport
    sentry_sdk.init(**options)
    return True
