"""Known outages: planned works and ongoing faults the operator already knows of, registered through the
gateway. A fault report from an affected area meanwhile is answered with the cause and the expected
restoration time, not dispatched."""

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from contracts.events.base import Event


class OutageKind(StrEnum):
    PLANNED = "planned"  # maintenance announced in advance
    UNPLANNED = "unplanned"  # a fault being repaired


class _OutageState(Event):
    outage_id: str
    province: str
    kind: OutageKind
    areas: list[str] = Field(min_length=1, description="Codes of the supply areas affected (intake's areas).")
    cause: str = Field(min_length=1, description="As customers are told it (计划检修, 线路故障抢修, ...).")
    starts_at: datetime
    expected_restoration_at: datetime
    by: str = Field(description="The principal who registered or changed it.")
    at: datetime

    def subject(self) -> str:
        return self.outage_id


class OutageRegisteredV1(_OutageState):
    ce_type: ClassVar[str] = "hotline.outage.registered.v1"


class OutageUpdatedV1(_OutageState):
    """The outage as it stands now (its areas, cause or expected restoration changed)."""

    ce_type: ClassVar[str] = "hotline.outage.updated.v1"


class OutageEndedV1(Event):
    """Supply is back: fault reports from its areas are taken as new faults again."""

    ce_type: ClassVar[str] = "hotline.outage.ended.v1"

    outage_id: str
    province: str
    ended_at: datetime
    by: str

    def subject(self) -> str:
        return self.outage_id
