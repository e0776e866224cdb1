"""Around the measurement: service memory and logs, and a clean start (no backlog, empty stores)."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer
from aiokafka.admin import AIOKafkaAdminClient
from aiokafka.errors import GroupCoordinatorNotAvailableError, GroupLoadInProgressError
from pymongo import AsyncMongoClient

from plumbing.kafka_connection import KafkaConnection


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


async def skip_backlog(kafka: KafkaConnection, province: str) -> dict[str, int]:
    """Move every consumer group of the bench province to the end of its topics.

    What an interrupted run left unconsumed would otherwise be worked off first, inside the measurement.
    Only while the services are stopped (the groups are empty). Returns how many records each group skipped.
    """
    admin = AIOKafkaAdminClient(**kafka.client_options(), client_id="hotline-bench-admin")
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
        consumer = AIOKafkaConsumer(**kafka.client_options(), group_id=group, enable_auto_commit=False)
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
