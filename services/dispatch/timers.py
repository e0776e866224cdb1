"""Firing the SLA clocks' warnings and alarms: each work order's next timer is stored with it as a slot
of time (an indexed equality key); every replica reads the slots about now each round, and every slot
not yet finished (kept open a while for writes that land late) in a sweep once a second.

Exactly once: a firing is a change of the work order, written with its events in one write conditioned on
the version read. Replicas that find the same timer race for that write; the loser reads the work order
again and finds nothing left to fire. A timer due while no replica ran is found at restart: the shared
checkpoint says up to when every slot was looked at.
"""

import asyncio
from datetime import datetime, timedelta
from typing import Any

from contracts.topics import Topics
from plumbing.due_minutes import DueMinutes
from plumbing.repository import ConcurrentChange
from services.common.clock import Clock
from services.dispatch.domain.steps import fire_timers
from services.dispatch.handlers import Tables, publish_steps
from services.dispatch.ports import TIMER_SLOT, TimerCheckpoint, UnitFactory

# Work orders fired side by side in a round: each is its own write.
AT_ONCE = 64
RACE_RETRIES = 3
EARLIEST_ROUND = 0.02  # seconds: rounds never closer together than this
# How often a round reads the slots the clock has passed (kept open a while for writes that land late);
# the rounds between read only the slots about now, so a round is a couple of lookups.
SWEEP_EVERY = timedelta(seconds=1)
GIVE_UP_AFTER = 5  # rounds a work order's timer may fail in a row before it is set aside


class Timers:
    def __init__(
        self,
        unit: UnitFactory,
        checkpoint: TimerCheckpoint,
        tables: Tables,
        topics: Topics,
        clock: Clock,
        log: Any,
        ahead: timedelta = TIMER_SLOT,
    ) -> None:
        """`ahead`: the longest a round waits for the next (its interval)."""
        self._unit = unit
        self._checkpoint = checkpoint
        self._tables = tables
        self._topics = topics
        self._clock = clock
        self._log = log
        self._ahead = ahead
        self._due: DueMinutes | None = None
        self.next_at: datetime | None = None
        self._failures: dict[str, int] = {}
        self._set_aside: set[str] = set()
        self._swept: datetime | None = None
        self._last: datetime | None = None
        # With no checkpoint yet (the first replica ever), what fell due since this one started counts.
        self._started = clock()

    async def fire_due(self) -> int:
        """Fire what has fallen due; how many work orders this round changed."""
        now = self._clock()
        if self._due is None:
            since = await self._checkpoint.read()
            self._due = DueMinutes(min(since or self._started, now) - DueMinutes.LATE, TIMER_SLOT)
        async with self._unit() as uow:
            sweep = self._swept is None or now - self._swept >= SWEEP_EVERY
            # The slots up to the next round too: a timer early in the next slot is known, and the
            # next round waits for it, not for the whole interval. Between sweeps, from the last
            # round's slot on: a timer stored in time and due before that round, that round found;
            # one written late into an earlier slot, the next sweep finds.
            slots = self._due.to_look_at(now + self._ahead, None if sweep else self._last)
            found = [
                timer
                for timers in await asyncio.gather(*(uow.dispatches.timers_in(s) for s in slots))
                for timer in timers
            ]
        self._last = now
        due_at = {work_order_id: at for work_order_id, at in found if at <= now}
        due = [work_order_id for work_order_id in due_at if work_order_id not in self._set_aside]
        # The next timer known to fall due in the slots looked at: the next round waits only for it.
        self.next_at = min((at for _, at in found if at > now), default=None)
        fired, failed = 0, []
        for start in range(0, len(due), AT_ONCE):
            results = await asyncio.gather(
                *(self._fire(work_order_id) for work_order_id in due[start : start + AT_ONCE]),
                return_exceptions=True,
            )
            for work_order_id, result in zip(due[start : start + AT_ONCE], results, strict=True):
                if isinstance(result, BaseException):
                    failed.append(work_order_id)
                    self._failed(work_order_id, result)
                else:
                    self._failures.pop(work_order_id, None)
                    fired += result
        if sweep:
            # Slots close a while after the clock has passed them: a write that lands late is still
            # found. One that failed keeps its slot open for the next sweep; the slots before it close.
            done = min([now - DueMinutes.LATE, *(due_at[work_order_id] for work_order_id in failed)])
            self._due.looked_at(done)
            await self._checkpoint.advance(done)
            self._swept = now
        return fired

    def _failed(self, work_order_id: str, error: BaseException) -> None:
        """Logged; after `GIVE_UP_AFTER` rounds in a row, set aside so it holds no other timer back."""
        self._failures[work_order_id] = tries = self._failures.get(work_order_id, 0) + 1
        if tries < GIVE_UP_AFTER:
            self._log.error("timer failed", work_order_id=work_order_id, tries=tries, error=repr(error))
            return
        self._set_aside.add(work_order_id)
        self._log.error(
            "timer set aside after failing every try: its clocks fire again once a step changes it",
            work_order_id=work_order_id,
            error=repr(error),
        )

    async def _fire(self, work_order_id: str) -> bool:
        for _ in range(RACE_RETRIES):
            try:
                return await self._fire_once(work_order_id)
            except ConcurrentChange:
                continue  # another replica or a step came first: read it again
        return await self._fire_once(work_order_id)

    async def _fire_once(self, work_order_id: str) -> bool:
        rules = self._tables.clock_rules()
        async with self._unit() as uow:
            dispatch = await uow.dispatches.get(work_order_id)
            if dispatch is None:
                return False
            events = fire_timers(dispatch, self._clock(), rules)
            # Saved even when nothing fired (the SLA table's alarm interval changed meanwhile, say):
            # its timer moves to a slot still to come, not one this round is closing.
            uow.dispatches.save(dispatch)
            if not events:
                return False
            publish_steps(uow, self._topics, dispatch, events, None)
            return True


async def keep_firing(timers: Timers, every: float, clock: Clock) -> None:
    """A round at least every `every` seconds, and sooner when a timer found in the last round falls
    due: a warning is late by the round's own time, not by the wait for the next."""
    while True:
        await timers.fire_due()
        wait = every
        if timers.next_at is not None:
            wait = min(every, max(EARLIEST_ROUND, (timers.next_at - clock()).total_seconds()))
        await asyncio.sleep(wait)
