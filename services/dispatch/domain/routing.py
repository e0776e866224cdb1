"""The routing rule table: data an operator edits, checked with every problem listed. A rule names what
a work order must be (type, and where it wants: category, city, supply area or its kind, the customer's
tier) and the department it goes to; the first rule that matches wins, and `default` takes the rest."""

import hashlib
from collections.abc import Collection
from functools import cached_property
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from contracts.events import CustomerTier, WorkOrderType
from services.common.rule_files import read_table
from services.dispatch.domain.criteria import Criteria, Placed, by_type, unreachable

DEFAULT_RULES = Path(__file__).parents[1] / "routing_rules.json"


# A department's topic is `<p>.dispatch.<department>`: these two names are dispatch's own topics.
RESERVED = ("progress", "replies")


class Route(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    department: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")

    @field_validator("department")
    @classmethod
    def _not_a_dispatch_topic(cls, department: str) -> str:
        if department in RESERVED:
            raise ValueError(
                f"{department!r} names one of dispatch's own topics; call the department otherwise"
            )
        return department


class Rule(Route, Criteria):
    """Each list it has must hold the work order's value (an empty one holds any)."""

    tiers: list[CustomerTier] = []

    def matches(self, order: Placed) -> bool:
        tiers = self.tiers
        return (not tiers or order.customer.tier in tiers) and super().matches(order)

    def _lists(self) -> list[set[str]]:
        return [*super()._lists(), {str(tier) for tier in self.tiers}]


class RuleTable(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    rules: list[Rule]
    default: Route = Field(description="The catch-all: where a work order no rule matches goes.")

    @model_validator(mode="after")
    def _every_rule_reachable(self) -> Self:
        hidden = unreachable(self.rules, "rules", "rule")
        if hidden:
            raise ValueError("; ".join(hidden))
        return self

    @classmethod
    def load(cls, path: Path = DEFAULT_RULES) -> "RuleTable":
        """The table in the file, or ValueError naming it and listing every problem."""
        return read_table(cls, path, "a routing table")

    @cached_property
    def _by_type(self) -> dict[WorkOrderType, list[Rule]]:
        return by_type(self.rules)

    def route(self, order: Placed) -> Route:
        candidates = self._by_type.get(order.type, ())
        return next((rule for rule in candidates if rule.matches(order)), self.default)

    def next_route(self, order: Placed, passed: Collection[str]) -> Route | None:
        """The first rule that matches the work order and names a department not in `passed`; None when
        no rule is left (the catch-all is for work orders no rule knows, not for one turned away)."""
        candidates = self._by_type.get(order.type, ())
        return next((r for r in candidates if r.department not in passed and r.matches(order)), None)

    @cached_property
    def digest(self) -> str:
        """SHA-256 of the table as read: one version of it told from another."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()

    def departments(self) -> list[str]:
        return sorted({rule.department for rule in self.rules} | {self.default.department})
