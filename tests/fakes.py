"""In-memory stand-ins the bootstraps accept, for fast unit tests (cosmicpython's fakes).

The fake store keeps aggregates, not documents: what a unit test sees is what the domain did, and the
document mapping is tested against the real store.
"""

import asyncio
import copy
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Generic, TypeVar

from contracts.envelope import Envelope, decode, encode
from contracts.events import EVENTS_BY_TYPE, AuditRecordedV1, CustomerStandingV1, Event, SmsDeliveryReportedV1
from plumbing.due_minutes import minute_of
from plumbing.outbox import OutboxEntry
from plumbing.repository import Aggregate, Loaded, Repository
from plumbing.settings import BusSettings
from services.intake.domain.outages import Outage
from services.intake.domain.work_order import WorkOrder
from services.intake.ports import OutageRepository, WorkOrderRepository
from services.notify.domain.deliveries import Delivery, Report, report_reference_for
from services.notify.domain.links import Link, Result
from services.notify.domain.notification import Notification, NotificationStatus
from services.notify.ports import NotificationRepository, SmsGatewayError

A = TypeVar("A", bound=Aggregate)

UNIT_SETTINGS: dict[str, Any] = {
    # Nothing is dialled: the bootstraps get fakes for the store and the SMS gateway, and no broker starts.
    "kafka_bootstrap_servers": "127.0.0.1:1",
    "mongodb_uri": "mongodb://127.0.0.1:1/",
    "kannel_sendsms_url": "http://127.0.0.1:1/cgi-bin/sendsms",
    "kannel_username": "test",
    "kannel_password": "test",
    "hotline_province": "gd",
    "hotline_environment": "local",  # the placeholder password above is refused anywhere else
    # Notify texts at any hour: the quiet hours have tests of their own, on a clock they set.
    "quiet_hours": False,
}


def source_of(service: str) -> str:
    return BusSettings(**UNIT_SETTINGS).source(service)


def envelope_of(event: Event, source: str = "/hotline/province/gd/test") -> Envelope:
    message = encode(event, source)
    key = message.key.encode() if isinstance(message.key, str) else message.key
    return decode(message.headers, key, message.value)


class FakeBus:
    """What the relay published, in order, as (topic, decoded event)."""

    def __init__(self, accepted: Mapping[str, type[Event]] = EVENTS_BY_TYPE) -> None:
        self._accepted = accepted
        self.published: list[tuple[str, Envelope]] = []
        # While down, every send fails as a Kafka outage would, after the store write.
        self.down = False

    def on(self, topic: str) -> list[Envelope]:
        return [envelope for published_on, envelope in self.published if published_on == topic]

    def deliver(self, entry: OutboxEntry) -> None:
        if self.down:
            raise ConnectionError("the bus is down")
        headers = {name: value.encode() for name, value in entry.headers.items()}
        envelope = decode(headers, entry.key.encode(), entry.value.encode(), self._accepted)
        self.published.append((entry.topic, envelope))


@dataclass
class Stored(Generic[A]):
    aggregate: A
    outbox: list[OutboxEntry]


@dataclass
class InMemoryStore(Generic[A]):
    bus: FakeBus = field(default_factory=FakeBus)
    stored: dict[str, Stored[A]] = field(default_factory=dict)

    def __getitem__(self, aggregate_id: str) -> A:
        return copy.deepcopy(self.stored[aggregate_id].aggregate)

    def __len__(self) -> int:
        return len(self.stored)

    def all(self) -> list[A]:
        return [copy.deepcopy(stored.aggregate) for stored in self.stored.values()]


