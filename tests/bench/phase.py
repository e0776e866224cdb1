"""One end-to-end phase: gateway, intake and dispatch as processes on stores holding a given number of
records, contacts posted through the gateway and timed to the department topic."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import time
from dataclasses import asdict, dataclass
from typing import Any

from contracts.topics import Topics
from tests.bench.arrivals import Arrivals
from tests.bench.cpu import CpuWindow, stack_processes
from tests.bench.decisions import Decisions, decisions
from tests.bench.end_to_end import end_to_end
from tests.bench.figures import EndToEnd, Memory
from tests.bench.housekeeping import drop_databases, log_findings, peak_rss_mib, skip_backlog, store_databases
from tests.bench.profile import Profiles
from tests.bench.progress import log
from tests.bench.stored import fill_stores
from tests.support import stack as local_stack
from tests.support.processes import ROOT, ServiceProcess
from tests.support.running import service_env

OUT = ROOT / ".run" / "bench"
# Started downstream first, so each consumer is up before anything is published to it.
SERVICES = ("dispatch", "intake", "gateway")
DEPARTMENT = "repair"  # where the dispatch rules send fault_repair work orders
START_TIMEOUT = 60.0
FILL_TIMEOUT = 1800.0


@dataclass
class Phase:
    stored: int
    e2e: EndToEnd
    # The same path at a pace it keeps up with (--rate): latency without a queue building up.
    paced: EndToEnd | None
    memory: Memory
    service_startup_s: dict[str, float]
    fill_s: float | None
    log_findings: dict[str, list[str]]
    # Intake's decision and write for batches of contacts, in process, with the stored phase's directory
    # and a hundred open incidents, against an empty store (None for the empty phase).
    decisions: Decisions | None = None

    def as_dict(self) -> dict[str, Any]:
        decided = (
            {"decisions": asdict(self.decisions) | {"ratio": self.decisions.ratio}} if self.decisions else {}
        )
        return asdict(self) | decided


async def run_phase(stack: local_stack.Stack, args: argparse.Namespace, stored: int) -> Phase:
    OUT.mkdir(parents=True, exist_ok=True)
    topics = Topics(args.province)
    # The bench measures throughput: one channel's key sends everything, beyond any principal's rate.
    env = service_env(stack, args.province) | {"GATEWAY_RATE_LIMIT": "10000000/minute"}
    processes: dict[str, ServiceProcess] = {}
    startup: dict[str, float] = {}
    department = Arrivals(stack.kafka, topics.department(DEPARTMENT))
    workorders = Arrivals(stack.kafka, topics.workorders)
    readers_started: list[Arrivals] = []
    databases = store_databases(env, args.province)
    fill_s: float | None = None
    decided: Decisions | None = None
    # Every figure depends on how much the stores hold: start from empty ones, then fill them.
    dropped = await asyncio.wait_for(drop_databases(stack.mongodb_uri, databases), START_TIMEOUT)
    log(f"stores {', '.join(databases)} start empty (documents held before: {dropped or 'none'})")
    skipped = await asyncio.wait_for(skip_backlog(stack.kafka, args.province), START_TIMEOUT)
    log(f"skipped what the {args.province} consumer groups had not consumed yet: {skipped}")
    try:
        if stored:
            names = dict(zip(("intake", "dispatch"), databases, strict=True))
            fill_s = await asyncio.wait_for(
                fill_stores(
                    {service: stack.env(service)["MONGODB_URI"] for service in names},
                    names,
                    args.province,
                    stored,
                ),
                FILL_TIMEOUT,
            )
            # Before the services start: it leaves the store as the fill left it, incidents gone.
            decided = await decisions(
                stack.env("intake")["MONGODB_URI"], names["intake"], stored, args.province
            )
        for service in SERVICES:
            log_path = OUT / f"{service}.log"
            log_path.unlink(missing_ok=True)
            process = ServiceProcess(service, env | stack.env(service), log_path)
            processes[service] = process
            began = time.monotonic()
            await asyncio.wait_for(process.start(), START_TIMEOUT + 10)
            startup[service] = time.monotonic() - began
            log(f"{service} ready on 127.0.0.1:{process.port} after {startup[service]:.1f}s")
        for reader in (department, workorders):
            await reader.start()
            readers_started.append(reader)
        pids = {service: process.pid for service, process in processes.items() if process.pid is not None}
        cpu = CpuWindow(pids | stack_processes() | {"bench": os.getpid()})
        e2e = await end_to_end(
            processes["gateway"].port,
            department,
            workorders,
            args.contacts,
            args.concurrency,
            args.warmup,
            args.timeout,
            cpu,
            Profiles(pids, OUT),
            province=args.province,
            known=stored,
        )
        paced = None
        if args.rate and args.paced_contacts:
            paced = await end_to_end(
                processes["gateway"].port,
                department,
                workorders,
                args.paced_contacts,
                args.concurrency,
                0,
                args.timeout,
                cpu,
                Profiles({}, OUT),
                pace=args.rate,
                province=args.province,
                known=stored,
            )
        memory = Memory(
            peak_rss_mib={
                service: peak_rss_mib(process.pid) if process.pid is not None else None
                for service, process in processes.items()
            }
        )
    finally:
        for reader in readers_started:
            with contextlib.suppress(Exception):
                await reader.stop()
        for process in processes.values():
            process.stop()
        with contextlib.suppress(Exception):
            await asyncio.wait_for(drop_databases(stack.mongodb_uri, databases), START_TIMEOUT)
    findings = {service: log_findings(OUT / f"{service}.log") for service in processes}
    return Phase(stored, e2e, paced, memory, startup, fill_s, findings, decided)
