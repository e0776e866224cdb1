"""A storm replayed on the real stack: thousands of fault reports over many areas and fault categories,
posted by concurrent clients (some posts retried), with intake killed with kill -9 and started again in the
middle. Used by the suite (tests/e2e/test_storm_replay.py) and by `make bench`."""

import asyncio
import json
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import uuid4

import httpx

from contracts.envelope import decode
from contracts.events import IncidentOpenedV1

AREAS = 20
CATEGORIES = ("no_power", "partial_power", "line_down")
CLIENTS = 20
RETRIED = 0.05  # the share of posts a client sends twice (its first answer lost), with the same key


def area_table(province: str, path: Path, areas: int = AREAS) -> list[str]:
    """Write a table of `areas` areas of one city (an address prefix each); their codes."""
    codes = [f"storm-{n:02d}" for n in range(1, areas + 1)]
    table = [
        {
            "code": code,
            "name": f"第{n}供电区",
            "city": "风暴市",
            "kind": "urban",
            "address_prefixes": [f"风暴市第{n}区"],
        }
        for n, code in enumerate(codes, start=1)
    ]
    path.write_text(json.dumps({"province": province, "areas": table}, ensure_ascii=False), encoding="utf-8")
    return codes


@dataclass
class Replay:
    reports: int
    areas: int = AREAS
    categories: tuple[str, ...] = CATEGORIES
    accepted: dict[str, float] = field(default_factory=dict)  # contact id -> when the 202 came (epoch s)
    place: dict[str, tuple[int, str]] = field(default_factory=dict)  # contact id -> (area, category)
    retried: int = 0


async def post_storm(
    gateway: httpx.AsyncClient, replay: Replay, on_progress: Callable[[int], Awaitable[None]] | None = None
) -> None:
    """Post the replay's reports from CLIENTS clients at once, each report from its own customer."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for n in range(replay.reports):
        queue.put_nowait(n)
    chooser = random.Random(replay.reports)

    async def client() -> None:
        while not queue.empty():
            n = queue.get_nowait()
            area = n % replay.areas + 1
            category = replay.categories[(n // replay.areas) % len(replay.categories)]
            body = {
                "phone": f"137{n:08d}",
                "type": "fault_repair",
                "category": category,
                "description": "停电了",
                "address": f"风暴市第{area}区幸福路 {n} 号",
            }
            key = {"Idempotency-Key": f"storm-{uuid4().hex}"}
            retry = chooser.random() < RETRIED
            for _ in range(2 if retry else 1):
                answer = await gateway.post("/v1/contacts/web", json=body, headers=key)
                assert answer.status_code == 202, answer.text
            replay.retried += retry
            contact_id = answer.json()["id"]
            replay.accepted[contact_id] = time.time()
            replay.place[contact_id] = (area, category)
            if on_progress is not None:
                await on_progress(len(replay.accepted))

    await asyncio.gather(*(client() for _ in range(CLIENTS)))


def incidents_of(records: list[Any]) -> dict[str, IncidentOpenedV1]:
    """The incidents opened, by id, from the work-orders topic's records (a resent event counts once)."""
    opened = {}
    for record in records:
        if dict(record.headers).get("ce_type") == b"hotline.incident.opened.v1":
            event = decode(dict(record.headers), record.key, record.value).data
            assert isinstance(event, IncidentOpenedV1)
            opened[event.incident_id] = event
    return opened
