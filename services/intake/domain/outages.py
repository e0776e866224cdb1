"""Known outages as intake keeps them (from the gateway's events): which areas are without supply, why,
and until when; a fault report from one of them meanwhile is answered with that, not dispatched."""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from contracts.events import OutageEndedV1, OutageKind, OutageRegisteredV1, OutageUpdatedV1

OutageState = OutageRegisteredV1 | OutageUpdatedV1
REMEMBERED = timedelta(days=1)


@dataclass
class Outage:
    id: str
    province: str
    kind: OutageKind
    areas: list[str]
    cause: str
    starts_at: datetime
    expected_restoration_at: datetime
    updated_at: datetime
    ended_at: datetime | None = None
    history: list[str] = field(default_factory=list)  # the CloudEvents ids taken, oldest first
    # Looked up by reports no more: a day after its end no backlog can hold a report made during it.
    forgotten: bool = False
    version: int = 0

    @classmethod
    def registered(cls, event: OutageState, event_id: str) -> "Outage":
        outage = cls(
            id=event.outage_id,
            province=event.province,
            kind=event.kind,
            areas=list(event.areas),
            cause=event.cause,
            starts_at=event.starts_at,
            expected_restoration_at=event.expected_restoration_at,
            updated_at=event.at,
        )
        outage.history.append(event_id)
        return outage

    def restate(self, event: OutageState, event_id: str) -> bool:
        """Take the outage as it stands now; False for an event taken before or older than the state."""
        if event_id in self.history or event.at < self.updated_at:
            return False
        self.kind, self.areas, self.cause = event.kind, list(event.areas), event.cause
        self.starts_at, self.expected_restoration_at = event.starts_at, event.expected_restoration_at
        self.updated_at = event.at
        self.history.append(event_id)
        return True

    def end(self, event: OutageEndedV1, event_id: str) -> bool:
        if event_id in self.history or self.ended_at is not None:
            return False
        self.ended_at = event.ended_at
        self.history.append(event_id)
        return True

    @property
    def active(self) -> bool:
        return self.ended_at is None

    def forget(self, now: datetime) -> bool:
        """Drop it from reports' lookups once it ended a day ago; False while it may still answer one."""
        if self.forgotten or self.ended_at is None or now - self.ended_at < REMEMBERED:
            return False
        self.forgotten = True
        return True

    def covers(self, area_code: str, at: datetime) -> bool:
        """Whether a report from the area, accepted at `at`, falls in this outage."""
        ended = self.ended_at is not None and at >= self.ended_at
        return area_code in self.areas and self.starts_at <= at and not ended
