"""The real path: contacts posted to the gateway over HTTP, timed until their work orders reach a topic."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import Counter
from dataclasses import dataclass

from contracts.events import WorkOrderType
from contracts.ids import work_order_id_for
from deploy.local.callers import key_for
from tests.bench.arrivals import Arrivals
from tests.bench.cpu import CpuWindow
from tests.bench.directory import bench_phone
from tests.bench.figures import EndToEnd, Speed, buckets, ms, percentile, rate
from tests.bench.http_client import Connection, HttpError
from tests.bench.profile import Profiles
from tests.bench.progress import log

DESCRIPTION = "家里宽带从今天早上开始无法上网，光猫LOS灯一直红色闪烁，固话也没有拨号音，请尽快派人上门维修。"
ADDRESS = "广州市天河区体育西路 1 号"
HTTP_TIMEOUT = 30.0
UNKNOWN = 1_000_000  # numbers contacts come from when the directory is empty
CUSTOMERS = itertools.count()  # the next customer to post, for the whole run


@dataclass(frozen=True)
class Accepted:
    contact_id: str
    posted_at: float
    accepted_at: float


async def post_contacts(
    port: int, count: int, concurrency: int, pace: float | None = None, *, province: str, known: int = 0
) -> tuple[list[Accepted], list[str]]:
    """Post `count` contacts with up to `concurrency` requests in flight, each on a keep-alive connection of
    its own: as fast as they are accepted, or `pace` a second (contact i at i/pace s, whether or not the
    ones before it were answered yet); the accepted ones and the failures. Each comes from another of the
    `known` customers of the directory (or, with none, from numbers the directory does not hold)."""
    accepted: list[Accepted] = []
    failures: list[str] = []
    # Shared: each worker takes the next index until `count` are taken. Numbered across every call of
    # the run, so that no customer posts twice (the same customer again on the same matter would be a
    # repeat contact, linked, not dispatched).
    indexes = zip(range(count), itertools.islice(CUSTOMERS, count), strict=False)
    began = time.monotonic()

    async def worker() -> None:
        key = key_for(province, "/v1/contacts/web")
        connection = Connection("127.0.0.1", port, HTTP_TIMEOUT, authorization=f"Bearer {key}")
        try:
            for index, customer in indexes:
                if pace is not None:
                    await asyncio.sleep(max(0.0, began + index / pace - time.monotonic()))
                phone = bench_phone(customer * 7919 % (known or UNKNOWN))
                body = json.dumps(
                    {
                        "phone": phone,
                        "type": WorkOrderType.FAULT_REPAIR.value,
                        "category": "no_power",
                        "address": ADDRESS,
                        "description": DESCRIPTION,
                    }
                ).encode()
                posted_at = time.monotonic()
                try:
                    status, answer = await connection.post("/v1/contacts/web", body)
                except HttpError as error:
                    failures.append(str(error))
                    continue
                accepted_at = time.monotonic()
                if status == 202:
                    accepted.append(Accepted(str(json.loads(answer)["id"]), posted_at, accepted_at))
                else:
                    failures.append(f"HTTP {status}: {answer[:200].decode(errors='replace')}")
        finally:
            await connection.close()

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
    cpu: CpuWindow,
    profiles: Profiles,
    pace: float | None = None,
    *,
    province: str,
    known: int = 0,
) -> EndToEnd:
    # Connections per phase: one left idle between phases may be closed by the gateway's keep-alive timeout
    # just as it is reused, which would count as a failed contact.
    if warmup:
        log(f"warm-up: {warmup} contacts")
        warm, warm_failures = await asyncio.wait_for(
            post_contacts(gateway_port, warmup, concurrency, province=province, known=known), patience
        )
        missing = await department.wait_for((work_order_id_for(a.contact_id) for a in warm), patience)
        log(f"warm-up done: {len(warm)} accepted, {len(warm_failures)} failed, {len(missing)} missing")
    paced = f"{pace:g}/s" if pace else "as fast as accepted"
    log(f"load: {contacts} contacts, {paced}, up to {concurrency} in flight")
    cpu.start()
    profiles.start()
    try:
        accepted, failures = await asyncio.wait_for(
            post_contacts(gateway_port, contacts, concurrency, pace, province=province, known=known), patience
        )
        log(
            f"load posted: {len(accepted)} accepted, {len(failures)} failed; waiting for the department topic"
        )
        for reason, count in Counter(failures).most_common(3):
            log(f"  failed {count}x: {reason}")
        orders = {work_order_id_for(a.contact_id): a for a in accepted}
        missing = await department.wait_for(orders, patience)
    finally:
        cpu_seconds = cpu.stop()
        profiled = profiles.stop()
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
        cpu_seconds=cpu_seconds,
        profiles=profiled,
        profiles_missing=profiles.problem,
        per_10s={
            "workorders": buckets((workorders.times[o] for o in orders if o in workorders.times), first_post),
            "department": buckets(arrived.values(), first_post),
        },
    )
