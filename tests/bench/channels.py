"""Contacts accepted at the gateway, per channel: each posted over HTTP to a gateway process on the real
stack and timed from the request to its answer, which the gateway sends once Kafka has acknowledged the
event and its audit record. Web contacts, calls recorded as voice contacts, CTI call events, Twilio
texts (signed), Kannel texts (UCS-2) and Kannel delivery reports, as many of each, as many in flight;
the web channel is the baseline of the ratio.

A benchmark, not a test: it asserts nothing about timings.
"""

from __future__ import annotations

import asyncio
import base64
import json
import statistics
import time
import urllib.parse
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import uuid4

from twilio.request_validator import RequestValidator

from deploy.local.credentials import local_keys
from tests.bench.figures import fmt
from tests.bench.http_client import Connection, HttpError
from tests.bench.load_collector import collector_paused
from tests.bench.progress import log
from tests.support import stack as local_stack
from tests.support.processes import ServiceProcess
from tests.support.running import service_env

PROVINCE = "sx"  # its topics are this bench's alone
COUNT, CONCURRENCY, TIMEOUT = 1_000, 32, 30.0
TOKEN = uuid4().hex
Request = tuple[str, bytes, bytes, tuple[tuple[bytes, bytes], ...]]  # path, body, content type, headers
JSON = b"application/json"


@dataclass(frozen=True)
class ChannelAccepts:
    channel: str
    posted: int
    accepted: int
    per_s: float
    p50_ms: float | None
    p99_ms: float | None


def _web(n: int) -> Request:
    body = {"phone": f"139{n % 10**8:08d}", "type": "query", "category": "bill", "description": f"电费 {n}"}
    return "/v1/contacts/web", json.dumps(body).encode(), JSON, ((b"idempotency-key", f"w{n}".encode()),)


def _voice(n: int) -> Request:
    body = {
        "call_id": f"CALL-{n}",
        "phone": f"139{n % 10**8:08d}",
        "type": "query",
        "description": f"电费 {n}",
    }
    return "/v1/contacts/voice", json.dumps(body).encode(), JSON, ()


def _cti(n: int) -> Request:
    at = datetime.now(UTC).isoformat()
    body = {"event_id": f"E{n}", "kind": "answered", "at": at, "group_id": "G-1", "agent_id": f"A-{n % 50}"}
    return f"/v1/voice/calls/CALL-{n}/events", json.dumps(body).encode(), JSON, ()


def _twilio_sms(port: int) -> Callable[[int], Request]:
    def request(n: int) -> Request:
        path = "/v1/channels/twilio/sms"
        form = {
            "MessageSid": f"SM{n:032d}",
            "From": f"+86139{n % 10**8:08d}",
            "To": "+8695598",
            "Body": f"电费 {n}",
        }
        signature = RequestValidator(TOKEN).compute_signature(f"http://127.0.0.1:{port}{path}", form)
        body = urllib.parse.urlencode(form).encode()
        return (
            path,
            body,
            b"application/x-www-form-urlencoded",
            ((b"x-twilio-signature", signature.encode()),),
        )

    return request


KANNEL_PASSWORD = uuid4().hex
KANNEL = (b"authorization", b"Basic " + base64.b64encode(f"kannel:{KANNEL_PASSWORD}".encode()))


def _kannel_sms(n: int) -> Request:
    """What smsbox's get-url asks for a text in UCS-2 (a GET: the query is the text)."""
    text = urllib.parse.quote_from_bytes(f"电费 {n}".encode("utf-16-be"))
    kannel_id = f"{n % 16**8:08x}-0000-4000-8000-{n % 16**12:012x}"
    query = f"id={kannel_id}&from=139{n % 10**8:08d}&to=10690000&text={text}&coding=2&at=1796693006"
    return f"/v1/channels/kannel/sms?{query}", b"", b"text/plain", (KANNEL,)


def _kannel_report(n: int) -> Request:
    query = f"reference={n:024x}&status=1&answer=&at=1796693029"
    return f"/v1/channels/kannel/dlr?{query}", b"", b"text/plain", (KANNEL,)


async def _post_all(port: int, key: str | None, requests: list[Request]) -> tuple[float, list[float]]:
    queue: asyncio.Queue[Request] = asyncio.Queue()
    for request in requests:
        queue.put_nowait(request)
    latencies: list[float] = []

    async def worker() -> None:
        connection = Connection("127.0.0.1", port, TIMEOUT, authorization=f"Bearer {key}" if key else None)
        try:
            while not queue.empty():
                path, body, content_type, headers = queue.get_nowait()
                began = time.perf_counter()
                try:
                    # Kannel's calls are GETs, the only requests without a body.
                    method = "POST" if body else "GET"
                    status, _ = await connection.post(path, body, content_type, headers, method)
                except HttpError:
                    continue
                if status in (200, 202):
                    latencies.append(1000 * (time.perf_counter() - began))
        finally:
            await connection.close()

    with collector_paused():
        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
        return time.perf_counter() - began, latencies


async def channels_bench(stack: local_stack.Stack, out: Path, count: int = COUNT) -> list[ChannelAccepts]:
    settings = {
        "GATEWAY_RATE_LIMIT": "10000000/minute",
        "GATEWAY_TWILIO_AUTH_TOKEN": TOKEN,
        "GATEWAY_KANNEL_PASSWORD": KANNEL_PASSWORD,
        "GATEWAY_KANNEL_NUMBER": "10690000",
    }
    gateway = ServiceProcess(
        "gateway", service_env(stack, PROVINCE, "gateway") | settings, out / "channels.log"
    )
    await gateway.start()
    keys = local_keys()
    channels = [
        ("web", keys[f"{PROVINCE}.channel.web"], _web),
        ("voice contact", keys[f"{PROVINCE}.channel.voice"], _voice),
        ("CTI call event", keys[f"{PROVINCE}.channel.voice"], _cti),
        ("Twilio SMS", None, _twilio_sms(gateway.port)),
        ("Kannel SMS", None, _kannel_sms),
        ("Kannel delivery report", None, _kannel_report),
    ]
    figures = []
    try:
        for channel, key, request in channels:
            run = uuid4().int % 10**6
            await _post_all(gateway.port, key, [request(run * 10_000 + n) for n in range(50)])  # warm-up
            seconds, latencies = await _post_all(
                gateway.port, key, [request(run * 10_000 + 50 + n) for n in range(count)]
            )
            ordered = sorted(latencies)
            figures.append(
                ChannelAccepts(
                    channel,
                    count,
                    len(ordered),
                    len(ordered) / seconds,
                    statistics.median(ordered) if ordered else None,
                    ordered[max(0, int(len(ordered) * 0.99) - 1)] if ordered else None,
                )
            )
            log(f"{channel}: {len(ordered)} of {count} accepted in {seconds:.1f}s")
    finally:
        gateway.stop()
    return figures


def channels_line(figures: list[dict[str, Any]]) -> str:
    """Accepted per second at the gateway per channel (tests/bench/channels.py), the web's the baseline."""
    web = next((f["per_s"] for f in figures if f["channel"] == "web"), None)
    parts = []
    for f in figures:
        ratio = f" ({f['per_s'] / web:.2f} of web)" if web and f["channel"] != "web" else ""
        parts.append(
            f"{f['channel']} {f['per_s']:.0f}/s{ratio} p50 {fmt(f['p50_ms'])} ms p99 {fmt(f['p99_ms'])} ms"
        )
    return "Gateway accepts per channel (HTTP to Kafka acknowledged, 32 in flight): " + "; ".join(parts)
