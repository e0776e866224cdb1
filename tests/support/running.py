"""Hotline's services running in the test process against the real stack, and ways to watch them."""

import asyncio
import contextlib
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar
from uuid import uuid4

import httpx
from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition
from opentelemetry.sdk.trace import TracerProvider

from contracts.envelope import Envelope, decode
from plumbing.bus import create_missing_topics
from plumbing.runtime import Runtime
from plumbing.settings import BusSettings, ServiceSettings
from services.dispatch.bootstrap import bootstrap as dispatch
from services.dispatch.settings import DispatchSettings
from services.gateway.bootstrap import bootstrap as gateway
from services.intake.bootstrap import bootstrap as intake
from services.notify.bootstrap import bootstrap as notify
from services.notify.settings import NotifySettings
from services.qa.bootstrap import bootstrap as qa
from services.qa.settings import QaSettings
from tests.support.stack import Stack

ALL_SERVICES = ("gateway", "intake", "dispatch", "notify", "qa")
T = TypeVar("T")


async def eventually(
    probe: Callable[[], Awaitable[T | None]], timeout: float = 60.0, every: float = 0.2
) -> T:
    """Poll until `probe` returns something truthy; fail with a clear message after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        result = await probe()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(
                f"nothing came within {timeout:.0f}s from {getattr(probe, '__name__', probe)}"
            )
        await asyncio.sleep(every)


async def until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    async def check() -> bool:
        return condition()

    await eventually(check, timeout=timeout, every=0.01)


# Each test session stores into databases of its own: FerretDB answers every query with a collection
# scan, so collections that grew over earlier runs would slow this one down.
DATABASE_PREFIX = f"test{uuid4().hex[:8]}"


def database_name(province: str, service: str) -> str:
    return f"{DATABASE_PREFIX}_{province}_{service}"


def service_env(stack: Stack, province: str) -> dict[str, str]:
    return stack.env() | {
        "HOTLINE_DATABASE_PREFIX": DATABASE_PREFIX,
        "HOTLINE_TIER": "province",
        "HOTLINE_PROVINCE": province,
    }


@dataclass
class Subsystem:
    """One province's services, started in this process."""

    stack: Stack
    province: str
    runtimes: dict[str, Runtime] = field(default_factory=dict)
    http: httpx.AsyncClient | None = None

    def settings(self) -> dict[str, Any]:
        return {
            "kafka_bootstrap_servers": self.stack.kafka,
            "mongodb_uri": self.stack.mongodb_uri,
            "hotline_province": self.province,
            "hotline_database_prefix": DATABASE_PREFIX,
        }

    @property
    def gateway(self) -> httpx.AsyncClient:
        assert self.http is not None, "the gateway is not running in this subsystem"
        return self.http

    def database(self, service: str) -> Any:
        return self.runtimes[service].database


@contextlib.asynccontextmanager
async def running_subsystem(
    stack: Stack,
    province: str,
    services: Iterable[str] = ALL_SERVICES,
    tracer_providers: Mapping[str, TracerProvider] | None = None,
) -> AsyncIterator[Subsystem]:
    subsystem = Subsystem(stack, province)
    base = subsystem.settings()
    async with contextlib.AsyncExitStack() as running:
        for name in services:
            tracer_provider = (tracer_providers or {}).get(name)
            if name == "gateway":
                runtime, app = gateway(BusSettings(**base), tracer_provider=tracer_provider)
                transport = httpx.ASGITransport(app=app)
                subsystem.http = await running.enter_async_context(
                    httpx.AsyncClient(transport=transport, base_url="http://gateway", timeout=30.0)
                )
            elif name == "intake":
                runtime = intake(ServiceSettings(**base), tracer_provider=tracer_provider)
            elif name == "dispatch":
                runtime = dispatch(DispatchSettings(**base), tracer_provider=tracer_provider)
            elif name == "notify":
                runtime = notify(
                    NotifySettings(
                        **base,
                        kannel_sendsms_url=stack.kannel_sendsms_url,
                        kannel_username=stack.kannel_username,
                        kannel_password=stack.kannel_password,
                    ),
                    tracer_provider=tracer_provider,
                )
            elif name == "qa":
                runtime = qa(QaSettings(**base), tracer_provider=tracer_provider)
            else:
                raise ValueError(name)
            subsystem.runtimes[name] = runtime
            await running.enter_async_context(runtime.running())
        yield subsystem


async def ensure_topic(bootstrap_servers: str, topic: str, partitions: int = 3) -> None:
    await create_missing_topics(bootstrap_servers, [topic], partitions, 1)


async def watch_from_now(consumer: AIOKafkaConsumer, partitions: list[TopicPartition]) -> None:
    """Assign partitions positioned at their current end; resolve positions now, not on the first fetch,
    so a record published right after this returns is not skipped."""
    consumer.assign(partitions)
    await consumer.seek_to_end()
    for partition in partitions:
        await consumer.position(partition)


class Tap:
    """Reads what is published on a topic from the moment it is opened, without joining any group."""

    def __init__(self, stack: Stack, topic: str) -> None:
        self._consumer = AIOKafkaConsumer(bootstrap_servers=stack.kafka, enable_auto_commit=False)
        self._topic = topic
        self._bootstrap = stack.kafka
        self.records: list[ConsumerRecord] = []

    async def __aenter__(self) -> "Tap":
        await ensure_topic(self._bootstrap, self._topic)
        await self._consumer.start()
        partitions = await eventually(self._partitions, timeout=30)
        await watch_from_now(self._consumer, [TopicPartition(self._topic, p) for p in partitions])
        return self

    async def _partitions(self) -> set[int] | None:
        await self._consumer._client.force_metadata_update()
        partitions: set[int] | None = self._consumer.partitions_for_topic(self._topic)
        return partitions

    async def __aexit__(self, *_: object) -> None:
        await self._consumer.stop()

    async def find(self, matches: Callable[[ConsumerRecord], bool], timeout: float = 60.0) -> ConsumerRecord:
        async def probe() -> ConsumerRecord | None:
            batches = await self._consumer.getmany(timeout_ms=200)
            for records in batches.values():
                self.records.extend(records)
            return next((record for record in self.records if matches(record)), None)

        return await eventually(probe, timeout=timeout, every=0)

    async def find_event(
        self, subject: str, event_type: str | None = None, timeout: float = 60.0
    ) -> Envelope:
        def matches(record: ConsumerRecord) -> bool:
            headers = dict(record.headers)
            return headers.get("ce_subject") == subject.encode() and (
                event_type is None or headers.get("ce_type") == event_type.encode()
            )

        record = await self.find(matches, timeout)
        return decode(dict(record.headers), record.key, record.value)
