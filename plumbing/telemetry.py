"""Tracing and structured logs.

Span and log attribute names live in one list (Attr), as the OpenTelemetry demo keeps them.
"""

import logging
import os
import sys
from collections.abc import MutableMapping
from typing import Any, Final

import structlog
from opentelemetry import trace
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter


class Attr:
    """Telemetry attribute names used across services."""

    SUBJECT: Final = "hotline.subject"  # the aggregate an event is about: contact or work order id
    EVENT_ID: Final = "hotline.event.id"
    EVENT_TYPE: Final = "hotline.event.type"
    PROVINCE: Final = "hotline.province"
    TIER: Final = "hotline.tier"
    DLQ_REASON: Final = "hotline.dlq.reason"
    BATCH_SIZE: Final = "hotline.batch.size"  # records a consumer took in one batch


def make_tracer_provider(
    service: str, tier: str, province: str, exporter: SpanExporter | None = None
) -> TracerProvider:
    """One provider per service; OTLP export when the standard OTEL_EXPORTER_OTLP_* variables ask for it."""
    resource = Resource.create(
        {
            "service.name": f"hotline-{service}",
            "service.namespace": "hotline",
            Attr.TIER: tier,
            Attr.PROVINCE: province,
        }
    )
    provider = TracerProvider(resource=resource)
    if exporter is None and _otlp_configured():
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        exporter = OTLPSpanExporter()
    if exporter is not None:
        provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider


def _otlp_configured() -> bool:
    return any(
        os.environ.get(name) for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", "OTEL_EXPORTER_OTLP_TRACES_ENDPOINT")
    )


def _add_trace_ids(_: Any, __: str, event_dict: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    context = trace.get_current_span().get_span_context()
    if context.is_valid:
        event_dict["trace_id"] = format(context.trace_id, "032x")
        event_dict["span_id"] = format(context.span_id, "016x")
    return event_dict


def configure_logging(level: str = "INFO") -> None:
    """JSON lines on stdout with the current trace and span ids, for our logs and every library's."""
    shared: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_logger_name,
        structlog.processors.add_log_level,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
        _add_trace_ids,
    ]
    structlog.configure(
        processors=[*shared, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=shared,
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.format_exc_info,
                structlog.processors.JSONRenderer(ensure_ascii=False),
            ],
        )
    )
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level)


def get_logger(service: str) -> Any:
    return structlog.get_logger(f"hotline.{service}").bind(service=service)
