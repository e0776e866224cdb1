"""Throughput, latency and memory of the real path accept -> department topic, next to raw aiokafka.

    python -m tests.bench.run [--contacts N] [--concurrency C] [--province P]

Starts the local stack if it is down (and stops it afterwards only then), runs gateway, intake and dispatch
as their own OS processes on empty stores, posts N fault-repair contacts to the gateway over HTTP with C
requests in flight, and times each work order from the gateway's 202 (the contact is on Kafka then) to the
moment the bench reads it on the department topic. Then it runs a plain aiokafka produce -> consume loop of
the same size, concurrency and producer settings on a fresh topic, so the two throughputs can be compared.
Prints two lines (speed, memory) on stdout, progress on stderr, and writes every figure, with the pace per
10 s and the split between intake and dispatch, to .run/bench/last.json.

A benchmark, not a test: it asserts nothing about timings, and pytest does not collect it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import math
import re
import signal
import sys
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import GroupCoordinatorNotAvailableError, GroupLoadInProgressError
from pymongo import AsyncMongoClient

from contracts.envelope import encode
from contracts.events import Channel, ContactReceivedV1, WorkOrderType
from contracts.provinces import is_province_code
from contracts.topics import Topics
from services.intake.domain import work_order_id_for
from tests.support import stack as local_stack
from tests.support.processes import ROOT, ServiceProcess
from tests.support.running import ensure_topic, eventually, service_env

OUT = ROOT / ".run" / "bench"
# Started downstream first, so each consumer is up before anything is published to it.
SERVICES = ("dispatch", "intake", "gateway")
DEPARTMENT = "repair"  # where the dispatch rules send fault_repair work orders
PHONE = "13926012345"
DESCRIPTION = "家里宽带从今天早上开始无法上网，光猫LOS灯一直红色闪烁，固话也没有拨号音，请尽快派人上门维修。"
HTTP_TIMEOUT = 30.0
START_TIMEOUT = 60.0
TOPIC_TIMEOUT = 30.0


def log(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- figures


def percentile(values: Sequence[float], fraction: float) -> float | None:
    """Linear interpolation between closest ranks; None when there is nothing to rank."""
    if not values:
        return None
    ordered = sorted(values)
    rank = (len(ordered) - 1) * fraction
    low, high = math.floor(rank), math.ceil(rank)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def buckets(times: Iterable[float], start: float | None, width: float = 10.0) -> list[int]:
    """How many of `times` fall in each `width`-second window from `start`."""
    if start is None:
        return []
    counts: list[int] = []
    for moment in times:
        index = max(0, int((moment - start) // width))
        counts.extend([0] * (index + 1 - len(counts)))
        counts[index] += 1
    return counts


def rate(count: int, seconds: float) -> float | None:
    return count / seconds if count and seconds > 0 else None


def ms(seconds: float | None) -> float | None:
    return None if seconds is None else seconds * 1000.0


def fmt(value: float | None, digits: int = 1) -> str:
    return "n/a" if value is None else f"{value:.{digits}f}"


def fmt_rate(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.0f}/s" if value >= 100 else f"{value:.1f}/s"


@dataclass
class Speed:
    """One run of N items: throughput over the whole run and per-item latency."""

    items: int
    arrived: int
    missing: int
    failed: int
    seconds: float | None
    throughput_per_s: float | None
    latency_p50_ms: float | None
    latency_p99_ms: float | None
    latency_max_ms: float | None

    @classmethod
    def of(
        cls,
        items: int,
        failed: int,
        first_start: float | None,
        latencies: Sequence[float],
        last_arrival: float | None,
    ) -> Speed:
        seconds = last_arrival - first_start if last_arrival is not None and first_start is not None else None
        arrived = len(latencies)
        return cls(
            items=items,
            arrived=arrived,
            missing=items - failed - arrived,
            failed=failed,
            seconds=seconds,
            throughput_per_s=rate(arrived, seconds) if seconds is not None else None,
            latency_p50_ms=ms(percentile(latencies, 0.50)),
            latency_p99_ms=ms(percentile(latencies, 0.99)),
            latency_max_ms=ms(max(latencies)) if latencies else None,
        )


@dataclass
class EndToEnd:
    speed: Speed
    accept_per_s: float | None
    accept_p50_ms: float | None
    accept_p99_ms: float | None
    # Where the time goes: 202 -> work order on <p>.workorders (intake) -> on the department topic (dispatch).
    intake_p50_ms: float | None
    intake_p99_ms: float | None
    dispatch_p50_ms: float | None
    dispatch_p99_ms: float | None
    failures: list[str] = field(default_factory=list)
    # Work orders reaching <p>.workorders and the department topic per 10 s since the first post:
    # shows whether the pace holds as the stores fill up.
    per_10s: dict[str, list[int]] = field(default_factory=dict)


@dataclass
class Memory:
    peak_rss_mib: dict[str, float | None]


# --------------------------------------------------------------------------- reading a topic


class Arrivals:
    """Records when each key first shows up on a topic, reading from the topic's end at start()."""

    def __init__(self, bootstrap_servers: str, topic: str, *, create_partitions: int | None = 3) -> None:
        self.topic = topic
        self.times: dict[str, float] = {}
        self._bootstrap = bootstrap_servers
        self._create_partitions = create_partitions
        self._consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers, enable_auto_commit=False, client_id="hotline-bench-reader"
        )
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        if self._create_partitions is not None:
            await ensure_topic(self._bootstrap, self.topic, self._create_partitions)
        await self._consumer.start()
        partitions = await eventually(self._partitions, timeout=TOPIC_TIMEOUT)
        assigned = [TopicPartition(self.topic, p) for p in sorted(partitions)]
        self._consumer.assign(assigned)
        await self._consumer.seek_to_end(*assigned)
        for partition in assigned:  # resolve the end offsets now, not lazily at the first fetch
            await self._consumer.position(partition)
        self._task = asyncio.create_task(self._read(), name=f"arrivals:{self.topic}")

    async def _partitions(self) -> set[int] | None:
        """The topic's partitions once each has a leader (a topic just created may not have them yet)."""
        client = self._consumer._client
        await client.force_metadata_update()
        found: set[int] | None = self._consumer.partitions_for_topic(self.topic)
        if not found:
            return None
        leaders = [client.cluster.leader_for_partition(TopicPartition(self.topic, p)) for p in found]
        return found if all(leader is not None and leader >= 0 for leader in leaders) else None

    async def _read(self) -> None:
        while True:
            batches = await self._consumer.getmany(timeout_ms=100, max_records=5000)
            now = time.monotonic()
            for records in batches.values():
                for record in records:
                    if record.key is not None:
                        self.times.setdefault(record.key.decode(), now)

    async def wait_for(self, keys: Iterable[str], patience: float) -> set[str]:
        """Wait until every key has arrived or `patience` seconds have passed; the keys still missing."""
        missing = {key for key in keys if key not in self.times}
        deadline = time.monotonic() + patience
        last_report = time.monotonic()
        while missing and time.monotonic() < deadline:
            if self._task is not None and self._task.done():
                self._task.result()  # the reader died: raise its error rather than wait in vain
                raise RuntimeError(f"the reader of {self.topic} stopped")
            await asyncio.sleep(0.05)
            missing = {key for key in missing if key not in self.times}
            if time.monotonic() - last_report > 10:
                log(f"  {self.topic}: {len(missing)} still to come")
                last_report = time.monotonic()
        return missing

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
        await self._consumer.stop()


