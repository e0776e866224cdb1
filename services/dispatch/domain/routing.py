"""The routing rule table: data an operator edits, checked with every problem listed. A rule names what
a work order must be (type, and where it wants: category, city, supply area or its kind, the customer's
tier) and the department it goes to; the first rule that matches wins, and `default` takes the rest."""

from functools import cached_property
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.events import AreaKind, CustomerTier, WorkOrderCreatedV1, WorkOrderType
from services.common.rule_files import read_table

DEFAULT_RULES = Path(__file__).parents[1] / "routing_rules.json"


class Route(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    department: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")


class Rule(Route):
    """Each list it has must hold the work order's value (an empty one holds any)."""

    type: WorkOrderType
    categories: list[str] = []
    cities: list[str] = []
    areas: list[str] = Field(default=[], description="Supply area codes, from intake's area table.")
    area_kinds: list[AreaKind] = []
    tiers: list[CustomerTier] = []

    def matches(self, order: WorkOrderCreatedV1) -> bool:
        area, tier = order.area, order.customer.tier
        wanted = (
            (self.categories, order.category),
            (self.cities, area.city if area else None),
            (self.areas, area.code if area else None),
            (self.area_kinds, area.kind if area else None),
            (self.tiers, tier),
        )
        return self.type is order.type and all(not allowed or value in allowed for allowed, value in wanted)

    def _lists(self) -> tuple[set[str], ...]:
        values = (self.categories, self.cities, self.areas, self.area_kinds, self.tiers)
        return tuple({str(value) for value in listed} for listed in values)

    def covers(self, later: "Rule") -> bool:
        """Whether every work order `later` matches, this one matches first."""
        pairs = zip(self._lists(), later._lists(), strict=True)
        return self.type is later.type and all(not own or (other and other <= own) for own, other in pairs)


class RuleTable(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    rules: list[Rule]
    default: Route = Field(description="The catch-all: where a work order no rule matches goes.")

    @model_validator(mode="after")
    def _every_rule_reachable(self) -> Self:
        hidden = [
            f"rules.{later}: never matches, rule {earlier} takes all it would"
            for later, rule in enumerate(self.rules)
            for earlier, before in enumerate(self.rules[:later])
            if before.covers(rule)
        ]
        if hidden:
            raise ValueError("; ".join(hidden))
        return self

    @classmethod
    def load(cls, path: Path = DEFAULT_RULES) -> "RuleTable":
        """The table in the file, or ValueError naming it and listing every problem."""
        return read_table(cls, path, "a routing table")

    @cached_property
    def _by_type(self) -> dict[WorkOrderType, list[Rule]]:
        """The rules of each type, in the table's order: a work order is held against its type's only."""
        by_type: dict[WorkOrderType, list[Rule]] = {}
        for rule in self.rules:
            by_type.setdefault(rule.type, []).append(rule)
        return by_type

    def route(self, order: WorkOrderCreatedV1) -> Route:
        candidates = self._by_type.get(order.type, ())
        return next((rule for rule in candidates if rule.matches(order)), self.default)

    def departments(self) -> list[str]:
        return sorted({rule.department for rule in self.rules} | {self.default.department})
