"""Intake's daily refresh of every number's standing on a directory at scale: the directory's numbers
read a page at a time, each page looked up and its standings made, on the real store (the announcement
itself is Kafka's, measured by tests/bench/voice_routing.py, so here it is only counted).

A benchmark, not a test: it asserts nothing about timings.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import AsyncMongoClient

from contracts.events import CustomerStandingV1
from contracts.topics import Topics
from services.common.clock import system_clock
from services.intake.customer_store import MongoCustomerDirectory
from services.intake.domain.areas import table_for
from services.intake.domain.duty import roster_for
from services.intake.handlers import REFRESH_PAGE, IntakeHandlers
from tests.bench.decisions import RULES, STORMS
from tests.bench.directory import fill_directory
from tests.bench.progress import log

NUMBERS = 100_000


@dataclass(frozen=True)
class RefreshFigures:
    numbers: int
    seconds: float
    per_s: float


def _no_unit() -> Any:
    raise AssertionError("the refresh stores no work order")


class CountingStandings:
    def __init__(self) -> None:
        self.count = 0

    async def announce(self, standings: Sequence[CustomerStandingV1]) -> None:
        self.count += len(standings)


async def standings_refresh_bench(
    mongodb_uri: str, database_name: str, numbers: int = NUMBERS
) -> RefreshFigures:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_uri)
    database = client[database_name]
    try:
        await client.drop_database(database_name)
        await fill_directory(database, numbers)
        directory = MongoCustomerDirectory(
            database["customers"], database["customer_phones"], database["customer_refreshes"]
        )
        counted, province = CountingStandings(), "gd"
        handlers = IntakeHandlers(
            _no_unit,
            directory,
            RULES,
            STORMS,
            table_for(province, None),
            roster_for(province, None),
            Topics(province),
            system_clock,
            0,
            standings=counted,
        )
        began = time.perf_counter()
        announced = await handlers.standings_refreshed(REFRESH_PAGE)
        seconds = time.perf_counter() - began
        log(f"standings refresh: {announced:,} numbers in {seconds:.0f}s")
        return RefreshFigures(counted.count, seconds, counted.count / seconds)
    finally:
        await client.drop_database(database_name)
        await client.close()


def standings_refresh_line(figures: dict[str, Any]) -> str:
    return (
        f"intake's daily standings refresh: {figures['numbers']:,} numbers looked up and their standings "
        f"made in {figures['seconds']:.0f} s ({figures['per_s']:.0f}/s; announcing them is Kafka's, "
        f"see voice routing)"
    )