# --------------------------------------------------------------------------- end to end


@dataclass(frozen=True)
class Accepted:
    contact_id: str
    posted_at: float
    accepted_at: float


async def post_contacts(
    client: httpx.AsyncClient, count: int, concurrency: int
) -> tuple[list[Accepted], list[str]]:
    """Post `count` contacts with `concurrency` requests in flight; the accepted ones and the failures."""
    accepted: list[Accepted] = []
    failures: list[str] = []
    body = {"phone": PHONE, "type": WorkOrderType.FAULT_REPAIR.value, "description": DESCRIPTION}
    indexes = iter(range(count))  # shared: each worker takes the next index until none is left

    async def worker() -> None:
        for _ in indexes:
            posted_at = time.monotonic()
            try:
                response = await client.post("/v1/contacts/web", json=body)
            except httpx.HTTPError as error:
                failures.append(repr(error))
                continue
            accepted_at = time.monotonic()
            if response.status_code == 202:
                accepted.append(Accepted(str(response.json()["id"]), posted_at, accepted_at))
            else:
                failures.append(f"HTTP {response.status_code}: {response.text[:200]}")

    await asyncio.gather(*(worker() for _ in range(max(1, min(concurrency, count)))))
    return accepted, failures


async def end_to_end(
    gateway_port: int,
    department: Arrivals,
    workorders: Arrivals,
    contacts: int,
    concurrency: int,
    warmup: int,
    patience: float,
) -> EndToEnd:
    def client() -> httpx.AsyncClient:
        # One client per phase: a connection left idle between phases may be closed by the gateway's
        # keep-alive timeout just as it is reused, which would count as a failed contact.
        limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
        return httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{gateway_port}", timeout=HTTP_TIMEOUT, limits=limits, trust_env=False
        )

    if warmup:
        log(f"warm-up: {warmup} contacts")
        async with client() as http:
            warm, warm_failures = await asyncio.wait_for(post_contacts(http, warmup, concurrency), patience)
        missing = await department.wait_for((work_order_id_for(a.contact_id) for a in warm), patience)
        log(f"warm-up done: {len(warm)} accepted, {len(warm_failures)} failed, {len(missing)} missing")
    log(f"load: {contacts} contacts, {concurrency} in flight")
    async with client() as http:
        accepted, failures = await asyncio.wait_for(post_contacts(http, contacts, concurrency), patience)
    log(f"load posted: {len(accepted)} accepted, {len(failures)} failed; waiting for the department topic")
    orders = {work_order_id_for(a.contact_id): a for a in accepted}
    missing = await department.wait_for(orders, patience)
    if missing:
        log(f"{len(missing)} work orders did not reach {department.topic} within {patience:.0f}s")

    first_post = min((a.posted_at for a in accepted), default=None)
    arrived = {order: department.times[order] for order in orders if order in department.times}
    latencies = [arrived[order] - orders[order].accepted_at for order in arrived]
    speed = Speed.of(contacts, len(failures), first_post, latencies, max(arrived.values(), default=None))
    speed.missing = len(missing)
    last_accept = max((a.accepted_at for a in accepted), default=None)
    accept_window = last_accept - first_post if last_accept is not None and first_post is not None else 0.0
    accept_latencies = [a.accepted_at - a.posted_at for a in accepted]

    intake = [
        workorders.times[order] - orders[order].accepted_at for order in orders if order in workorders.times
    ]
    dispatch = [arrived[order] - workorders.times[order] for order in arrived if order in workorders.times]
    return EndToEnd(
        speed=speed,
        accept_per_s=rate(len(accepted), accept_window),
        accept_p50_ms=ms(percentile(accept_latencies, 0.50)),
        accept_p99_ms=ms(percentile(accept_latencies, 0.99)),
        intake_p50_ms=ms(percentile(intake, 0.50)),
        intake_p99_ms=ms(percentile(intake, 0.99)),
        dispatch_p50_ms=ms(percentile(dispatch, 0.50)),
        dispatch_p99_ms=ms(percentile(dispatch, 0.99)),
        failures=failures[:20],
        per_10s={
            "workorders": buckets((workorders.times[o] for o in orders if o in workorders.times), first_post),
            "department": buckets(arrived.values(), first_post),
        },
    )


