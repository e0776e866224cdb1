"""Where every number stands, as intake last announced it (<p>.standings, compacted), in this replica's
memory: a province's millions of numbers as a sorted array of numbers and one of standings (10 bytes a
number), read at start, with the announcements since in a dictionary folded into the arrays now and then.
As fresh as the standings topic: a profile billing sends stands within a second or two of intake taking
it; a tier that changes with tenure alone, at intake's daily refresh of every standing."""

from __future__ import annotations

import asyncio
from array import array
from bisect import bisect_left
from dataclasses import dataclass

from contracts.envelope import Envelope
from contracts.events import ANY_OTHER_NUMBER, CustomerStandingV1, CustomerTier

FOLD_EVERY = 100_000  # announcements kept aside before they are folded into the arrays
TIERS = list(CustomerTier)


@dataclass(frozen=True)
class Standing:
    tier: CustomerTier
    red_list: bool
    blacklisted: bool
    priority: int


# Until intake's own word for an unknown number is read: a normal caller (intake's rules say the same).
UNKNOWN = Standing(CustomerTier.NORMAL, False, False, 3)


def _packed(standing: Standing) -> int:
    """Two bytes: the priority (up to 4095), the tier (2 bits), the red list and the blacklist."""
    return (
        (standing.priority << 4)
        | (TIERS.index(standing.tier) << 2)
        | (standing.red_list << 1)
        | standing.blacklisted
    )


def _unpacked(packed: int) -> Standing:
    return Standing(TIERS[(packed >> 2) & 3], bool(packed & 2), bool(packed & 1), packed >> 4)


def _number(phone: str) -> int | None:
    """An E.164 number as an integer (up to 15 digits, as E.164 allows); None for anything else."""
    digits = phone.removeprefix("+")
    return int(digits) if digits.isascii() and digits.isdecimal() and len(digits) <= 15 else None


class StandingTable:
    def __init__(self) -> None:
        self._numbers = array("q")
        self._packed = array("H")
        self._recent: dict[int, int] = {}
        self._folding: dict[int, int] = {}  # the announcements being folded in, until they are
        self.unknown = UNKNOWN

    def take(self, envelope: Envelope) -> None:
        event = envelope.data
        if isinstance(event, CustomerStandingV1):
            self.announced(event)

    def announced(self, event: CustomerStandingV1) -> None:
        standing = Standing(event.tier, event.red_list, event.blacklisted, min(event.priority, 4095))
        if event.phone == ANY_OTHER_NUMBER:
            self.unknown = standing
            return
        number = _number(event.phone)
        if number is not None:
            self._recent[number] = _packed(standing)

    def of(self, phone: str) -> Standing:
        number = _number(phone)
        if number is None:
            return self.unknown
        packed = self._recent.get(number)
        if packed is None:
            packed = self._folding.get(number)
        if packed is None:
            at = bisect_left(self._numbers, number)
            if at < len(self._numbers) and self._numbers[at] == number:
                packed = self._packed[at]
        return self.unknown if packed is None else _unpacked(packed)

    def numbers(self) -> int:
        """Numbers held (those announced since the last fold may count twice)."""
        return len(self._numbers) + len(self._folding) + len(self._recent)

    def nbytes(self) -> int:
        """The arrays' size: what a province's numbers cost this replica, beside the recent ones."""
        return self._numbers.itemsize * len(self._numbers) + self._packed.itemsize * len(self._packed)

    async def keep_folded(self, every: float = 2.0, at_least: int = FOLD_EVERY) -> None:
        """Fold the recent announcements into the arrays whenever enough have come, in a thread: the
        event loop goes on answering (a province's arrays take a second or two to copy)."""
        while True:
            await asyncio.sleep(every)
            if len(self._recent) >= at_least:
                await self.fold()

    async def fold(self) -> None:
        """The recent announcements into the arrays; if the merge fails they stay where they are read
        (announcements are never lost to a fold)."""
        self._folding, self._recent = self._recent, {}
        try:
            numbers, packed = await asyncio.to_thread(_merged, self._numbers, self._packed, self._folding)
        except BaseException:
            self._recent = self._folding | self._recent  # the newer of the two wins
            self._folding = {}
            raise
        self._numbers, self._packed, self._folding = numbers, packed, {}


def _merged(numbers: array[int], packed: array[int], newer: dict[int, int]) -> tuple[array[int], array[int]]:
    """The sorted arrays with `newer` merged in (replacing a number's older standing): copied a run at a
    time between the newer numbers, which stays fast in C for the millions in between."""
    merged_numbers, merged_packed = array("q"), array("H")
    start = 0
    for number in sorted(newer):
        at = bisect_left(numbers, number, start)
        merged_numbers.extend(numbers[start:at])
        merged_packed.extend(packed[start:at])
        merged_numbers.append(number)
        merged_packed.append(newer[number])
        start = at + 1 if at < len(numbers) and numbers[at] == number else at
    merged_numbers.extend(numbers[start:])
    merged_packed.extend(packed[start:])
    return merged_numbers, merged_packed
