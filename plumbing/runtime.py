"""What a running service is made of: a broker, maybe a store, start-up steps and background loops.

Each service's bootstrap builds one; the entrypoint serves it under uvicorn (with health probes) and
tests run several in one process with `async with runtime.running()`.
"""

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from aiokafka.errors import KafkaConnectionError, KafkaError, KafkaTimeoutError
from faststream.kafka import KafkaBroker
from opentelemetry.sdk.trace import TracerProvider
from pymongo import AsyncMongoClient
from pymongo.asynchronous.collection import AsyncCollection

from plumbing.bus import create_missing_topics, make_broker
from plumbing.collector import freeze_what_start_built
from plumbing.consumer import EventConsumer
from plumbing.logs import get_logger
from plumbing.metrics import ConsumerMetrics, StoreCommandTimer
from plumbing.mongo_repository import DocumentMapper, ensure_indexes
from plumbing.outbox import OutboxRelay
from plumbing.replica_feed import ReplicaFeed, Take, caught_up
from plumbing.settings import BusSettings, ServiceSettings
from plumbing.store import TRANSIENT_STORE_ERRORS, make_mongo_client
from plumbing.telemetry import Telemetry, make_telemetry


def unreachable(error: BaseException) -> bool:
    """Whether a failure to start is Kafka or the store not answering (yet): the service waits for them.
    A refusal (bad credentials, a forbidden topic, a bad setting) is not: the service stops and says why.
    OSError covers a name that does not resolve yet, as in a cluster whose Kafka is still being created."""
    if isinstance(error, KafkaError):
        return bool(error.retriable) or isinstance(error, KafkaConnectionError | KafkaTimeoutError)
    return isinstance(error, (OSError, *TRANSIENT_STORE_ERRORS))


