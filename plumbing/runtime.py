"""What a running service is made of: a broker, maybe a store, start-up steps and background loops.

Each service's bootstrap builds one; the entrypoint serves it under uvicorn (with health probes) and
tests run several in one process with `async with runtime.running()`.
"""

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import TracerProvider
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from plumbing.bus import create_missing_topics, make_broker
from plumbing.consumer import EventConsumer
from plumbing.mongo_repository import DocumentMapper, ensure_indexes
from plumbing.outbox import OutboxRelay
from plumbing.settings import BusSettings, ServiceSettings
from plumbing.store import make_mongo_client
from plumbing.telemetry import get_logger, make_tracer_provider


@dataclass
class Runtime:
    service: str
    settings: BusSettings
    broker: KafkaBroker
    tracer_provider: TracerProvider
    log: Any
    mongo: AsyncMongoClient[dict[str, Any]] | None = None
    startup: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    loops: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    shutdown: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    _consumers: list[EventConsumer] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)

    @property
    def database(self) -> Any:
        assert self.mongo is not None, f"{self.service} has no store"
        return self.mongo[self.settings.database_name(self.service)]

    def consumer(self) -> EventConsumer:
        settings = self.settings
        consumer = EventConsumer(
            self.broker,
            group=settings.consumer_group(self.service),
            deadletter_topic=settings.topics.deadletter,
            logger=self.log,
        )
        self._consumers.append(consumer)
        return consumer

    @property
    def source(self) -> str:
        """ce_source of the events this service emits."""
        return self.settings.source(self.service)

    def collection_with_outbox(
        self, name: str, mapper: DocumentMapper[Any]
    ) -> tuple[AsyncCollection[dict[str, Any]], OutboxRelay]:
        """One of the service's collections and the relay of its outbox (swept in the background); the
        mapper's indexes and the outbox's are created at start."""
        collection = self.database[name]
        self.startup.append(lambda: ensure_indexes(collection, mapper))
        return collection, self._outbox_relay(collection)

    def _outbox_relay(self, collection: AsyncCollection[dict[str, Any]]) -> OutboxRelay:
        """The relay for one collection's outbox, swept in the background and indexed at start."""
        relay = OutboxRelay(
            collection, self.broker, log=self.log, sweep_every=self.settings.outbox_sweep_seconds
        )
        self.startup.append(relay.ensure_indexes)
        self.loops.append(relay.run)
        return relay

    async def start(self) -> None:
        for step in self.startup:
            await step()
        settings = self.settings
        # Every topic the service reads or writes exists before its first poll or publish.
        await create_missing_topics(
            settings.kafka_bootstrap_servers,
            sorted(self.topics_read() | self.topics_written()),
            settings.kafka_topic_partitions,
            settings.kafka_topic_replication,
        )
        await self.broker.start()
        self._tasks = [asyncio.create_task(self._keep_running(loop)) for loop in self.loops]
        self.log.info("service started", topics_prefix=self.settings.topics.prefix)

    def topics_read(self) -> set[str]:
        return {topic for consumer in self._consumers for topic in consumer.topics}

    def topics_written(self) -> set[str]:
        """What the service publishes (as declared for the AsyncAPI document), and where it dead-letters."""
        published = {getattr(publisher, "topic", "") for publisher in self.broker.publishers}
        return {*filter(None, published), self.settings.topics.deadletter}

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self.broker.stop()
        for step in self.shutdown:
            await step()
        if self.mongo is not None:
            await self.mongo.close()
        self.tracer_provider.force_flush()
        self.log.info("service stopped")

    @contextlib.asynccontextmanager
    async def running(self) -> AsyncIterator["Runtime"]:
        await self.start()
        try:
            yield self
        finally:
            await self.stop()

    async def ready(self, within: float = 0.8) -> tuple[dict[str, bool], dict[str, str]]:
        """Whether Kafka and the store answer, as {"kafka": True, "store": False}, and why each that does not.

        Both are asked at once, for at most `within` seconds, so the probe answers in time while one is down:
        the clients' own timeouts (server selection waits 5 s) outlast a probe's (Kubernetes: 1 s).
        """

        async def kafka() -> None:
            if not self.broker.running:
                raise ConnectionError("the broker is not connected")
            if not await self.broker.ping(timeout=within):  # ping says False, never why
                raise TimeoutError

        async def failure(check: Awaitable[object]) -> str | None:
            try:
                await asyncio.wait_for(check, within)
            except TimeoutError:
                return f"no answer within {within:g} s"
            except Exception as error:
                return str(error) or repr(error)
            return None

        checks: dict[str, Awaitable[object]] = {"kafka": kafka()}
        if self.mongo is not None:
            checks["store"] = self.mongo.admin.command("ping")
        failures = dict(zip(checks, await asyncio.gather(*map(failure, checks.values())), strict=True))
        return (
            {name: reason is None for name, reason in failures.items()},
            {name: reason for name, reason in failures.items() if reason is not None},
        )

    async def _keep_running(self, loop: Callable[[], Awaitable[None]]) -> None:
        # A background loop (outbox sweep, retries) must outlive a store outage rather than die with it.
        while True:
            try:
                await loop()
            except asyncio.CancelledError:
                raise
            except Exception:
                self.log.exception(
                    "background loop failed; restarting", loop=getattr(loop, "__qualname__", "?")
                )
                await asyncio.sleep(1.0)


def build_runtime(
    settings: BusSettings,
    service: str,
    *,
    tracer_provider: TracerProvider | None = None,
    store: bool = True,
) -> Runtime:
    """A runtime with a store when the settings name one (ServiceSettings) and `store` is not turned off
    (a bootstrap given in-memory fakes), without one otherwise."""
    provider = tracer_provider or make_tracer_provider(
        service, settings.hotline_tier, settings.hotline_province
    )
    return Runtime(
        service=service,
        settings=settings,
        broker=make_broker(settings, service, provider),
        tracer_provider=provider,
        log=get_logger(service),
        mongo=make_mongo_client(settings, service)
        if store and isinstance(settings, ServiceSettings)
        else None,
    )