# --------------------------------------------------------------------------- raw aiokafka


def contact_record(province: str) -> tuple[bytes, list[tuple[str, bytes]]]:
    """The value and headers of a real ContactReceived event as the gateway would publish it."""
    event = ContactReceivedV1(
        contact_id=f"C-{uuid4().hex.upper()}",
        channel=Channel.WEB,
        received_at=datetime.now(UTC),
        province=province,
        phone="+86" + PHONE,
        requested_type=WorkOrderType.FAULT_REPAIR,
        description=DESCRIPTION,
    )
    message = encode(event, f"/hotline/province/{province}/gateway")
    return message.value, list(message.headers.items())


async def raw_kafka(
    bootstrap_servers: str, province: str, count: int, concurrency: int, warmup: int, patience: float
) -> Speed:
    """Produce `count` records the size of a contact event with acks=all + idempotence and read them back.

    Latency runs from the send() call to the reader's getmany() returning the record.
    """
    topic = f"bench.raw.{uuid4().hex[:12]}"
    value, headers = contact_record(province)
    log(
        f"raw aiokafka: topic {topic}, {len(value)} B value + {sum(len(k) + len(v) for k, v in headers)} B "
        f"headers per record"
    )
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="hotline-bench-admin")
    await admin.start()
    try:
        await admin.create_topics([NewTopic(topic, 3, 1)])
        reader = Arrivals(bootstrap_servers, topic, create_partitions=None)
        producer = AIOKafkaProducer(
            bootstrap_servers=bootstrap_servers,
            acks="all",
            enable_idempotence=True,
            client_id="hotline-bench",
        )
        await reader.start()
        await producer.start()
        try:
            sent: dict[str, float] = {}
            failures: list[str] = []

            async def produce(keys: Iterator[str]) -> None:
                async def worker() -> None:
                    for key in keys:
                        sent[key] = time.monotonic()
                        try:
                            await producer.send_and_wait(topic, value, key=key.encode(), headers=headers)
                        except Exception as error:
                            failures.append(repr(error))
                            del sent[key]

                await asyncio.gather(*(worker() for _ in range(max(1, concurrency))))

            if warmup:
                await asyncio.wait_for(
                    produce(iter([f"W-{uuid4().hex.upper()}" for _ in range(warmup)])), patience
                )
                await reader.wait_for(list(sent), patience)
                sent.clear()
                failures.clear()
            keys = [f"C-{uuid4().hex.upper()}" for _ in range(count)]
            await asyncio.wait_for(produce(iter(keys)), patience)
            missing = await reader.wait_for(list(sent), patience)
            if missing:
                log(f"raw aiokafka: {len(missing)} records did not come back within {patience:.0f}s")
            arrived = {key: reader.times[key] for key in sent if key in reader.times}
            latencies = [arrived[key] - sent[key] for key in arrived]
            speed = Speed.of(
                count,
                len(failures),
                min(sent.values(), default=None),
                latencies,
                max(arrived.values(), default=None),
            )
            speed.missing = len(missing)
            return speed
        finally:
            await producer.stop()
            await reader.stop()
            with contextlib.suppress(Exception):
                await admin.delete_topics([topic])
    finally:
        await admin.close()


