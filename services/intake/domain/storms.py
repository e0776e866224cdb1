"""The operator's rules for fault reports before any dispatch (data, checked when intake starts): which
categories form incidents and within what window, which a known outage answers and how, and which are
outside the operator's scope."""

from datetime import timedelta
from pathlib import Path
from string import Formatter

from pydantic import BaseModel, ConfigDict, Field

from contracts.events import Area, WorkOrderType
from services.common.rule_files import read_table
from services.common.working_days import CHINA_TIME
from services.intake.domain.outages import Outage
from services.intake.domain.type_fields import FieldRules

DEFAULT_STORM_RULES = Path(__file__).parents[1] / "storm_rules.json"


class IncidentRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # A day at most: an incident gathering longer would link a new fault to a long-repaired one.
    window_minutes: int = Field(default=30, ge=1, le=1440)
    # However often reports come, an incident older than this takes no more: a new one opens.
    longest_hours: int = Field(default=12, ge=1, le=72)
    # How long after its last report an incident's reporters are remembered: a report redelivered
    # within it (a backlog after a restart, a rebalance) is known and placed once.
    remembered_hours: int = Field(default=24, ge=1, le=168)
    categories: dict[WorkOrderType, list[str]] = Field(default={})

    @property
    def window(self) -> timedelta:
        return timedelta(minutes=self.window_minutes)

    @property
    def longest(self) -> timedelta:
        return timedelta(hours=self.longest_hours)

    @property
    def remembered(self) -> timedelta:
        return timedelta(hours=self.remembered_hours)


# What an outage answer may say: the area's name, the outage's cause, when supply is expected back.
ANSWER_FIELDS = frozenset({"area", "cause", "restoration"})


class OutageAnswers(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    categories: dict[WorkOrderType, list[str]] = Field(default={})
    answer: str = Field(
        default="您所在的{area}因{cause}停电，预计{restoration}恢复供电，给您带来不便，敬请谅解。",
        min_length=1,
    )


class RepeatRules(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # A contact of the same customer about the same type and category of work order within this long
    # of an open one is linked to it instead of opening another.
    window_hours: int = Field(default=72, ge=1, le=720)
    # The types whose work orders run a while (a query or a consultation is answered on the spot).
    types: list[WorkOrderType] = Field(
        default=[
            WorkOrderType.FAULT_REPAIR,
            WorkOrderType.COMPLAINT,
            WorkOrderType.REPORT,
            WorkOrderType.SERVICE_APPLICATION,
            WorkOrderType.APPOINTMENT,
        ]
    )

    @property
    def window(self) -> timedelta:
        return timedelta(hours=self.window_hours)


class StormRules(BaseModel):
    # A misspelt key is a mistake to report, not a rule to leave out.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    comment: str | None = Field(default=None, alias="_comment")
    incidents: IncidentRules = IncidentRules()
    outages: OutageAnswers = OutageAnswers()
    repeats: RepeatRules = RepeatRules()
    # type -> category -> the answer the customer is texted.
    out_of_scope: dict[WorkOrderType, dict[str, str]] = Field(default={})

    @classmethod
    def load(cls, path: Path, fields: FieldRules) -> "StormRules":
        """The rules in a file, checked against the types' categories; ValueError listing every problem."""
        rules = read_table(cls, path, "a storm rule file")
        problems = rules.problems_with(fields)
        if problems:
            raise ValueError(f"{path}: " + "; ".join(problems))
        return rules

    def problems_with(self, fields: FieldRules) -> list[str]:
        problems = []
        named = {
            "incidents": {t: list(c) for t, c in self.incidents.categories.items()},
            "out_of_scope": {t: list(c) for t, c in self.out_of_scope.items()},
            "outages": {t: list(c) for t, c in self.outages.categories.items()},
        }
        for part, by_type in named.items():
            for type, categories in by_type.items():
                known = fields.types[type].categories
                problems += [
                    f"{part}: {category!r} is not a {type.value} category"
                    for category in categories
                    if category not in known
                ]
        try:
            placed = {name for _, name, _, _ in Formatter().parse(self.outages.answer) if name is not None}
        except ValueError as error:
            problems.append(f"outages.answer: {error}")
        else:
            problems += [
                f"outages.answer: {{{name}}} is not one of {', '.join(sorted(ANSWER_FIELDS))}"
                for name in sorted(placed - ANSWER_FIELDS)
            ]
        problems += [
            f"out_of_scope: the answer for {type.value} {category!r} is blank"
            for type, answers in self.out_of_scope.items()
            for category, answer in answers.items()
            if not answer.strip()
        ]
        both = {
            (type, category)
            for type, categories in self.incidents.categories.items()
            for category in categories
            if category in self.out_of_scope.get(type, {})
        }
        problems += [
            f"{type.value} {category!r} is both an incident's and out of scope"
            for type, category in sorted(both)
        ]
        return problems

    def forms_incidents(self, type: WorkOrderType, category: str | None) -> bool:
        return category is not None and category in self.incidents.categories.get(type, [])

    def answered_by_outages(self, type: WorkOrderType, category: str | None) -> bool:
        return category is not None and category in self.outages.categories.get(type, [])

    def outage_answer(self, outage: Outage, area: Area) -> str:
        back = outage.expected_restoration_at.astimezone(CHINA_TIME)
        restoration = f"{back.month}月{back.day}日{back:%H:%M}"
        return self.outages.answer.format(area=area.name, cause=outage.cause, restoration=restoration)

    def out_of_scope_answer(self, type: WorkOrderType, category: str | None) -> str | None:
        return self.out_of_scope.get(type, {}).get(category or "")
