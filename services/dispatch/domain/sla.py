"""The SLA table: data an operator edits, checked with every problem listed. A plan names what a work
order must be (type, and where it wants: category, city, supply area or its kind) and the stages its
clocks run: each stage starts at one step of the lifecycle and stops at the first of its ending steps.
The first plan that matches wins; `default` takes the rest."""

from functools import cached_property
from pathlib import Path
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.events import WorkOrderCreatedV1, WorkOrderType
from services.common.deadlines import Deadline
from services.common.rule_files import read_table
from services.dispatch.domain.criteria import Criteria, by_type, unreachable
from services.dispatch.domain.lifecycle import Step

DEFAULT_SLA = Path(__file__).parents[1] / "sla_rules.json"
# A clock that starts with each dispatch form: the department's final reply to the form ends it.
RESULT_START, RESULT_END = Step.DISPATCHED, Step.FINAL_REPLY


class Stage(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    stage: str = Field(pattern=r"^[a-z][a-z0-9_]*$")
    within: Deadline
    starts: Step
    ends: list[Step] = Field(min_length=1)
    result: bool = Field(
        default=False, description="The department's result: its due time is the form's reply deadline."
    )

    @model_validator(mode="after")
    def _ends_after_start(self) -> Self:
        if self.starts in self.ends:
            raise ValueError(f"{self.stage}: cannot end at the step that starts it ({self.starts})")
        if self.result and (self.starts is not RESULT_START or RESULT_END not in self.ends):
            raise ValueError(f"{self.stage}: the result stage starts at dispatched and ends at final_reply")
        return self


def _stages_checked(stages: list[Stage]) -> list[Stage]:
    names = [stage.stage for stage in stages]
    problems = [f"stage {name} is listed twice" for name in sorted(set(names)) if names.count(name) > 1]
    if sum(stage.result for stage in stages) != 1:
        problems.append('exactly one stage is the result ("result": true)')
    if problems:
        raise ValueError("; ".join(problems))
    return stages


class Plan(Criteria):
    """Each list it has must hold the work order's value (an empty one holds any); a service
    application's kind is its category."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(pattern=r"^[a-z][a-z0-9_-]*$", description="Shown on the work order's clocks.")
    stages: list[Stage]

    @model_validator(mode="after")
    def _stages(self) -> Self:
        _stages_checked(self.stages)
        return self


class DefaultPlan(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = "default"
    stages: list[Stage]

    @model_validator(mode="after")
    def _stages(self) -> Self:
        _stages_checked(self.stages)
        return self


class Escalation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    warning_at: float = Field(default=0.75, gt=0, lt=1, description="Share of a window: its warning.")
    alarm_every: Deadline = Field(description="While a stage stays overdue, another alarm each interval.")
    escalate_after_alarms: int = Field(default=3, ge=1)


class SlaTable(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)

    clocks: Escalation
    plans: list[Plan]
    default: DefaultPlan

    @model_validator(mode="after")
    def _every_plan_reachable(self) -> Self:
        if self.clocks.alarm_every.counts_working_time:
            raise ValueError("clocks.alarm_every: give minutes, hours or days")
        hidden = unreachable(self.plans, "plans", "plan")
        names = [plan.name for plan in self.plans] + [self.default.name]
        hidden += [f"plan name {name} is used twice" for name in sorted(set(names)) if names.count(name) > 1]
        if hidden:
            raise ValueError("; ".join(hidden))
        return self

    @classmethod
    def load(cls, path: Path = DEFAULT_SLA) -> "SlaTable":
        """The table in the file, or ValueError naming it and listing every problem."""
        return read_table(cls, path, "an SLA table")

    @cached_property
    def _by_type(self) -> dict[WorkOrderType, list[Plan]]:
        return by_type(self.plans)

    def plan_for(self, order: WorkOrderCreatedV1) -> Plan | DefaultPlan:
        candidates = self._by_type.get(order.type, ())
        return next((plan for plan in candidates if plan.matches(order)), self.default)
