"""Throughput, latency and memory of the real path accept -> department topic, next to raw aiokafka.

    python -m tests.bench.run [--contacts N] [--concurrency C] [--province P] [--stored S]
                              [--lookup-sizes 1000,100000,1000000]

Starts the local stack if it is down (and stops it afterwards only then). First it times lookups by _id and
by an indexed field as one collection grows through the lookup sizes. Then, twice (empty stores, and stores
holding S work orders, as many dispatches and as many customers in intake's directory, rendered by the
services' own mappers; the contacts then come from the directory's numbers), it runs gateway,
intake and dispatch as their own OS processes, posts N fault-repair contacts to the gateway over HTTP with
C requests in flight, and times each work order from the gateway's 202 (the contact is on Kafka then) to
the moment the bench reads it on the department topic; in the stored phase, before the services start,
it also times intake's whole decision and write for batches of contacts in process, with the directory
and a hundred open incidents in the store, against an empty store (tests/bench/decisions.py). Last it
runs a plain aiokafka produce -> consume loop of the same size, concurrency and producer settings on a
fresh topic, so the throughputs compare. Dispatch's routing decision is timed in process with a hundred
rules and with one (tests/bench/routing.py). Prints a speed and a memory line per phase (and the decisions'
line for the stored one) and a lookup line on stdout, progress on stderr, and writes
every figure, with the pace per 10 s and the split between intake and dispatch, to .run/bench/last.json.

A benchmark, not a test: it asserts nothing about timings, and pytest does not collect it.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import signal
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from tests.bench.arguments import arguments
from tests.bench.auth_cost import auth_cost
from tests.bench.channels import channels_bench, channels_line
from tests.bench.decisions import decisions_line
from tests.bench.figures import fmt, fmt_rate
from tests.bench.housekeeping import peak_rss_mib
from tests.bench.list_pages import list_pages_bench, lists_line
from tests.bench.phase import OUT, run_phase
from tests.bench.progress import log
from tests.bench.raw_kafka import raw_kafka
from tests.bench.routing import routing_bench
from tests.bench.sla_timers import sla_timers_bench, timers_line
from tests.bench.standings_refresh import standings_refresh_bench, standings_refresh_line
from tests.bench.store_races import store_races
from tests.bench.stored import lookups
from tests.bench.storm import storm_bench
from tests.bench.voice_routing import voice_routing_bench, voice_routing_line
from tests.support import stack as local_stack
from tests.support.running import DATABASE_PREFIX


async def bench(stack: local_stack.Stack, args: argparse.Namespace) -> dict[str, Any]:
    sizes = tuple(int(size) for size in args.lookup_sizes.split(",") if size)
    looked_up = await lookups(stack.mongodb_uri, f"{DATABASE_PREFIX}_lookups", sizes) if sizes else []
    log("racing writers on one document in the store")
    races = await store_races(stack.mongodb_uri, f"{DATABASE_PREFIX}_races")
    log("timing the gateway's own work per post without and with authentication")
    access_cost = await auth_cost()
    log("timing dispatch's routing decision with a hundred rules and with one")
    routing = routing_bench()
    phases = [await run_phase(stack, args, stored) for stored in dict.fromkeys((0, args.stored))]
    log("the gateway's accepts per channel: web, voice, CTI events, Twilio texts, Kannel texts and reports")
    channels = await channels_bench(stack, OUT)
    log("voice routing decisions with a million numbers' standings in the gateway's memory")
    voice_routing = await voice_routing_bench(stack, OUT)
    log("intake's daily refresh of every number's standing, on a directory in the store")
    refresh = await standings_refresh_bench(stack.mongodb_uri, f"{DATABASE_PREFIX}_refresh")
    log("a storm: fault reports into a hundred open incidents, against as many opening their own")
    storm = await storm_bench(stack, OUT)
    timers = None
    if args.sla_open:
        log(f"SLA timers: dispatch on {args.sla_open:,} open work orders with live clocks")
        timers = await sla_timers_bench(stack, OUT, args.sla_open)
    lists = None
    if args.lists_open:
        log(f"the gateway's lists on {args.lists_open:,} open case files")
        lists = await list_pages_bench(stack, args.lists_open)
    raw = await raw_kafka(
        stack.kafka, args.province, args.contacts, args.concurrency, args.warmup, args.timeout
    )
    return {
        "at": datetime.now(UTC).isoformat(),
        "province": args.province,
        "contacts": args.contacts,
        "concurrency": args.concurrency,
        "warmup": args.warmup,
        "rate": args.rate,
        "lookups": [asdict(figures) for figures in looked_up],
        "store_races": asdict(races),
        "phases": [phase.as_dict() for phase in phases],
        "raw_aiokafka": asdict(raw),
        "auth_cost": asdict(access_cost),
        "routing": asdict(routing) | {"ratio": routing.ratio},
        "storm": asdict(storm) | {"ratio": storm.ratio},
        "channels": [asdict(figures) for figures in channels],
        "voice_routing": asdict(voice_routing),
        "standings_refresh": asdict(refresh),
        "sla_timers": asdict(timers) if timers else None,
        "lists": asdict(lists) | {"ratio": lists.ratio} if lists else None,
        "bench_peak_rss_mib": peak_rss_mib("self"),
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


def cpu_per_contact(seconds: dict[str, float], contacts: int) -> str:
    """CPU milliseconds per contact of each process, busiest first, and of all of them."""
    if not seconds or not contacts:
        return "n/a"
    parts = [
        f"{name} {1000 * spent / contacts:.1f}"
        for name, spent in sorted(seconds.items(), key=lambda kv: -kv[1])
    ]
    return f"{', '.join(parts)}; all {1000 * sum(seconds.values()) / contacts:.1f} ms per contact"


def summary(result: dict[str, Any]) -> list[str]:
    raw = result["raw_aiokafka"]
    raw_lost = "".join(f", {raw[key]} {key}" for key in ("missing", "failed") if raw[key])
    lines = []
    for phase in result["phases"]:
        e2e, memory = phase["e2e"], phase["memory"]["peak_rss_mib"]
        speed = e2e["speed"]
        lost = "".join(f", {speed[key]} {key}" for key in ("missing", "failed") if speed[key])
        ratio = (
            speed["throughput_per_s"] / raw["throughput_per_s"]
            if speed["throughput_per_s"] and raw["throughput_per_s"]
            else None
        )
        held = (
            f"{phase['stored']:,} work orders, dispatches and customers stored"
            if phase["stored"]
            else "empty stores"
        )
        lines.append(
            f"bench ({held}): e2e {speed['items']} contacts {fmt_rate(speed['throughput_per_s'])}{lost} "
            f"p50 {fmt(speed['latency_p50_ms'])} ms p99 {fmt(speed['latency_p99_ms'])} ms "
            f"(gateway accepts {fmt_rate(e2e['accept_per_s'])}) | "
            f"raw aiokafka {raw['items']} msgs {fmt_rate(raw['throughput_per_s'])}{raw_lost} "
            f"p50 {fmt(raw['latency_p50_ms'])} ms p99 {fmt(raw['latency_p99_ms'])} ms | "
            f"e2e/raw throughput {'n/a' if ratio is None else f'{ratio:.2g}'}"
        )
        processes = ", ".join(
            f"{name} {fmt(memory.get(name), 0)} MiB" for name in ("gateway", "intake", "dispatch")
        )
        lines.append(
            f"memory ({held}): {processes} (peak RSS); bench {fmt(result['bench_peak_rss_mib'], 0)} MiB"
        )
        lines.append(f"cpu ({held}): {cpu_per_contact(e2e['cpu_seconds'], speed['arrived'])}")
        if phase["decisions"]:
            lines.append(decisions_line(phase["decisions"]))
        if phase["paced"]:
            paced = phase["paced"]["speed"]
            paced_lost = "".join(f", {paced[key]} {key}" for key in ("missing", "failed") if paced[key])
            lines.append(
                f"paced ({held}): {paced['items']} contacts posted at {result['rate']:g}/s, "
                f"{fmt_rate(paced['throughput_per_s'])} through{paced_lost}, "
                f"p50 {fmt(paced['latency_p50_ms'])} ms p99 {fmt(paced['latency_p99_ms'])} ms "
                f"max {fmt(paced['latency_max_ms'])} ms; "
                f"cpu {cpu_per_contact(phase['paced']['cpu_seconds'], paced['arrived'])}"
            )
        if e2e["profiles_missing"]:
            lines.append(f"profiles ({held}): none: {e2e['profiles_missing']}")
        for service, profile in e2e["profiles"].items():
            lines.append(f"profile of {service} ({held}): " + " | ".join(profile[:4]))
    if result["lookups"]:
        first, last = result["lookups"][0], result["lookups"][-1]
        sizes = "/".join(f"{figures['documents']:,}" for figures in result["lookups"])
        by_id = "/".join(fmt(figures["by_id_p50_ms"], 2) for figures in result["lookups"])
        by_field = "/".join(fmt(figures["by_field_p50_ms"], 2) for figures in result["lookups"])
        p99 = "/".join(fmt(figures["by_id_p99_ms"], 2) for figures in result["lookups"])
        growth_id = last["by_id_p50_ms"] / first["by_id_p50_ms"]
        growth_field = last["by_field_p50_ms"] / first["by_field_p50_ms"]
        lines.append(
            f"lookups at {sizes} documents: by _id p50 {by_id} ms (p99 {p99}), by an indexed field p50 "
            f"{by_field} ms; largest/smallest p50 {growth_id:.2f}x by _id, {growth_field:.2f}x by field"
        )
    races = result["store_races"]
    lines.append(
        f"store races: {races['writers']} writers conditioned on one version, {races['trials']} times: "
        f"{races['winners_mean']:.1f} won on average, at most {races['winners_max']} (atomic: 1); "
        f"{races['increments']} concurrent $inc kept {races['increments_kept']} (atomic: all); "
        f"with the write guard {races['guarded_winners_mean']:.1f} won on average, at most "
        f"{races['guarded_winners_max']}, and the $inc kept {races['guarded_increments_kept']}, refused ones "
        f"retried, in {races['guarded_increments_s'] * 1000:.0f} ms vs {races['increments_s'] * 1000:.0f} ms "
        f"unguarded ({races['guarded_increments_s'] / max(races['increments_s'], 1e-9):.1f}x)"
    )
    storm = result["storm"]
    lines.append(
        f"storm ({storm['reports']} fault reports from 20 clients into {storm['incidents']} open incidents, "
        f"intake in its own process): {fmt_rate(storm['storm_per_s'])} accepted to placed, vs "
        f"{fmt_rate(storm['own_work_orders_per_s'])} as many opening their own work orders (ratio "
        f"{storm['ratio']:.2g}); 202 to intake's link p50 {fmt(storm['link_p50_ms'])} ms p99 "
        f"{fmt(storm['link_p99_ms'])} ms; intake {fmt(storm['intake_peak_rss_mib'], 0)} MiB (peak RSS)"
    )
    if result["sla_timers"]:
        lines.append(timers_line(result["sla_timers"]))
    if result.get("channels"):
        lines.append(channels_line(result["channels"]))
    if result.get("voice_routing"):
        lines.append(voice_routing_line(result["voice_routing"]))
    if result.get("standings_refresh"):
        lines.append(standings_refresh_line(result["standings_refresh"]))
    if result.get("lists"):
        lines.append(lists_line(result["lists"]))
    routing = result["routing"]
    lines.append(
        f"routing ({routing['decisions']:,} decisions in process): {routing['rules']} rules "
        f"{fmt_rate(routing['per_s'])} vs one rule {fmt_rate(routing['one_rule_per_s'])} "
        f"(ratio {routing['ratio']:.2g})"
    )
    cost = result["auth_cost"]
    modes = {
        "none": "post, no check (a fixed caller)",
        "api_key": "post, API key",
        "jwt": "post, OAuth2 token",
        "read_masked": "work-order read as a supervisor (API key, object check, masking, audit)",
    }
    lines.append(
        f"auth cost (gateway in-process, {cost['requests']} calls each, interleaved): "
        + "; ".join(
            f"{label} p50 {fmt(cost['p50_us'][mode], 0)} us p99 {fmt(cost['p99_us'][mode], 0)} us"
            for mode, label in modes.items()
        )
    )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    args = arguments(__doc__.splitlines()[0], argv)
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
    for phase in result["phases"]:
        for service, lines in phase["log_findings"].items():
            for line in lines:
                log(f"{service} log: {line[:300]}")
    for line in summary(result):
        print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