# --------------------------------------------------------------------------- memory and logs


def peak_rss_mib(pid: int | str) -> float | None:
    """VmHWM of a live process, in MiB; None when it is gone or the kernel does not say."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    found = re.search(r"^VmHWM:\s+(\d+)\s+kB", status, re.MULTILINE)
    return int(found.group(1)) / 1024 if found else None


def log_findings(path: Path) -> list[str]:
    """Lines of a service log that are warnings, errors or tracebacks (at most a few per log)."""
    if not path.exists():
        return []
    pattern = re.compile(
        r'"level": "(warning|error|critical)"|Traceback|^\w*(Error|Exception)\b|WARNING|ERROR'
    )
    found = [line for line in path.read_text(errors="replace").splitlines() if pattern.search(line)]
    return found[:10] + ([f"... and {len(found) - 10} more"] if len(found) > 10 else [])


# --------------------------------------------------------------------------- the run


async def list_groups(admin: AIOKafkaAdminClient, patience: float = 60.0) -> list[Any]:
    """The cluster's consumer groups; a broker that has just started answers "loading" for a while."""
    deadline = time.monotonic() + patience
    while True:
        try:
            return list(await admin.list_consumer_groups())
        except (GroupLoadInProgressError, GroupCoordinatorNotAvailableError):
            if time.monotonic() > deadline:
                raise
            await asyncio.sleep(1.0)


