"""In-memory stand-ins for the ports the handlers use, for fast unit tests (cosmicpython's fakes)."""

import copy
from datetime import UTC, datetime
from typing import Any

from contracts.envelope import Envelope, decode, encode
from contracts.events import Event

Document = dict[str, Any]


def envelope_of(event: Event, source: str = "/hotline/province/gd/test") -> Envelope:
    message = encode(event, source)
    return decode(message.headers, message.key, message.value)


def outbox_events(document: Document) -> list[tuple[str, Envelope]]:
    """What the relay would publish for this document: (topic, decoded event) in order."""
    entries = sorted((document.get("outbox") or {}).values(), key=lambda entry: entry["seq"])
    return [
        (
            entry["topic"],
            decode(
                {k: v.encode() for k, v in entry["headers"].items()},
                entry["key"].encode(),
                entry["value"].encode(),
            ),
        )
        for entry in entries
    ]


class FakeCollection:
    """Documents keyed by _id, with the few single-document operations the adapters promise."""

    def __init__(self) -> None:
        self.documents: dict[str, Document] = {}

    async def add(self, document: Document) -> bool:
        if document["_id"] in self.documents:
            return False
        self.documents[document["_id"]] = copy.deepcopy(document)
        return True

    async def get(self, document_id: str) -> Document | None:
        found = self.documents.get(document_id)
        return copy.deepcopy(found) if found else None


class FakeDispatches(FakeCollection):
    async def record_once(
        self, work_order_id: str, event_id: str, changes: Document, entry: Document
    ) -> bool:
        document = self.documents.get(work_order_id)
        if document is None or event_id in document["seen_events"]:
            return False
        for path, value in changes.items():
            target = document
            *parents, leaf = path.split(".")
            for parent in parents:
                target = target.setdefault(parent, {})
            target[leaf] = value
        document["history"].append(entry)
        document["seen_events"].append(event_id)
        return True


class FakeNotifications(FakeCollection):
    async def claim(self, notification_id: str) -> Document | None:
        document = self.documents.get(notification_id)
        if document is None or document["status"] != "pending":
            return None
        before = copy.deepcopy(document)
        document["status"] = "sending"
        document["attempts"] += 1
        return before

    async def mark_sent(self, notification_id: str, changes: Document) -> None:
        document = self.documents[notification_id]
        document["status"] = "sent"
        for path, value in changes.items():
            if path.startswith("outbox."):
                document.setdefault("outbox", {})[path.removeprefix("outbox.")] = value
            else:
                document[path] = value

    async def mark_failed(self, notification_id: str, error: str, retry: bool, retry_after: float) -> None:
        document = self.documents[notification_id]
        document["status"] = "pending" if retry else "failed"
        document["last_error"] = error

    async def due_for_retry(self) -> list[str]:
        return [key for key, document in self.documents.items() if document["status"] == "pending"]


class FakeOutbox:
    def __init__(self) -> None:
        self.flushed: list[str] = []

    async def flush(self, document_id: str, inserted: object = None) -> int:
        self.flushed.append(document_id)
        return 1


class FakeSmsGateway:
    def __init__(self, failures: int = 0) -> None:
        self.sent: list[tuple[str, str]] = []
        self._failures = failures

    async def send(self, to: str, text: str) -> str:
        from services.notify.ports import SmsGatewayError

        if self._failures > 0:
            self._failures -= 1
            raise SmsGatewayError("SMS gateway unreachable")
        self.sent.append((to, text))
        return "0: Accepted for delivery"


def now() -> datetime:
    return datetime.now(UTC)
