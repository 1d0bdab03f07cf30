"""OpenTelemetry and logging, set up once per process the same way for every service.

Traces always exist in-process (their context travels in every event
envelope); they are exported over OTLP only when OTEL_EXPORTER_OTLP_ENDPOINT
is set. The standard OTEL_* variables are honoured by the exporter itself.
"""

from __future__ import annotations

import logging
import os
import sys

from opentelemetry import trace
from opentelemetry.instrumentation.botocore import BotocoreInstrumentor
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.instrumentation.sqlalchemy import SQLAlchemyInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from pythonjsonlogger.json import JsonFormatter
from sqlalchemy.engine import Engine

from causeway.config import Settings
from causeway.messaging import context as message_context

log = logging.getLogger("causeway.telemetry")


def resource_for(settings: Settings) -> Resource:
    return Resource.create(
        {
            "service.name": settings.service_name,
            "service.namespace": "causeway",
            "cloud.provider": "aws",
            "cloud.account.id": settings.aws_account_id or "",
            "cloud.region": settings.aws_region,
            "deployment.environment": settings.causeway_env.value,
        }
    )


EXPORT_TIMEOUT_SECONDS = 2


def _configured(suffix: str) -> bool:
    return any(f"OTEL_EXPORTER_OTLP_{kind}{suffix}" in os.environ for kind in ("", "TRACES_"))


def setup_tracing(settings: Settings) -> TracerProvider:
    provider = TracerProvider(resource=resource_for(settings))
    exporter = os.environ.get("OTEL_TRACES_EXPORTER", "otlp").strip().lower()
    if settings.otel_exporter_otlp_endpoint and exporter != "none":
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        # A short export timeout unless configured: with the collector away,
        # the exporter's retries must not hold a stopping service for 10 s.
        timeout = None if _configured("TIMEOUT") else EXPORT_TIMEOUT_SECONDS
        provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(timeout=timeout)))
        log.info("exporting traces to %s", settings.otel_exporter_otlp_endpoint)
    else:
        log.info("trace export is off (OTEL_EXPORTER_OTLP_ENDPOINT is not set)")
    trace.set_tracer_provider(provider)
    BotocoreInstrumentor().instrument(tracer_provider=provider)
    HTTPXClientInstrumentor().instrument(tracer_provider=provider)
    return provider


def instrument_engine(engine: Engine, provider: TracerProvider) -> None:
    SQLAlchemyInstrumentor().instrument(engine=engine, tracer_provider=provider)


class _ContextFilter(logging.Filter):
    """Stamps every record with the service, the trace and the correlation."""

    def __init__(self, settings: Settings) -> None:
        super().__init__()
        self._service = settings.service_name
        self._account = settings.aws_account_id

    def filter(self, record: logging.LogRecord) -> bool:
        record.__dict__.pop("color_message", None)  # uvicorn's ANSI copy of the message
        record.service = self._service
        record.account = self._account
        span = trace.get_current_span().get_span_context()
        if span.is_valid:
            record.trace_id = format(span.trace_id, "032x")
            record.span_id = format(span.span_id, "016x")
        ctx = message_context.current()
        if ctx is not None:
            record.correlationId = ctx.correlation_id
            if ctx.event_type:
                record.eventId = ctx.causation_id
                record.eventType = ctx.event_type
        return True


def setup_logging(settings: Settings, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        JsonFormatter(
            "{asctime}{levelname}{name}{message}",
            style="{",
            rename_fields={"asctime": "time", "levelname": "level", "name": "logger"},
        )
    )
    handler.addFilter(_ContextFilter(settings))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("botocore", "boto3", "urllib3", "httpx", "httpcore"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