async def skip_backlog(bootstrap_servers: str, province: str) -> dict[str, int]:
    """Move every consumer group of the bench province to the end of its topics.

    What an interrupted run left unconsumed would otherwise be worked off first, inside the measurement.
    Only while the services are stopped (the groups are empty). Returns how many records each group skipped.
    """
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap_servers, client_id="hotline-bench-admin")
    await admin.start()
    try:
        groups = sorted(str(group[0]) for group in await list_groups(admin))
        committed = {
            group: await admin.list_consumer_group_offsets(group)
            for group in groups
            if group.startswith(f"{province}.")
        }
    finally:
        await admin.close()
    skipped: dict[str, int] = {}
    for group, offsets in committed.items():
        partitions = [partition for partition, meta in offsets.items() if meta.offset >= 0]
        if not partitions:
            continue
        consumer = AIOKafkaConsumer(
            bootstrap_servers=bootstrap_servers, group_id=group, enable_auto_commit=False
        )
        await consumer.start()
        try:
            ends = await consumer.end_offsets(partitions)
            lag = sum(max(0, ends[partition] - offsets[partition].offset) for partition in partitions)
            if lag:
                consumer.assign(partitions)
                await consumer.commit({partition: ends[partition] for partition in partitions})
            skipped[group] = lag
        finally:
            await consumer.stop()
    return skipped


def store_databases(env: dict[str, str], province: str) -> list[str]:
    """The databases intake and dispatch use with this environment (<prefix>_<province>_<service>)."""
    prefix = env.get("HOTLINE_DATABASE_PREFIX", "hotline")
    return [f"{prefix}_{province}_{service}" for service in ("intake", "dispatch")]


async def drop_databases(mongodb_uri: str, names: Sequence[str]) -> dict[str, int]:
    """Drop the bench's own databases; how many documents each collection held."""
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri, serverSelectionTimeoutMS=10_000)
    try:
        held: dict[str, int] = {}
        for name in names:
            database = client[name]
            for collection in await database.list_collection_names():
                held[f"{name}.{collection}"] = await database[collection].count_documents({})
            await client.drop_database(name)
        return held
    finally:
        await client.close()


async def bench(stack: local_stack.Stack, args: argparse.Namespace) -> dict[str, Any]:
    OUT.mkdir(parents=True, exist_ok=True)
    topics = Topics(args.province)
    env = service_env(stack, args.province)
    processes: dict[str, ServiceProcess] = {}
    startup: dict[str, float] = {}
    department = Arrivals(stack.kafka, topics.department(DEPARTMENT))
    workorders = Arrivals(stack.kafka, topics.workorders)
    readers_started: list[Arrivals] = []
    databases = store_databases(env, args.province)
    dropped: dict[str, int] | None = None
    skipped: dict[str, int] | None = None
    if not args.keep_data:
        # Every figure depends on how much the stores hold: start from empty ones.
        dropped = await asyncio.wait_for(drop_databases(stack.mongodb_uri, databases), START_TIMEOUT)
        log(f"stores {', '.join(databases)} start empty (documents held before: {dropped or 'none'})")
        skipped = await asyncio.wait_for(skip_backlog(stack.kafka, args.province), START_TIMEOUT)
        log(f"skipped what the {args.province} consumer groups had not consumed yet: {skipped}")
    try:
        for service in SERVICES:
            log_path = OUT / f"{service}.log"
            log_path.unlink(missing_ok=True)
            process = ServiceProcess(service, env, log_path)
            processes[service] = process
            began = time.monotonic()
            await asyncio.wait_for(process.start(), START_TIMEOUT + 10)
            startup[service] = time.monotonic() - began
            log(f"{service} ready on 127.0.0.1:{process.port} after {startup[service]:.1f}s")
        for reader in (department, workorders):
            await reader.start()
            readers_started.append(reader)
        e2e = await end_to_end(
            processes["gateway"].port,
            department,
            workorders,
            args.contacts,
            args.concurrency,
            args.warmup,
            args.timeout,
        )
        memory = Memory(
            peak_rss_mib={
                service: peak_rss_mib(process._process.pid) if process._process is not None else None
                for service, process in processes.items()
            }
        )
        for reader in readers_started:
            await reader.stop()
        readers_started.clear()
        raw = await raw_kafka(
            stack.kafka, args.province, args.contacts, args.concurrency, args.warmup, args.timeout
        )
        memory.peak_rss_mib["bench"] = peak_rss_mib("self")
    finally:
        for reader in readers_started:
            with contextlib.suppress(Exception):
                await reader.stop()
        for process in processes.values():
            process.stop()
        if not args.keep_data:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(drop_databases(stack.mongodb_uri, databases), START_TIMEOUT)
    findings = {service: log_findings(OUT / f"{service}.log") for service in processes}
    ratio = (
        e2e.speed.throughput_per_s / raw.throughput_per_s
        if e2e.speed.throughput_per_s and raw.throughput_per_s
        else None
    )
    return {
        "at": datetime.now(UTC).isoformat(),
        "province": args.province,
        "contacts": args.contacts,
        "concurrency": args.concurrency,
        "warmup": args.warmup,
        "databases": databases,
        "stores_emptied_first": dropped,
        "backlog_skipped_first": skipped,
        "e2e": asdict(e2e),
        "raw_aiokafka": asdict(raw),
        "e2e_over_raw_throughput": ratio,
        "memory": asdict(memory),
        "service_startup_s": startup,
        "log_findings": findings,
    }


