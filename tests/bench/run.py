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
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from contracts.provinces import is_province_code
from contracts.topics import Topics
from tests.bench.arrivals import Arrivals
from tests.bench.end_to_end import end_to_end
from tests.bench.figures import Memory, fmt, fmt_rate
from tests.bench.housekeeping import drop_databases, log_findings, peak_rss_mib, skip_backlog, store_databases
from tests.bench.progress import log
from tests.bench.raw_kafka import raw_kafka
from tests.support import stack as local_stack
from tests.support.processes import ROOT, ServiceProcess
from tests.support.running import service_env

OUT = ROOT / ".run" / "bench"
# Started downstream first, so each consumer is up before anything is published to it.
SERVICES = ("dispatch", "intake", "gateway")
DEPARTMENT = "repair"  # where the dispatch rules send fault_repair work orders
START_TIMEOUT = 60.0


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
