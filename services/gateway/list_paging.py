"""Reading one list a page at a time with a cursor that stays put while the list changes under it.

A queue-like list is read bucket by bucket, in the order its work orders joined it (the hour, then the
id); the cursor names the last one shown, so a page never repeats one and never skips one that stays on
the list. A due list is read for the hours its window spans, by deadline; the window is fixed by the first
page, so later pages read the same one. Buckets found empty an hour after they closed are forgotten.
"""

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from services.gateway.case_files import CaseFile, ListBuckets
from services.gateway.work_order_lists import ListFilter, View, hour_of, hour_start, standing_of

# A bucket still filling (its hour, or the hour after, while a late writer finishes) is never forgotten.
FORGET_AFTER = timedelta(hours=2)
HOUR = timedelta(hours=1)


class BadCursor(ValueError):
    """A cursor this list did not give, or one that was altered."""


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
    def decode(cls, text: str, key: str) -> "Cursor":
        try:
            raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
            found, hour, after, since, until = json.loads(raw)
            cursor = cls(found, hour, [str(part) for part in after], since, until)
            hour_start(hour)
        except (binascii.Error, ValueError, TypeError) as error:
            raise BadCursor("cursor: not one this API gave") from error
        if cursor.key != key:
            raise BadCursor("cursor: given for another list (keep the filters of its first page)")
        return cursor


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
    for hour in sorted(await store.buckets(key)):
        if start is not None and hour < start.hour:
            continue
        members = await store.members(f"{key}@{hour}")
        if not members and hour_start(hour) + HOUR + FORGET_AFTER < now:
            await store.forget(key, hour)
        after = start.after[0] if start is not None and hour == start.hour else ""
        ordered = sorted((c.facts.work_order_id, c) for c in members if c.facts.work_order_id > after)
        taken += [(hour, case) for _, case in ordered[: limit + 1 - len(taken)]]
        if len(taken) > limit:
            hour, last = taken[limit - 1]
            following = Cursor(key, hour, [last.facts.work_order_id])
            return Page([case for _, case in taken[:limit]], following.encode())
    return Page([case for _, case in taken], None)


async def due_page(
    store: ListBuckets, wanted: ListFilter, within: timedelta, limit: int, now: datetime, cursor: str | None
) -> Page:
    """Up to `limit` of the list's work orders next due between now and `within` from now, the soonest
    first (those overdue already are the overdue list's)."""
    assert wanted.view is View.DUE
    key = wanted.key
    start = Cursor.decode(cursor, key) if cursor else None
    since = datetime.fromisoformat(start.since) if start and start.since else now
    until = datetime.fromisoformat(start.until) if start and start.until else now + within
    hour = start.hour if start is not None else hour_of(since)
    taken: list[tuple[str, datetime, CaseFile]] = []
    while hour_start(hour) <= until:
        due = []
        for case in await store.members(f"{key}@{hour}"):
            standing = standing_of(case)
            at = standing.next_due_at if standing else None
            if at is not None and since <= at <= until:
                due.append((at, case.facts.work_order_id, case))
        after = (
            (datetime.fromisoformat(start.after[0]), start.after[1]) if start and hour == start.hour else None
        )
        due.sort(key=lambda found: (found[0], found[1]))
        taken += [(hour, at, case) for at, id_, case in due if after is None or (at, id_) > after][
            : limit + 1 - len(taken)
        ]
        if len(taken) > limit:
            hour, at, last = taken[limit - 1]
            after_last = [at.isoformat(), last.facts.work_order_id]
            following = Cursor(key, hour, after_last, since.isoformat(), until.isoformat())
            return Page([case for _, _, case in taken[:limit]], following.encode())
        hour = hour_of(hour_start(hour) + HOUR)
    return Page([case for _, _, case in taken], None)
