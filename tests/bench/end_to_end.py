"""The real path: contacts posted to the gateway over HTTP, timed until their work orders reach a topic."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from dataclasses import dataclass

import httpx

from contracts.events import WorkOrderType
from contracts.ids import work_order_id_for
from tests.bench.arrivals import Arrivals
from tests.bench.figures import EndToEnd, Speed, buckets, ms, percentile, rate
from tests.bench.progress import log

PHONE = "13926012345"
DESCRIPTION = "家里宽带从今天早上开始无法上网，光猫LOS灯一直红色闪烁，固话也没有拨号音，请尽快派人上门维修。"
HTTP_TIMEOUT = 30.0


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
    for reason, count in Counter(failures).most_common(3):
        log(f"  failed {count}x: {reason}")
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
