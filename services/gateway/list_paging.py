"""Reading one list a page at a time with a cursor that stays put while the list changes under it.

A queue-like list is read bucket by bucket, in the order its work orders joined it (the bucket, then the
id); the parts of a split hour are read a few side by side, as many as the members found so far say will
fill the page, so a dense list reads one part and a sparse one the hour in two rounds. The cursor names
the last one shown, so a page never repeats one and never skips one that stays on
the list. A due list is read for the hours its window spans, by deadline; the window is fixed by the first
page, so later pages read the same one. Buckets found empty two hours after they closed are forgotten
(every gateway replica's clock is taken to be within that of the others).
"""

import asyncio
import base64
import binascii
import json
import math
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from services.gateway.case_files import CaseFile, ListBuckets
from services.gateway.work_order_lists import (
    PART,
    SPLIT,
    ListFilter,
    View,
    bucket_start,
    buckets_in,
    hour_of,
    hour_start,
    standing_of,
)

# A bucket still filling (its hour, or the hour after, while a late writer finishes) is never forgotten.
FORGET_AFTER = timedelta(hours=2)
HOUR = timedelta(hours=1)
PART_SPAN = timedelta(minutes=PART)
LONGEST = timedelta(days=7)  # a due list's window


class BadCursor(ValueError):
    """A cursor this list did not give, or one altered to read more than its list allows."""


@dataclass(frozen=True)
class Cursor:
    key: str
    hour: str
    after: list[str]  # the last shown: its id; on a due list its deadline, then its id
    since: str | None = None  # a due list's window, fixed by its first page
    until: str | None = None

    def encode(self) -> str:
        text = json.dumps([self.key, self.hour, self.after, self.since, self.until], separators=(",", ":"))
        return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")

    @classmethod
    def decode(cls, text: str, key: str, due: bool = False) -> "Cursor":
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            found, hour, after, since, until = json.loads(raw)
            cursor = cls(found, hour, [str(part) for part in after], since, until)
            cursor._check(due)
        except (binascii.Error, ValueError, TypeError, AttributeError) as error:
            raise BadCursor("cursor: not one this API gave") from error
        if cursor.key != key:
            raise BadCursor("cursor: given for another list (keep the filters of its first page)")
        return cursor

    def _check(self, due: bool) -> None:
        """As this module writes them: else ValueError (a due list's window no longer than a week)."""
        start = bucket_start(self.hour)
        if not due:
            if len(self.after) != 1 or self.since is not None or self.until is not None:
                raise ValueError("not a queue list's cursor")
            return
        if len(self.after) != 2 or self.since is None or self.until is None:
            raise ValueError("not a due list's cursor")
        since, until = (datetime.fromisoformat(moment) for moment in (self.since, self.until))
        datetime.fromisoformat(self.after[0]).astimezone(UTC)
        if since.tzinfo is None or until.tzinfo is None or not timedelta() <= until - since <= LONGEST:
            raise ValueError("a due list's window runs forward, a week at most")
        if not hour_start(hour_of(since)) <= start <= until:
            raise ValueError("a due list's cursor stays in its window")


@dataclass(frozen=True)
class Page:
    cases: list[CaseFile]
    next: str | None  # the cursor of the next page; None: this was the last


async def queue_page(
    store: ListBuckets, wanted: ListFilter, limit: int, now: datetime, cursor: str | None
) -> Page:
    """Up to `limit` of the list's work orders, the longest on it first."""
    key = wanted.key
    start = Cursor.decode(cursor, key) if cursor else None
    taken: list[tuple[str, CaseFile]] = []

    def missing() -> int:
        return limit + 1 - len(taken)

    for hour in sorted(await store.buckets(key)):
        buckets = [bucket for bucket in buckets_in(hour) if start is None or bucket >= start.hour]
        emptied, seen = len(buckets) == len(buckets_in(hour)), 0
        async for bucket, members in parts_read(store, key, buckets, missing):
            seen, emptied = seen + 1, emptied and not members
            after = start.after[0] if start is not None and bucket == start.hour else ""
            # Its entries are set just after its case file: one closed or moved meanwhile is not shown.
            held = [c for c in members if (standing := standing_of(c)) is not None and wanted.holds(standing)]
            ordered = sorted((c.facts.work_order_id, c) for c in held if c.facts.work_order_id > after)
            taken += [(bucket, case) for _, case in ordered[: missing()]]
        if (
            emptied
            and seen == len(buckets)
            and hour_start(hour.removesuffix(SPLIT)) + HOUR + FORGET_AFTER < now
        ):
            await store.forget(key, hour)
        if len(taken) > limit:
            bucket, last = taken[limit - 1]
            following = Cursor(key, bucket, [last.facts.work_order_id])
            return Page([case for _, case in taken[:limit]], following.encode())
    return Page([case for _, case in taken], None)


