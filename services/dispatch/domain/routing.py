"""The routing rule table: data an operator edits, checked when dispatch starts."""

import json
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field

from contracts.events import WorkOrderType
from services.common.deadlines import Deadline

DEFAULT_RULES = Path(__file__).parents[1] / "routing_rules.json"


class Route(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    department: str = Field(pattern=r"^[a-z][a-z0-9_-]*$")
    reply_within: Deadline


class Rule(Route):
    type: WorkOrderType


class RuleTable(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    rules: list[Rule]
    default: Route

    @classmethod
    def load(cls, path: Path = DEFAULT_RULES) -> "RuleTable":
        return cls.model_validate(json.loads(path.read_text(encoding="utf-8")))

    def route(self, work_order_type: WorkOrderType) -> Route:
        for rule in self.rules:
            if rule.type == work_order_type:
                return rule
        return self.default

    def departments(self) -> list[str]:
        return sorted({rule.department for rule in self.rules} | {self.default.department})
