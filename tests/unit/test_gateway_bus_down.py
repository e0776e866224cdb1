"""The gateway while Kafka is down or slow to acknowledge: a contact is answered 503 with Retry-After,
never accepted without the bus holding it, and its retry with the same key is the same event."""

import asyncio

import httpx
from aiokafka.errors import KafkaConnectionError

from deploy.local.callers import LocalCaller
from plumbing.bus import EventPublisher
from tests.unit.test_gateway import app_with


async def test_a_contact_posted_while_the_bus_is_down_gets_503_and_is_not_accepted():
    class DownPublisher:
        async def publish(self, *_args, **_kwargs):
            raise KafkaConnectionError("broker unreachable")

    app = app_with(DownPublisher())
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway", auth=LocalCaller("gd")
    ) as client:
        response = await client.post("/v1/contacts/web", json={"phone": "13926012345", "description": "停电"})
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["title"] == "Bus unavailable"


class StalledBroker:
    """Takes records but acknowledges none until `recover()`, like Kafka during an outage."""

    def __init__(self) -> None:
        self.event_ids: list[str] = []
        self._healthy = asyncio.Event()

    def recover(self) -> None:
        self._healthy.set()

    async def publish(self, _value: bytes, *, headers: dict[str, str], **_: object) -> None:
        if headers["ce_type"] == "hotline.contact.received.v1":  # its audit record goes alongside
            self.event_ids.append(headers["ce_id"])
        await self._healthy.wait()


async def test_a_contact_kafka_does_not_acknowledge_in_time_gets_503_and_its_retry_keeps_its_ids():
    broker = StalledBroker()
    publisher = EventPublisher(broker, "/hotline/province/gd/gateway", timeout=0.05)  # type: ignore[arg-type]
    app = app_with(publisher)
    contact = {"phone": "13926012345", "description": "停电"}
    key = {"Idempotency-Key": "portal-outage-1"}
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://gateway", auth=LocalCaller("gd")
    ) as client:
        during = await client.post("/v1/contacts/web", json=contact, headers=key)
        broker.recover()
        after = await client.post("/v1/contacts/web", json=contact, headers=key)
        again = await client.post("/v1/contacts/web", json=contact, headers=key)
    assert (during.status_code, during.headers["retry-after"]) == (503, "5")
    assert (after.status_code, again.status_code) == (202, 202)
    assert after.json()["id"] == again.json()["id"]
    assert len(set(broker.event_ids)) == 1, "the stalled attempt and its retries are one event to consumers"