class InMemoryRepository(Repository[A]):
    def __init__(self, store: InMemoryStore[A], *, derived_ids: bool = True) -> None:
        super().__init__(derived_ids=derived_ids)
        self._store = store

    async def send_pending(self, batch: dict[str, list[OutboxEntry]]) -> None:
        for aggregate_id, entries in batch.items():
            for entry in entries:
                self._store.bus.deliver(entry)
                stored = self._store.stored[aggregate_id]
                stored.outbox = [kept for kept in stored.outbox if kept.entry_id != entry.entry_id]

    async def _load(self, aggregate_id: str) -> Loaded[A] | None:
        stored = self._store.stored.get(aggregate_id)
        loaded = Loaded(copy.deepcopy(stored.aggregate), list(stored.outbox)) if stored else None
        await asyncio.sleep(0)  # as a real store's answer takes a while: concurrent writers interleave
        return loaded

    async def _insert_many(self, new: list[tuple[A, list[OutboxEntry]]]) -> set[str]:
        already = set()
        for aggregate, entries in new:
            if aggregate.id in self._store.stored:
                already.add(aggregate.id)
            else:
                self._store.stored[aggregate.id] = Stored(_at_version(aggregate, 1), list(entries))
        return already

    async def _update_many(self, changed: list[tuple[A, int, list[OutboxEntry]]]) -> bool:
        all_current = True
        for aggregate, expected, entries in changed:
            stored = self._store.stored.get(aggregate.id)
            if stored is None or stored.aggregate.version != expected:
                all_current = False
                continue
            stored.aggregate, stored.outbox = (
                _at_version(aggregate, expected + 1),
                stored.outbox + list(entries),
            )
        return all_current

    async def _pending(self, aggregate_id: str) -> list[OutboxEntry]:
        return list(self._store.stored[aggregate_id].outbox)


def _at_version(aggregate: A, version: int) -> A:
    stored = copy.deepcopy(aggregate)
    stored.version = version
    return stored


class InMemoryNotifications(InMemoryRepository[Notification], NotificationRepository):
    def _stored(self) -> list[Notification]:
        return [stored.aggregate for stored in self._store.stored.values()]

    async def unsettled(self, now: datetime) -> list[str]:
        settled = (NotificationStatus.SENT, NotificationStatus.FAILED)
        return [
            n.id
            for n in self._stored()
            if n.status not in settled and (n.next_attempt_at is None or n.next_attempt_at <= now)
        ]

    async def next_attempt_in(self, minute: str) -> list[str]:
        return [
            notification.id
            for notification in self._stored()
            if minute_of(notification.next_attempt_at) == minute
        ]

    async def with_reference(self, reference: str) -> str | None:
        found = [n.id for n in self._stored() if report_reference_for(n.id) == reference]
        return found[0] if found else None


class InMemoryWorkOrders(InMemoryRepository[WorkOrder], WorkOrderRepository):
    async def placed(self, contact_ids: Iterable[str]) -> set[str]:
        orders = [kept.aggregate for kept in self._store.stored.values()]
        placed = {order.contact_id for order in orders} | {c for order in orders for c in order.linked}
        return set(contact_ids) & placed

    async def open_for(self, keys: Iterable[str]) -> list[WorkOrder]:
        wanted = set(keys)
        stored = [copy.deepcopy(kept.aggregate) for kept in self._store.stored.values()]
        return [order for order in stored if wanted & set(order.repeat_keys())]


class InMemoryOutages(InMemoryRepository[Outage], OutageRepository):
    async def active_in(self, area_codes: Iterable[str]) -> list[Outage]:
        codes = set(area_codes)
        stored = [copy.deepcopy(kept.aggregate) for kept in self._store.stored.values()]
        return [outage for outage in stored if not outage.forgotten and codes & set(outage.areas)]


class InMemoryLinkedContacts:
    def __init__(self) -> None:
        self.links: dict[str, Link] = {}
        self.results: dict[str, Result] = {}

    async def add(self, links: Sequence[Link]) -> None:
        for link in links:
            self.links.setdefault(link.contact_id, link)

    async def of(self, work_order_id: str) -> list[Link]:
        return [link for link in self.links.values() if link.work_order_id == work_order_id]

    async def keep_result(self, result: Result) -> None:
        self.results[result.work_order_id] = result

    async def result_of(self, work_order_id: str) -> Result | None:
        return self.results.get(work_order_id)


