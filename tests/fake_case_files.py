"""The gateway's case files in memory for the unit tests (the real ones are in
services/gateway/adapters.py), and the work orders they hold in most gateway tests."""

from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from contracts.events import OutageKind, OutageRegisteredV1, WorkOrderType
from services.gateway.case_files import (
    CaseChanges,
    CaseFacts,
    CaseFile,
    DispatchNote,
    LinkNote,
    OwnerNote,
    ReclassNote,
    ReplyNote,
)
from services.gateway.outages import KeptOutage
from services.gateway.work_order_lists import entries, noted


class InMemoryCaseFiles:
    """The gateway's case files in a dict, merged the way the store merges them (kept in arrival
    order; the store's adapter sorts dispatches and replies by time)."""

    def __init__(self, *known: CaseFile, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.files = {case.facts.work_order_id: case for case in known}
        self.early_replies: dict[str, list[ReplyNote]] = {}
        self.clock = clock
        self.entries: dict[str, list[str]] = {}  # each case file's list entries, as the store keeps them
        self.directory: set[str] = set()
        self._place(self.files)

    async def record(self, changes: CaseChanges) -> None:
        for change in changes.from_intake:
            if isinstance(change, ReclassNote):
                case = self.files.get(change.work_order_id)
                if case is not None and change.change not in case.reclassifications:
                    step = change.change
                    kept = replace(case.facts, type=step.type_to, category=step.category_to)
                    steps = (*case.reclassifications, step)
                    self.files[change.work_order_id] = replace(case, facts=kept, reclassifications=steps)
            elif isinstance(change, LinkNote):
                case = self.files.get(change.work_order_id)
                if case is not None:  # as the store's update: never a case file of its own
                    kept = replace(case.facts, linked_to=change.linked_to, missing=())
                    self.files[change.work_order_id] = replace(case, facts=kept)
            elif isinstance(change, OwnerNote):
                case = self.files.get(change.work_order_id)
                if case is not None:  # intake's announcement always comes first on its partition
                    kept = replace(case.facts, owner=change.owner)
                    self.files[change.work_order_id] = replace(case, facts=kept)
            else:
                self._merge(change)
        for facts, note in changes.dispatched:
            case = self._merge(facts)
            if note not in case.dispatches:
                self.files[facts.work_order_id] = replace(case, dispatches=(*case.dispatches, note))
        for work_order_id, reply in changes.replied:
            known = self.files.get(work_order_id)
            if known is None:  # kept until its work order is known, as the store's upsert keeps it
                self.early_replies.setdefault(work_order_id, []).append(reply)
            elif reply not in known.replies:
                self.files[work_order_id] = replace(known, replies=(*known.replies, reply))
        for work_order_id, lifecycle_step in changes.steps:
            known = self.files.get(work_order_id)
            if known is not None and lifecycle_step not in known.steps:
                taken = tuple(sorted((*known.steps, lifecycle_step), key=lambda s: s.seq))
                self.files[work_order_id] = replace(known, steps=taken)
        for incident in changes.incidents:
            case = self.files.get(incident.work_order_id)
            if case is not None:  # intake announces the incident's work order first on its partition
                reporters = max(case.reporters or 0, incident.reporters)
                facts = replace(case.facts, incident_id=incident.incident_id)
                self.files[incident.work_order_id] = replace(case, facts=facts, reporters=reporters)
        self._place(changes.work_order_ids())

    def _place(self, work_order_ids: Iterable[str]) -> None:
        for work_order_id in work_order_ids:
            case = self.files.get(work_order_id)
            if case is not None:
                placed = entries(case, self.entries.get(work_order_id, []), self.clock())
                self.entries[work_order_id] = placed
                self.directory |= {f"{key}@{hour}" for key, hour in filter(None, map(noted, placed))}

    def add(self, case: CaseFile) -> None:
        """A case file as the store holds it after its events, placed on its lists at the clock's now."""
        self.files[case.facts.work_order_id] = case
        self._place([case.facts.work_order_id])

    async def buckets(self, key: str) -> list[str]:
        return [entry.rsplit("@", 1)[1] for entry in self.directory if entry.rsplit("@", 1)[0] == key]

    async def members(self, entry: str) -> list[CaseFile]:
        return [self.files[id_] for id_, placed in self.entries.items() if entry in placed]

    async def forget(self, key: str, hour: str) -> None:
        self.directory.discard(f"{key}@{hour}")

    def _merge(self, facts: CaseFacts) -> CaseFile:
        old = self.files.get(facts.work_order_id)
        if old is not None:
            given = {name: value for name, value in vars(facts).items() if value is not None}
            facts = replace(old.facts, **given)
        early = tuple(self.early_replies.pop(facts.work_order_id, []))
        if old is not None and old.reclassifications:  # as the store reads it: the newest classification
            newest = old.reclassifications[-1]
            facts = replace(facts, type=newest.type_to, category=newest.category_to)
        case = replace(old, facts=facts) if old else CaseFile(facts, replies=early)
        self.files[facts.work_order_id] = case
        return case

    async def find(self, work_order_id: str) -> CaseFile | None:
        return self.files.get(work_order_id)

    async def on_list(self, queue: str, needs_info: bool, limit: int) -> list[CaseFile]:
        listed = [
            case
            for case in self.files.values()
            if case.facts.missing is not None
            and case.facts.queue == queue
            and ((bool(case.facts.missing) and case.facts.linked_to is None) or not needs_info)
        ]
        return sorted(listed, key=lambda case: (case.facts.created_at or OPENED, case.facts.work_order_id))[
            :limit
        ]


OPENED = datetime(2026, 12, 2, 9, 0, tzinfo=UTC)
# A gd fault repair sent to the repair department (dispatch WO-1-D1), as the gateway's case files hold it.
REPAIR_CASE = CaseFile(
    CaseFacts(
        work_order_id="WO-1",
        province="gd",
        type=WorkOrderType.FAULT_REPAIR,
        description="家里停电了",
        phone="+8613926012345",
        customer_name="张三丰",
        home_region="Guangzhou, Guangdong",
        address="广州市天河区体育西路 100 号",
        account_number="0200123456",
        channel="web",
        created_at=OPENED,
        anonymous=False,
    ),
    dispatches=(DispatchNote("WO-1-D1", "repair", OPENED, OPENED + timedelta(hours=2)),),
)

# A gd fault repair posted without its fault category, waiting on its owner gd.agent to supply it.
NEEDS_INFO_CASE = CaseFile(
    replace(
        REPAIR_CASE.facts,
        work_order_id="WO-2",
        owner="gd.agent",
        missing=(("category", "a fault_repair needs it"),),
        details={},
    )
)


class InMemoryOutageBook:
    def __init__(self, *known: KeptOutage) -> None:
        self.kept = {outage.state.outage_id: outage for outage in known}

    async def find(self, outage_id: str) -> KeptOutage | None:
        return self.kept.get(outage_id)

    async def keep(self, outage: KeptOutage) -> None:
        self.kept[outage.state.outage_id] = outage

    async def active(self) -> list[KeptOutage]:
        return [outage for outage in self.kept.values() if outage.ended_at is None]


# A gd outage of the Tianhe area, registered by gd.supervisor, not ended.
TIANHE_OUTAGE = KeptOutage(
    OutageRegisteredV1(
        outage_id="OUT-1",
        province="gd",
        kind=OutageKind.UNPLANNED,
        areas=["gz-tianhe"],
        cause="10千伏线路故障抢修",
        starts_at=OPENED,
        expected_restoration_at=OPENED + timedelta(hours=3),
        by="gd.supervisor",
        at=OPENED,
    )
)