@dataclass
class Runtime:
    service: str
    settings: BusSettings
    broker: KafkaBroker
    telemetry: Telemetry
    log: Any
    mongo: AsyncMongoClient[dict[str, Any]] | None = None
    startup: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    loops: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    shutdown: list[Callable[[], Awaitable[None]]] = field(default_factory=list)
    _consumers: list[EventConsumer] = field(default_factory=list)
    # Topics read whole by each replica (plumbing/replica_feed.py), and why each copy is not whole yet.
    feeds: list[ReplicaFeed] = field(default_factory=list)
    _tasks: list[asyncio.Task[None]] = field(default_factory=list)
    started: bool = False
    # Why the last try to start failed, while the service waits for Kafka or the store.
    waiting_for: str | None = None
    # Why it gave up starting (a refusal, not an outage): the process stops and exits with it.
    failed: str | None = None

    @property
    def tracer_provider(self) -> TracerProvider:
        return self.telemetry.tracer_provider

    @property
    def database(self) -> Any:
        assert self.mongo is not None, f"{self.service} has no store"
        return self.mongo[self.settings.database_name(self.service)]

    def feed(self, topic: str, take: Take, *, back: timedelta | None = None) -> ReplicaFeed:
        """`topic` read whole by this replica into `take` (plumbing/replica_feed.py), kept reading in the
        background; the service is not ready until it has caught up."""
        allowed = self._source_allowed_on(topic)
        feed = ReplicaFeed(self.settings.kafka, topic, take, self.log, back=back, allowed_source=allowed)
        self.feeds.append(feed)
        self.loops.append(feed.run)
        return feed

    def consumer(self) -> EventConsumer:
        settings = self.settings
        consumer = EventConsumer(
            self.broker,
            group=settings.consumer_group(self.service),
            deadletter_topic=settings.topics.deadletter,
            logger=self.log,
            metrics=ConsumerMetrics(self.telemetry.meter),
            allowed_source=self._source_allowed_on,
        )
        self._consumers.append(consumer)
        return consumer

    def _source_allowed_on(self, topic: str) -> str | None:
        producer = self.settings.topics.producer_of(topic)
        return self.settings.source(producer) if producer is not None else None

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
            settings.kafka,
            sorted(self.topics_read() | self.topics_written()),
            settings.kafka_topic_partitions,
            settings.kafka_topic_replication,
        )
        await self.broker.start()
        self._tasks = [asyncio.create_task(self._keep_running(loop)) for loop in self.loops]
        self.started, self.waiting_for = True, None
        self.log.info("service started", topics_prefix=self.settings.topics.prefix)

    async def start_when_reachable(self, first_pause: float = 1.0, longest_pause: float = 30.0) -> None:
        """Start; while Kafka or the store does not answer, wait and try again, the pauses doubling up to
        `longest_pause`, one log line per try. Any other failure (a bad setting, a bad rule table) raises."""
        pause = first_pause
        while True:
            try:
                await self.start()
                return
            except Exception as error:
                # A broker that failed half-way holds clients: closed, so the next try starts clean.
                with contextlib.suppress(Exception):
                    await self.broker.stop()
                # aiokafka's errors name their class in their text already; others do not.
                name = type(error).__name__
                reason = str(error) if str(error).startswith(name) else f"{name}: {error}"
                if not unreachable(error):
                    self.failed = reason
                    raise
                self.waiting_for = reason
                self.log.warning("cannot start yet; trying again", reason=reason, retry_in=pause)
            await asyncio.sleep(pause)
            pause = min(pause * 2, longest_pause)

    @contextlib.asynccontextmanager
    async def serving(self, stop_within: float = 4.0) -> AsyncIterator["Runtime"]:
        """For a process's lifespan: the probes answer at once (not ready until started), the runtime
        starts as soon as Kafka and the store answer, and it stops within `stop_within` seconds."""
        starting = asyncio.create_task(self.start_when_reachable())
        starting.add_done_callback(self._gave_up)
        starting.add_done_callback(freeze_what_start_built)
        try:
            yield self
        finally:
            starting.cancel()
            await asyncio.gather(starting, return_exceptions=True)
            await self.stop(within=stop_within)

    def consumer_groups(self) -> set[str]:
        return {consumer.group_for(topic) for consumer in self._consumers for topic in consumer.topics}

    def topics_read(self) -> set[str]:
        grouped = {topic for consumer in self._consumers for topic in consumer.topics}
        return grouped | {feed.topic for feed in self.feeds}

    def topics_written(self) -> set[str]:
        """What the service publishes (as declared for the AsyncAPI document), and where it dead-letters
        if it consumes anything."""
        published = {getattr(publisher, "topic", "") for publisher in self.broker.publishers}
        deadletter = {self.settings.topics.deadletter} if self._consumers else set()
        return {*filter(None, published), *deadletter}

    def _gave_up(self, starting: "asyncio.Task[None]") -> None:
        if starting.cancelled() or starting.exception() is None:
            return
        self.log.error("cannot start; stopping", reason=self.failed, exc_info=starting.exception())
        # The server stops as on SIGTERM; the entrypoint then exits non-zero with the reason.
        signal.raise_signal(signal.SIGTERM)

    async def stop(self, within: float | None = None) -> None:
        """Stop; given `within`, in bounded time even with Kafka or the store down: in-flight messages
        not finished by then are not committed, so they are redelivered, nothing is lost."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        try:
            await asyncio.wait_for(self._close(), within)
        except TimeoutError:
            self.log.warning("stopped before in-flight work finished; it is redelivered", within=within)
        # An exporter may outwait its own timeout (OTLP over HTTP retries): bounded here, off the loop.
        flushing = asyncio.to_thread(self.telemetry.flush, 1000)
        with contextlib.suppress(Exception):
            await asyncio.wait_for(flushing, 1.5)
        self.started = False
        self.log.info("service stopped")

    async def _close(self) -> None:
        await self.broker.stop()
        for step in self.shutdown:
            await step()
        if self.mongo is not None:
            await self.mongo.close()

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

        async def started() -> None:
            if not self.started:
                raise ConnectionError(f"starting: {self.failed or self.waiting_for or 'under way'}")
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

        checks: dict[str, Awaitable[object]] = {"started": started(), "kafka": kafka()}
        if self.feeds:
            checks["feeds"] = caught_up(self.feeds)
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
    telemetry: Telemetry | None = None,
    store: bool = True,
) -> Runtime:
    """A runtime with a store when the settings name one (ServiceSettings) and `store` is not turned off
    (a bootstrap given in-memory fakes), without one otherwise."""
    telemetry = telemetry or make_telemetry(service, settings.hotline_tier, settings.hotline_province)
    return Runtime(
        service=service,
        settings=settings,
        broker=make_broker(settings, service, telemetry),
        telemetry=telemetry,
        log=get_logger(service),
        mongo=make_mongo_client(settings, service, [StoreCommandTimer(telemetry.meter)])
        if store and isinstance(settings, ServiceSettings)
        else None,
    )
