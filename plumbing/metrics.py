"""The instruments behind the names in `plumbing.telemetry.Metric`: consumers' and the store client's."""

from typing import Any

from opentelemetry.metrics import Meter
from pymongo import monitoring

from plumbing.telemetry import Attr, Metric, MetricName, Outcome

# The store's handshake and health commands are not the service's work.
_NOT_TIMED = frozenset({"hello", "ismaster", "isMaster", "ping", "saslStart", "saslContinue", "endSessions"})


def _histogram(meter: Meter, metric: MetricName, boundaries: list[float] | None = None) -> Any:
    return meter.create_histogram(
        metric.name,
        unit=metric.unit,
        description=metric.description,
        explicit_bucket_boundaries_advisory=boundaries,
    )


# Seconds, from a lookup served by an index (about a millisecond) to a handler stuck behind an outage.
LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0]
BATCH_BUCKETS = [1.0, 2.0, 5.0, 10.0, 20.0, 50.0, 100.0, 200.0, 500.0]


class ConsumerMetrics:
    def __init__(self, meter: Meter) -> None:
        self._records = meter.create_counter(
            Metric.RECORDS.name, unit=Metric.RECORDS.unit, description=Metric.RECORDS.description
        )
        self._dead_letters = meter.create_counter(
            Metric.DEAD_LETTERS.name,
            unit=Metric.DEAD_LETTERS.unit,
            description=Metric.DEAD_LETTERS.description,
        )
        self._batch = _histogram(meter, Metric.BATCH_SIZE, BATCH_BUCKETS)
        self._handling = _histogram(meter, Metric.HANDLING, LATENCY_BUCKETS)

    def batch(self, topic: str, size: int) -> None:
        self._batch.record(size, {Attr.DESTINATION: topic})

    def records(self, topic: str, event_type: str, outcome: str, count: int = 1) -> None:
        self._records.add(
            count, {Attr.DESTINATION: topic, Attr.EVENT_TYPE: event_type, Attr.OUTCOME: outcome}
        )

    def handled(self, topic: str, event_type: str, count: int, seconds: float) -> None:
        self.records(topic, event_type, Outcome.HANDLED, count)
        self._handling.record(seconds, {Attr.DESTINATION: topic, Attr.EVENT_TYPE: event_type})

    def dead_lettered(self, topic: str, event_type: str, kind: str) -> None:
        self.records(topic, event_type, Outcome.DEAD_LETTERED)
        self._dead_letters.add(1, {Attr.DESTINATION: topic, Attr.DLQ_KIND: kind})


class StoreCommandTimer(monitoring.CommandListener):
    """Times every command a service's store client sends (PyMongo's command monitoring)."""

    def __init__(self, meter: Meter) -> None:
        self._duration = _histogram(meter, Metric.STORE, LATENCY_BUCKETS)
        self._collections: dict[tuple[int, object], str] = {}

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        # getMore names its collection apart: its own value is the cursor id.
        target = event.command.get("collection" if event.command_name == "getMore" else event.command_name)
        if isinstance(target, str) and event.command_name not in _NOT_TIMED:
            self._collections[(event.request_id, event.connection_id)] = target

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        self._record(event, None)

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        self._record(event, str(event.failure.get("codeName") or event.failure.get("errtype") or "error"))

    def _record(
        self, event: monitoring.CommandSucceededEvent | monitoring.CommandFailedEvent, error: str | None
    ) -> None:
        collection = self._collections.pop((event.request_id, event.connection_id), None)
        if collection is None:
            return
        attributes = {
            Attr.DB_SYSTEM: "mongodb",
            Attr.DB_NAMESPACE: event.database_name,
            Attr.DB_COLLECTION: collection,
            Attr.DB_OPERATION: event.command_name,
        }
        if error is not None:
            attributes[Attr.ERROR_TYPE] = error
        self._duration.record(event.duration_micros / 1e6, attributes)
