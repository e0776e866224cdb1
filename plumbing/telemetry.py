"""Tracing and metrics: each service's providers, and every name they use.

Attribute names live in one list (Attr) and metric names in another (Metric), as the OpenTelemetry demo
keeps them; both follow OpenTelemetry's semantic conventions where one exists. Export uses the standard
OTEL_EXPORTER_OTLP_* variables (and OTEL_METRIC_EXPORT_INTERVAL for metrics).
"""

import os
from dataclasses import dataclass
from typing import Final

from opentelemetry.metrics import Meter
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import MetricReader, PeriodicExportingMetricReader
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
    DLQ_KIND: Final = "hotline.dlq.kind"  # why, as one of a few words: undecodable, rejected, ...
    BATCH_SIZE: Final = "hotline.batch.size"  # records a consumer took in one batch
    OUTCOME: Final = "hotline.outcome"  # what became of a consumed record: see Outcome
    # OpenTelemetry semantic conventions.
    DESTINATION: Final = "messaging.destination.name"
    DB_SYSTEM: Final = "db.system.name"
    DB_NAMESPACE: Final = "db.namespace"
    DB_COLLECTION: Final = "db.collection.name"
    DB_OPERATION: Final = "db.operation.name"
    ERROR_TYPE: Final = "error.type"


class Outcome:
    HANDLED: Final = "handled"
    SKIPPED: Final = "skipped"  # a type this consumer does not take, or a second copy in one batch
    REDELIVERED: Final = "redelivered"
    DEAD_LETTERED: Final = "dead_lettered"


@dataclass(frozen=True)
class MetricName:
    name: str
    unit: str
    description: str


class Metric:
    """Every metric a service reports. Ours first, then those the instrumentations record for us."""

    RECORDS: Final = MetricName(
        "hotline.consumer.records", "{record}", "Records consumed, by topic, event type and outcome."
    )
    BATCH_SIZE: Final = MetricName(
        "hotline.consumer.batch.size", "{record}", "Records a consumer took from Kafka in one batch."
    )
    HANDLING: Final = MetricName(
        "hotline.consumer.handling.duration", "s", "Time a handler took for one run of records of a type."
    )
    DEAD_LETTERS: Final = MetricName(
        "hotline.consumer.dead_letters", "{record}", "Records sent to the dead-letter topic, by kind."
    )
    STORE: Final = MetricName(
        "db.client.operation.duration", "s", "Store commands, by operation and collection (PyMongo)."
    )
    # Recorded by FastStream's KafkaTelemetryMiddleware (every publish: outbox relay, gateway, dead letters).
    PUBLISH: Final = MetricName("messaging.publish.duration", "s", "Time until Kafka acknowledged a publish.")
    PROCESS: Final = MetricName("messaging.process.duration", "s", "Time a consumer took for one batch.")
    PUBLISHED: Final = MetricName("messaging.publish.messages", "{message}", "Messages published.")
    PROCESSED: Final = MetricName("messaging.process.messages", "{message}", "Messages consumed.")
    # Recorded by the FastAPI instrumentation on the gateway: its answers, by route and status code (its
    # default, pre-stable HTTP conventions: milliseconds, `http.status_code`).
    HTTP_SERVER: Final = MetricName(
        "http.server.duration", "ms", "HTTP answers, by http.target and http.status_code."
    )
    HTTP_ACTIVE: Final = MetricName("http.server.active_requests", "{request}", "Requests being answered.")
    HTTP_REQUEST_SIZE: Final = MetricName("http.server.request.size", "By", "Size of request bodies.")
    HTTP_RESPONSE_SIZE: Final = MetricName("http.server.response.size", "By", "Size of response bodies.")

    @classmethod
    def all(cls) -> list[MetricName]:
        return [value for value in vars(cls).values() if isinstance(value, MetricName)]


@dataclass(frozen=True)
class Telemetry:
    """One service's tracer and meter providers."""

    tracer_provider: TracerProvider
    meter_provider: MeterProvider

    @property
    def meter(self) -> Meter:
        return self.meter_provider.get_meter("hotline")

    def flush(self, timeout_millis: int = 1000) -> None:
        self.tracer_provider.force_flush(timeout_millis)
        self.meter_provider.force_flush(timeout_millis)


def make_telemetry(
    service: str,
    tier: str,
    province: str,
    *,
    span_exporter: SpanExporter | None = None,
    metric_reader: MetricReader | None = None,
) -> Telemetry:
    """OTLP export when the standard variables ask for it; tests pass in-memory exporters and readers."""
    resource = Resource.create(
        {
            "service.name": f"hotline-{service}",
            "service.namespace": "hotline",
            Attr.TIER: tier,
            Attr.PROVINCE: province,
        }
    )
    tracer_provider = TracerProvider(resource=resource)
    if span_exporter is None and _otlp_configured("TRACES"):
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        span_exporter = OTLPSpanExporter()
    if span_exporter is not None:
        tracer_provider.add_span_processor(BatchSpanProcessor(span_exporter))
    readers = [metric_reader] if metric_reader is not None else []
    if metric_reader is None and _otlp_configured("METRICS"):
        from opentelemetry.exporter.otlp.proto.http.metric_exporter import OTLPMetricExporter

        readers.append(PeriodicExportingMetricReader(OTLPMetricExporter()))
    return Telemetry(tracer_provider, MeterProvider(metric_readers=readers, resource=resource))


def _otlp_configured(signal: str) -> bool:
    return any(
        os.environ.get(name)
        for name in ("OTEL_EXPORTER_OTLP_ENDPOINT", f"OTEL_EXPORTER_OTLP_{signal}_ENDPOINT")
    )
