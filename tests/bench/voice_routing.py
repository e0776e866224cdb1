"""Voice routing decisions with a province's standings in memory: a million numbers' standings put on
the standings topic as intake would, a gateway process reading them (how long it takes to be ready,
its memory after), then decisions asked over HTTP at a steady 1,000 a second (latency from each one's
scheduled time, so a queue behind a slow one counts; the bench's own collector paused meanwhile) and as
fast as 32 in flight go; beside them, the decision itself in process, the raw baseline.

A benchmark, not a test: it asserts nothing about timings.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
from aiokafka import AIOKafkaProducer

from contracts.envelope import encode
from contracts.events import CustomerStandingV1
from contracts.topics import Topics
from deploy.local.credentials import local_keys
from services.gateway.voice_routing.decisions import decide
from services.gateway.voice_routing.occupancy import Occupancy
from services.gateway.voice_routing.standings import StandingTable
from services.gateway.voice_routing.table import VoiceRoutingTable
from tests.bench.figures import fmt, percentile
from tests.bench.http_client import Connection, HttpError
from tests.bench.load_collector import collector_paused
from tests.bench.progress import log
from tests.support import stack as local_stack
from tests.support.processes import ServiceProcess
from tests.support.running import ensure_topic, eventually, service_env

PROVINCE = "he"  # its topics are this bench's alone
NUMBERS, RATE, SECONDS, CONCURRENCY = 1_000_000, 1_000, 20, 32
TABLE = {
    "province": PROVINCE,
    "public": {"group_id": "he-public", "agents": 40},
    "cities": [
        {"city": city, "group_id": f"he-{city.lower()}", "agents": 20}
        for city in ("Shijiazhuang", "Tangshan", "Baoding", "Handan", "Langfang", "Cangzhou")
    ],
}


@dataclass(frozen=True)
class VoiceRoutingFigures:
    numbers: int
    ready_s: float
    gateway_rss_mib: float | None
    paced_rate: int
    paced_answered: int
    paced_p50_ms: float | None
    paced_p99_ms: float | None
    paced_max_ms: float | None
    flat_out_per_s: float
    in_process_per_s: float
    in_process_p99_us: float | None


def number(n: int) -> str:
    return f"+86139{n * 7919 % 10**8:08d}"  # spread over the prefixes, so over cities and provinces


def standing(n: int) -> CustomerStandingV1:
    tier, priority = [("high", 1), ("mid", 2), ("normal", 3)][n % 3]
    return CustomerStandingV1(
        phone=number(n),
        province=PROVINCE,
        tier=tier,
        red_list=n % 97 == 0,
        blacklisted=n % 101 == 0,
        priority=9 if n % 101 == 0 else priority,
        as_of=datetime.now(UTC),
    )


async def _announce(stack: local_stack.Stack, count: int) -> None:
    topic = Topics(PROVINCE).standings
    await ensure_topic(stack.kafka, topic)
    producer = AIOKafkaProducer(
        **stack.kafka.client_options(), acks="all", linger_ms=20, max_batch_size=1 << 20
    )
    await producer.start()
    source = f"/hotline/province/{PROVINCE}/intake"
    try:
        pending = []
        for n in range(count):
            message = encode(standing(n), source)
            headers = [(k, v) for k, v in message.headers.items()]
            pending.append(await producer.send(topic, message.value, key=message.key, headers=headers))
            if len(pending) >= 20_000:
                await asyncio.gather(*pending)
                pending = []
        await asyncio.gather(*pending)
    finally:
        await producer.stop()


def _rss_mib(pid: int | None) -> float | None:
    if pid is None:
        return None
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return None


def _ask(n: int) -> tuple[str, bytes, bytes, tuple[tuple[bytes, bytes], ...]]:
    body = json.dumps({"call_id": f"CALL-{n}", "caller_number": number(random.randrange(NUMBERS))})
    return "/v1/voice/routing-decisions", body.encode(), b"application/json", ()


async def _paced(port: int, key: str, rate: int, seconds: int) -> list[float]:
    """Decisions asked on schedule, `rate` a second, each timed from when it was due."""
    latencies: list[float] = []
    connections = [
        Connection("127.0.0.1", port, 30.0, authorization=f"Bearer {key}") for _ in range(CONCURRENCY)
    ]
    free: asyncio.Queue[Connection] = asyncio.Queue()
    for connection in connections:
        free.put_nowait(connection)

    async def one(n: int, due: float) -> None:
        connection = await free.get()
        try:
            status, _ = await connection.post(*_ask(n))
            if status == 200:
                latencies.append(1000 * (time.perf_counter() - due))
        except HttpError:
            pass
        finally:
            free.put_nowait(connection)

    began, tasks = time.perf_counter(), []
    for n in range(rate * seconds):
        due = began + n / rate
        await asyncio.sleep(max(0.0, due - time.perf_counter()))
        tasks.append(asyncio.create_task(one(n, due)))
    await asyncio.gather(*tasks)
    for connection in connections:
        await connection.close()
    return latencies


async def _flat_out(port: int, key: str, count: int) -> float:
    queue = list(range(count))

    async def worker() -> None:
        connection = Connection("127.0.0.1", port, 30.0, authorization=f"Bearer {key}")
        while queue:
            try:
                await connection.post(*_ask(queue.pop()))
            except HttpError:
                continue
        await connection.close()

    began = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return count / (time.perf_counter() - began)


def _in_process(count: int = 100_000) -> tuple[float, float | None]:
    table, standings, occupancy = VoiceRoutingTable.model_validate(TABLE), StandingTable(), Occupancy()
    for n in range(0, NUMBERS, 10):  # a tenth of the numbers: the arrays' search is logarithmic
        standings.announced(standing(n))
    asyncio.run(standings.fold())
    callers = [number(random.randrange(NUMBERS)) for _ in range(count)]
    timings = []
    began = time.perf_counter()
    for caller in callers:
        start = time.perf_counter()
        decide(caller, table, occupancy, standings)
        timings.append(1e6 * (time.perf_counter() - start))
    return count / (time.perf_counter() - began), percentile(timings, 0.99)


async def voice_routing_bench(
    stack: local_stack.Stack, out: Path, numbers: int = NUMBERS
) -> VoiceRoutingFigures:
    in_process, in_process_p99 = await asyncio.to_thread(_in_process)
    log(f"voice routing: announcing {numbers:,} standings")
    await _announce(stack, numbers)
    (out / "voice_routing.json").write_text(json.dumps(TABLE))
    settings = {
        "GATEWAY_RATE_LIMIT": "10000000/minute",
        "GATEWAY_VOICE_ROUTING_PATH": str(out / "voice_routing.json"),
    }
    gateway = ServiceProcess(
        "gateway", service_env(stack, PROVINCE, "gateway") | settings, out / "voice_routing.log"
    )
    began = time.perf_counter()
    await gateway.start(until_ready=False)
    try:

        async def ready() -> bool:
            async with httpx.AsyncClient() as client:
                answer = await client.get(f"http://127.0.0.1:{gateway.port}/readyz")
            return answer.status_code == 200

        await eventually(ready, timeout=900, every=1.0)
        ready_s = time.perf_counter() - began
        rss = _rss_mib(gateway.pid)
        log(f"voice routing: gateway ready with {numbers:,} standings in {ready_s:.0f}s, {fmt(rss, 0)} MiB")
        key = local_keys()[f"{PROVINCE}.channel.voice"]
        await _flat_out(gateway.port, key, 2_000)  # warm-up
        with collector_paused():
            paced = sorted(await _paced(gateway.port, key, RATE, SECONDS))
        with collector_paused():
            flat_out = await _flat_out(gateway.port, key, 20_000)
    finally:
        gateway.stop()
    return VoiceRoutingFigures(
        numbers,
        ready_s,
        rss,
        RATE,
        len(paced),
        statistics.median(paced) if paced else None,
        percentile(paced, 0.99),
        paced[-1] if paced else None,
        flat_out,
        in_process,
        in_process_p99,
    )


def voice_routing_line(figures: dict[str, Any]) -> str:
    return (
        f"voice routing ({figures['numbers']:,} standings in memory): gateway ready in "
        f"{figures['ready_s']:.0f} s at {fmt(figures['gateway_rss_mib'], 0)} MiB RSS; at "
        f"{figures['paced_rate']}/s over HTTP ({figures['paced_answered']} answered) p50 "
        f"{fmt(figures['paced_p50_ms'], 2)} ms p99 {fmt(figures['paced_p99_ms'], 2)} ms max "
        f"{fmt(figures['paced_max_ms'], 1)} ms; flat out {figures['flat_out_per_s']:.0f}/s (32 in flight) "
        f"vs the decision in process {figures['in_process_per_s']:.0f}/s, p99 "
        f"{fmt(figures['in_process_p99_us'], 1)} µs "
        f"(HTTP/in-process {figures['flat_out_per_s'] / figures['in_process_per_s']:.2g})"
    )