async def parts_read(
    store: ListBuckets, key: str, buckets: list[str], missing: Callable[[], int]
) -> AsyncIterator[tuple[str, list[CaseFile]]]:
    """Each of an hour's `buckets` with its members, in order, read a few side by side, until none of
    the page is `missing`."""
    found, read = 0, 0
    while read < len(buckets) and missing() > 0:
        batch = buckets[read : read + at_once(found, read, missing(), len(buckets) - read)]
        read += len(batch)
        side_by_side = await asyncio.gather(*(store.members(f"{key}@{bucket}") for bucket in batch))
        for bucket, members in zip(batch, side_by_side, strict=True):
            found += len(members)
            yield bucket, members


def at_once(found: int, read: int, wanted: int, left: int) -> int:
    """How many of an hour's buckets to read side by side: one first; then as many as the members found
    so far say will give the `wanted` still missing, or twice as many as read while none were found."""
    if read == 0:
        return 1
    if found == 0:
        return min(left, 2 * read)
    return max(1, min(left, math.ceil(wanted * read / found)))


async def due_page(
    store: ListBuckets, wanted: ListFilter, within: timedelta, limit: int, now: datetime, cursor: str | None
) -> Page:
    """Up to `limit` of the list's work orders next due between now and `within` from now, the soonest
    first (those overdue already are the overdue list's)."""
    assert wanted.view is View.DUE
    key = wanted.key
    start = Cursor.decode(cursor, key, due=True) if cursor else None
    since = datetime.fromisoformat(start.since) if start and start.since else now
    until = datetime.fromisoformat(start.until) if start and start.until else now + within
    taken: list[tuple[str, datetime, CaseFile]] = []

    def missing() -> int:
        return limit + 1 - len(taken)

    for hour in await due_hours(store, wanted, since, until, now):
        buckets = [
            bucket
            for bucket in buckets_in(hour)
            if bucket_start(bucket) <= until
            and bucket_start(bucket) + (PART_SPAN if ":" in bucket else HOUR) > since
            and (start is None or bucket >= start.hour)
        ]
        async for bucket, members in parts_read(store, key, buckets, missing):
            due = []
            for case in members:
                standing = standing_of(case)
                at = standing.next_due_at if standing and wanted.holds(standing) else None
                if at is not None and since <= at <= until:
                    due.append((at, case.facts.work_order_id, case))
            after = (
                (datetime.fromisoformat(start.after[0]), start.after[1])
                if start and bucket == start.hour
                else None
            )
            due.sort(key=lambda found: (found[0], found[1]))
            shown = [(bucket, at, case) for at, id_, case in due if after is None or (at, id_) > after]
            taken += shown[: missing()]
        if len(taken) > limit:
            bucket, at, last = taken[limit - 1]
            after_last = [at.isoformat(), last.facts.work_order_id]
            following = Cursor(key, bucket, after_last, since.isoformat(), until.isoformat())
            return Page([case for _, _, case in taken[:limit]], following.encode())
    return Page([case for _, _, case in taken], None)


async def due_hours(
    store: ListBuckets, wanted: ListFilter, since: datetime, until: datetime, now: datetime
) -> list[str]:
    """The hours of a due list's window: each of them for a narrowed list; for the whole province's,
    those its directory notes, forgetting the hours long before any window still paged."""
    if not wanted.split:
        first = hour_start(hour_of(since))
        return [hour_of(first + n * HOUR) for n in range(int((until - first) / HOUR) + 1)]
    hours = []
    for hour in sorted(await store.buckets(wanted.key)):
        opened = hour_start(hour.removesuffix(SPLIT))
        if opened + HOUR + FORGET_AFTER < min(since, now):
            await store.forget(wanted.key, hour)
        elif opened + HOUR > since and opened <= until:
            hours.append(hour)
    return hours