async def bench_until_terminated(stack: local_stack.Stack, args: argparse.Namespace) -> dict[str, Any]:
    """The bench, cancelled on SIGTERM, so its finally blocks still stop the services (and the stack)."""
    loop = asyncio.get_running_loop()
    task = asyncio.current_task()
    assert task is not None
    loop.add_signal_handler(signal.SIGTERM, task.cancel)
    try:
        return await bench(stack, args)
    finally:
        loop.remove_signal_handler(signal.SIGTERM)


def summary(result: dict[str, Any]) -> tuple[str, str]:
    e2e, raw, memory = result["e2e"], result["raw_aiokafka"], result["memory"]["peak_rss_mib"]
    speed = e2e["speed"]
    lost = "".join(f", {speed[key]} {key}" for key in ("missing", "failed") if speed[key])
    raw_lost = "".join(f", {raw[key]} {key}" for key in ("missing", "failed") if raw[key])
    ratio = result["e2e_over_raw_throughput"]
    line = (
        f"bench: e2e {speed['items']} contacts {fmt_rate(speed['throughput_per_s'])}{lost} "
        f"p50 {fmt(speed['latency_p50_ms'])} ms p99 {fmt(speed['latency_p99_ms'])} ms "
        f"(gateway accepts {fmt_rate(e2e['accept_per_s'])}) | "
        f"raw aiokafka {raw['items']} msgs {fmt_rate(raw['throughput_per_s'])}{raw_lost} "
        f"p50 {fmt(raw['latency_p50_ms'])} ms p99 {fmt(raw['latency_p99_ms'])} ms | "
        f"e2e/raw throughput {'n/a' if ratio is None else f'{ratio:.2g}'}"
    )
    processes = ", ".join(
        f"{name} {fmt(memory.get(name), 0)} MiB" for name in ("gateway", "intake", "dispatch", "bench")
    )
    return line, f"memory: {processes} (peak RSS)"


def arguments(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m tests.bench.run", description=__doc__.splitlines()[0])
    parser.add_argument("--contacts", type=int, default=2000, help="contacts to post (default 2000)")
    parser.add_argument("--concurrency", type=int, default=32, help="requests in flight (default 32)")
    parser.add_argument("--province", default="yn", help="province subsystem to run (default yn)")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured contacts first (default 50)")
    parser.add_argument(
        "--timeout",
        type=float,
        default=3600.0,
        help="seconds to wait for each phase to finish (default 3600)",
    )
    parser.add_argument(
        "--keep-data",
        action="store_true",
        help="keep stores and backlog (default: start with empty stores, no backlog; drop the stores after)",
    )
    args = parser.parse_args(argv)
    if not is_province_code(args.province):
        parser.error(f"{args.province!r} is not a province code")
    if args.contacts < 1 or args.concurrency < 1 or args.warmup < 0 or args.timeout <= 0:
        parser.error(
            "--contacts and --concurrency must be at least 1, --warmup at least 0, --timeout positive"
        )
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = arguments(argv)
    began = time.monotonic()
    log("starting the local stack if it is down")
    stack, started_here = local_stack.start()
    try:
        result = asyncio.run(bench_until_terminated(stack, args))
    except asyncio.CancelledError:
        log("terminated: the services were stopped, no figures")
        return 128 + signal.SIGTERM
    finally:
        if started_here:
            log("stopping the local stack this run started")
            local_stack.stop()
    result["wall_s"] = time.monotonic() - began
    (OUT / "last.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    for service, lines in result["log_findings"].items():
        for line in lines:
            log(f"{service} log: {line[:300]}")
    speed_line, memory_line = summary(result)
    print(speed_line)
    print(memory_line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
