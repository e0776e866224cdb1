"""Storms: the fault reports of one area and category gather into one incident while they keep coming.

A `FaultCluster` is the one place (one document) that decides, for its area and category, whether a report
opens an incident or joins the one gathering: two intake replicas deciding at once are two writers of that
document, and the store lets only one of them win (the other reads again and joins). It keeps the
reporters of its current incident and of the one before, so that a redelivered report is known and
linked once. The window slides: each report keeps the incident gathering for another window.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

from contracts.events import Area, ContactLinkedV1, LinkReason
from contracts.events.incident import IncidentOpenedV1, IncidentUpdatedV1
from contracts.ids import fault_cluster_id_for, incident_id_for
from services.intake.domain.work_order import WorkOrder


@dataclass
class Incident:
    id: str
    work_order_id: str
    opened_at: datetime
    last_report_at: datetime
    # Contact ids, the opening report's first.
    reporters: list[str] = field(default_factory=list)

    @property
    def opener(self) -> str:
        return self.reporters[0]

    def gathering_until(self, window: timedelta) -> datetime:
        return self.last_report_at + window


@dataclass(frozen=True)
class Reported:
    """What a fault report came to: the incident it is in, whether it opened it, and what to announce
    (nothing for a report taken before)."""

    incident: Incident
    opened: bool
    events: list[IncidentOpenedV1 | IncidentUpdatedV1 | ContactLinkedV1]


@dataclass
class FaultCluster:
    id: str
    province: str
    area: Area
    category: str
    current: Incident | None = None
    previous: Incident | None = None
    version: int = 0

    @classmethod
    def of(cls, province: str, area: Area, category: str) -> "FaultCluster":
        return cls(fault_cluster_id_for(province, area.code, category), province, area, category)

    def report(self, order: WorkOrder, at: datetime, window: timedelta, now: datetime) -> Reported:
        """Take a fault report of this area and category, accepted at `at`: it joins the incident
        gathering, else opens one; `order`: the work order it would open on its own."""
        for incident in (self.current, self.previous):
            if incident is not None and order.contact_id in incident.reporters:
                return Reported(incident, incident.opener == order.contact_id, [])
        current = self.current
        if current is None or at > current.gathering_until(window):
            opened = Incident(
                id=incident_id_for(order.contact_id),
                work_order_id=order.id,
                opened_at=at,
                last_report_at=at,
                reporters=[order.contact_id],
            )
            self.previous, self.current = current, opened
            return Reported(opened, True, [IncidentOpenedV1(**self._state(opened, window), opened_at=at)])
        # A report that arrives late (accepted before the latest) joins without moving the window back.
        current.last_report_at = max(current.last_report_at, at)
        current.reporters.append(order.contact_id)
        linked = order.linked_to(current.work_order_id, LinkReason.INCIDENT, at, now, current.id)
        return Reported(current, False, [linked, IncidentUpdatedV1(**self._state(current, window))])

    def _state(self, incident: Incident, window: timedelta) -> dict[str, object]:
        return dict(
            incident_id=incident.id,
            work_order_id=incident.work_order_id,
            province=self.province,
            area=self.area,
            category=self.category,
            reporters=len(incident.reporters),
            last_report_at=incident.last_report_at,
            gathering_until=incident.gathering_until(window),
        )
