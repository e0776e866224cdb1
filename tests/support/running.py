"""Hotline's services running in the test process against the real stack, and ways to watch them."""

import contextlib
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import httpx

from deploy.local.callers import LocalCaller
from deploy.local.watch import TopicTap, ensure_topics, eventually
from plumbing.kafka_connection import KafkaConnection
from plumbing.runtime import Runtime
from plumbing.telemetry import Telemetry
from services.registry import BY_NAME, SERVICES
from tests.support.stack import Stack

ALL_SERVICES = tuple(entry.name for entry in SERVICES)

__all__ = [
    "ALL_SERVICES",
    "FAULT",
    "Subsystem",
    "Tap",
    "ensure_topic",
    "eventually",
    "running_subsystem",
    "until",
]


async def until(condition: Callable[[], bool], timeout: float = 60.0) -> None:
    async def check() -> bool:
        return condition()

    await eventually(check, timeout=timeout, every=0.01)


# Each test session stores into databases of its own (dropped at the end), so one run never reads
# another's records and collections never grow across runs.
DATABASE_PREFIX = f"test{uuid4().hex[:8]}"


def database_name(province: str, service: str) -> str:
    return f"{DATABASE_PREFIX}_{province}_{service}"


def service_env(stack: Stack, province: str, service: str | None = None) -> dict[str, str]:
    """A service's settings in `province`; name the service to give it its own Kafka user."""
    return stack.env(service) | {
        "HOTLINE_DATABASE_PREFIX": DATABASE_PREFIX,
        "HOTLINE_TIER": "province",
        "HOTLINE_PROVINCE": province,
        # The suite's notify texts at any hour (a real clock cannot be set): the quiet hours are tested
        # on a clock of their own (tests/unit/test_quiet_hours.py, tests/integration/test_held_texts.py).
        "QUIET_HOURS": "false",
    }


# The topic prefixes (province codes) this session's tests used. Only topics under them are deleted at the
# end of the session, never those of a demo or a bench sharing the stack.
PREFIXES_USED: set[str] = set()


def _used(*topics: str) -> None:
    PREFIXES_USED.update(topic.split(".", 1)[0] for topic in topics)


def Tap(stack: Stack, *topics: str) -> TopicTap:
    _used(*topics)
    return TopicTap(stack.kafka, *topics)


async def ensure_topic(kafka: KafkaConnection, topic: str, partitions: int = 3) -> None:
    _used(topic)
    await ensure_topics(kafka, [topic], partitions)


@dataclass
class Subsystem:
    """One province's services, started in this process."""

    stack: Stack
    province: str
    runtimes: dict[str, Runtime] = field(default_factory=dict)
    http: httpx.AsyncClient | None = None

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
    telemetry: Mapping[str, Telemetry] | None = None,
    settings: Mapping[str, str] | None = None,
) -> AsyncIterator[Subsystem]:
    """`settings`: values to set beyond the stack's, as environment names (SMS_RETRY_SECONDS=1)."""
    subsystem = Subsystem(stack, province)
    PREFIXES_USED.add(province)
    async with contextlib.AsyncExitStack() as running:
        for name in services:
            env = service_env(stack, province, name) | dict(settings or {})
            values = {key.lower(): value for key, value in env.items()}
            service = BY_NAME[name].build(values, telemetry=(telemetry or {}).get(name))
            subsystem.runtimes[name] = service.runtime
            if name == "gateway":
                transport = httpx.ASGITransport(app=service.app)
                subsystem.http = await running.enter_async_context(
                    httpx.AsyncClient(
                        transport=transport,
                        base_url="http://gateway",
                        timeout=30.0,
                        auth=LocalCaller(province),
                    )
                )
            # The ASGI transport runs no lifespan: the runtime is started here instead.
            await running.enter_async_context(service.runtime.running())
        yield subsystem


# What a posted fault repair needs besides its description (intake's field rules) to be dispatched.
FAULT = {"category": "no_power", "address": "中山路 1 号"}
