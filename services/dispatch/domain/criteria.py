"""What a routing rule or an SLA plan asks of a work order: its type and, where the operator lists
them, its category, city, supply area or the area's kind. Each list it has must hold the work order's
value (an empty one holds any); tables are walked in order, the first entry that matches winning, so an
entry an earlier one covers is never reached and is refused."""

from collections.abc import Sequence
from typing import Protocol, TypeVar

from pydantic import BaseModel, Field

from contracts.events import Area, AreaKind, Customer, WorkOrderType

C = TypeVar("C", bound="Criteria")


class Placed(Protocol):
    """What a table entry is held against: a new work order, or one at dispatch being sent on."""

    @property
    def type(self) -> WorkOrderType: ...
    @property
    def category(self) -> str | None: ...
    @property
    def area(self) -> Area | None: ...
    @property
    def customer(self) -> Customer: ...


class Criteria(BaseModel):
    type: WorkOrderType
    categories: list[str] = []
    cities: list[str] = []
    areas: list[str] = Field(default=[], description="Supply area codes, from intake's area table.")
    area_kinds: list[AreaKind] = []

    def _lists(self) -> list[set[str]]:
        values = (self.categories, self.cities, self.areas, self.area_kinds)
        return [{str(value) for value in listed} for listed in values]

    def matches(self, order: Placed) -> bool:
        if self.type is not order.type:
            return False
        area = order.area
        wanted = (
            (self.categories, order.category),
            (self.cities, area.city if area else None),
            (self.areas, area.code if area else None),
            (self.area_kinds, area.kind if area else None),
        )
        return all(not allowed or value in allowed for allowed, value in wanted)

    def covers(self, later: "Criteria") -> bool:
        """Whether every work order `later` matches, this one matches first."""
        pairs = zip(self._lists(), later._lists(), strict=True)
        return self.type is later.type and all(not own or (other and other <= own) for own, other in pairs)


def unreachable(entries: Sequence[Criteria], table: str, kind: str) -> list[str]:
    """A problem for each entry an earlier one covers."""
    return [
        f"{table}.{later}: never matches, {kind} {earlier} takes all it would"
        for later, entry in enumerate(entries)
        for earlier, before in enumerate(entries[:later])
        if before.covers(entry)
    ]


def by_type(entries: Sequence[C]) -> dict[WorkOrderType, list[C]]:
    """The entries of each type, in the table's order: a work order is held against its type's only."""
    found: dict[WorkOrderType, list[C]] = {}
    for entry in entries:
        found.setdefault(entry.type, []).append(entry)
    return found