class FakeSmsGateway:
    def __init__(self, failures: int = 0) -> None:
        self.sent: list[tuple[str, str]] = []
        self.sent_from: list[str | None] = []  # each text's reply code
        self.references: list[str | None] = []
        self._failures = failures
        self.die_on_next_send = False
        self.die_after_next_send = False  # the gateway takes the text, then the sender dies
        self.broken_for: set[str] = set()

    async def send(
        self, to: str, text: str, *, reply_code: str | None = None, reference: str | None = None
    ) -> str:
        if to in self.broken_for:
            raise RuntimeError("unexpected failure in the gateway client")
        if self.die_on_next_send:
            self.die_on_next_send = False
            raise SystemExit("the sending process died")
        if self._failures > 0:
            self._failures -= 1
            raise SmsGatewayError("SMS gateway unreachable")
        self.sent.append((to, text))
        self.sent_from.append(reply_code)
        self.references.append(reference)
        if self.die_after_next_send:
            self.die_after_next_send = False
            raise SystemExit("the sending process died before recording the send")
        return "0: Accepted for delivery"


class InMemoryDeliveries:
    def __init__(self) -> None:
        self.reports: dict[str, list[Report]] = {}

    async def record(self, report: SmsDeliveryReportedV1) -> Delivery:
        kept = Report(report.state, report.gateway_status, report.reported_at)
        reports = self.reports.setdefault(report.reference, [])
        if kept not in reports:
            reports.append(kept)
        return Delivery(report.reference, list(reports))

    async def of(self, reference: str) -> Delivery | None:
        reports = self.reports.get(reference)
        return Delivery(reference, list(reports)) if reports else None


class FakeClock:
    """Time that moves only when a test says so."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2026, 11, 23, 10, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class InMemoryAuditTrail:
    def __init__(self) -> None:
        self.records: dict[str, AuditRecordedV1] = {}

    async def record(self, entries: Sequence[AuditRecordedV1]) -> None:
        for entry in entries:
            self.records.setdefault(entry.audit_id, entry)

    async def in_minutes(self, minutes: Sequence[str], principal: str | None) -> list[AuditRecordedV1]:
        wanted = set(minutes)
        found = [
            e
            for e in self.records.values()
            if e.at.strftime("%Y-%m-%dT%H:%M") in wanted
            and (principal is None or e.principal_id == principal)
        ]
        return sorted(found, key=lambda e: (e.at, e.audit_id))


class RecordingPublisher:
    """Takes what the gateway publishes: its events in `published`, their audit records in `audited`."""

    def __init__(self) -> None:
        self.published: list[Event] = []
        self.event_ids: list[str | None] = []  # as given by the publisher's caller, beside `published`
        self.topics: list[str] = []  # likewise
        self.audited: list[AuditRecordedV1] = []

    async def publish(self, event: Event, topic: str, *, event_id: str | None = None) -> str:
        if isinstance(event, AuditRecordedV1):
            self.audited.append(event)
        else:
            self.published.append(event)
            self.event_ids.append(event_id)
            self.topics.append(topic)
        return event_id or "event-id"

    async def publish_many(self, events: Sequence[tuple[Event, str | None]], topic: str) -> None:
        for event, event_id in events:
            await self.publish(event, topic, event_id=event_id)


class RecordingStandings:
    """Intake's standings announcements, as the bus would have taken them."""

    def __init__(self) -> None:
        self.announced: list[CustomerStandingV1] = []

    async def announce(self, standings: Sequence[CustomerStandingV1]) -> None:
        self.announced.extend(standings)

    def latest(self) -> dict[str, CustomerStandingV1]:
        """Each number's last word, as the compacted topic keeps it."""
        return {standing.phone: standing for standing in self.announced}
