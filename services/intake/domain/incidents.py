"""Storms: the fault reports of one area and category gather into one incident while they keep coming.

A `FaultCluster` is the one place (one document) that decides, for its area and category, whether a report
opens an incident or joins one: two intake replicas deciding at once are two writers of that document,
and the store lets only one of them win (the other reads again and joins). The window slides: each
report keeps the incident gathering for another window, up to the incident's longest life; a department's
final reply closes it. The cluster remembers the reporters of its incidents for a while after their last
report, so that a redelivered report (even one of a backlog that spans several incidents) is known and
placed once.
"""

from dataclasses import dataclass, field
from datetime import datetime

from contracts.events import Area, ContactLinkedV1, LinkReason
from contracts.events.incident import IncidentOpenedV1, IncidentUpdatedV1
from contracts.ids import fault_cluster_id_for, incident_id_for
from services.intake.domain.storms import IncidentRules
from services.intake.domain.work_order import WorkOrder


@dataclass
class Incident:
    id: str
    work_order_id: str
    opened_at: datetime
    last_report_at: datetime
    # Contact ids, the opening report's first.
    reporters: list[str] = field(default_factory=list)
    closed: bool = False  # its work order's final reply is in: a new fault opens a new incident

    @property
    def opener(self) -> str:
        return self.reporters[0]

    def gathering_until(self, rules: IncidentRules) -> datetime:
        return min(self.last_report_at + rules.window, self.opened_at + rules.longest)

    def takes(self, at: datetime, rules: IncidentRules, *, before_it: bool = False) -> bool:
        """Whether a report accepted at `at` joins: made while it gathered, or (`before_it`) within a
        window before its first report (reports reach intake out of order across partitions)."""
        start = self.opened_at - rules.window if before_it else self.opened_at
        return not self.closed and start <= at <= self.gathering_until(rules)


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
    earlier: list[Incident] = field(default_factory=list)  # newest first, remembered for a while
    version: int = 0

    @classmethod
    def of(cls, province: str, area: Area, category: str) -> "FaultCluster":
        return cls(fault_cluster_id_for(province, area.code, category), province, area, category)

    def report(self, order: WorkOrder, at: datetime, rules: IncidentRules, now: datetime) -> Reported:
        """Take a fault report of this area and category, accepted at `at`: it joins the incident
        gathering (a late one, the earlier incident gathering when it was made), else opens one;
        `order`: the work order it would open on its own."""
        known = [self.current, *self.earlier] if self.current else list(self.earlier)
        for incident in known:
            if order.contact_id in incident.reporters:
                return Reported(incident, incident.opener == order.contact_id, [])
        joined = next((incident for incident in known if incident.takes(at, rules)), None)
        if joined is None:
            joined = next((i for i in known if i.takes(at, rules, before_it=True)), None)
        if joined is None:
            return self._open(order, at, rules)
        joined.last_report_at = max(joined.last_report_at, at)
        joined.reporters.append(order.contact_id)
        linked = order.linked_to(joined.work_order_id, LinkReason.INCIDENT, at, now, joined.id)
        return Reported(joined, False, [linked, IncidentUpdatedV1(**self._state(joined, rules))])

    def joined(self, contact_id: str) -> bool:
        """Whether the report joined one of the remembered incidents (not as its opener)."""
        known = [self.current, *self.earlier] if self.current else self.earlier
        return any(contact_id in i.reporters and i.opener != contact_id for i in known)

    def opened_by(self, contact_id: str) -> bool:
        """Whether the report opened one of the remembered incidents."""
        known = [self.current, *self.earlier] if self.current else self.earlier
        return any(i.opener == contact_id for i in known)

    def close(self, incident_id: str) -> bool:
        """Its work order is answered: later reports open a new incident. False if closed or not known."""
        known = [self.current, *self.earlier] if self.current else self.earlier
        for incident in known:
            if incident.id == incident_id and not incident.closed:
                incident.closed = True
                return True
        return False

    def _open(self, order: WorkOrder, at: datetime, rules: IncidentRules) -> Reported:
        opened = Incident(incident_id_for(order.contact_id), order.id, at, at, [order.contact_id])
        if self.current is not None:
            self.earlier.insert(0, self.current)
        self.current = opened
        # Forgotten once nothing of theirs can come again: a redelivery is of the last hours at most.
        newest = max([at] + [incident.last_report_at for incident in self.earlier])
        self.earlier = [i for i in self.earlier if i.last_report_at >= newest - rules.remembered]
        return Reported(opened, True, [IncidentOpenedV1(**self._state(opened, rules), opened_at=at)])

    def _state(self, incident: Incident, rules: IncidentRules) -> dict[str, object]:
        return dict(
            incident_id=incident.id,
            work_order_id=incident.work_order_id,
            province=self.province,
            area=self.area,
            category=self.category,
            reporters=len(incident.reporters),
            last_report_at=incident.last_report_at,
            gathering_until=incident.gathering_until(rules),
        )
