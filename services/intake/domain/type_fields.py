"""Which fields each work-order type needs, by the operator's rules (data, checked when intake starts),
and what a work order still lacks.

A field is one of the contact's own (`address`, `account_number`, `customer_name`, `category`,
`location`) or a per-type detail by its name (`reported_party`, ...), kept in the work order's details.
"""

import re
from dataclasses import dataclass, field
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.events import MissingField, WorkOrderType
from contracts.events.contact import OWN_FIELDS
from services.common.rule_files import read_table

DEFAULT_FIELD_RULES = Path(__file__).parents[1] / "work_order_fields.json"
FIELD_NAME = r"^[a-z][a-z0-9_]{0,39}$"
FieldName = str


class TypeFields(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    required: list[FieldName] = Field(default=[])
    optional: list[FieldName] = Field(default=[])
    # The categories a contact of this type may name; a category not listed is asked again.
    categories: list[str] = Field(default=[])

    @model_validator(mode="after")
    def _consistent(self) -> "TypeFields":
        named = self.required + self.optional
        problems = [f"{name!r} is not a field name" for name in named if not _is_field_name(name)]
        problems += [f"{name!r} is listed twice" for name in sorted(set(named)) if named.count(name) > 1]
        if "category" in named and not self.categories:
            problems.append("a type with a category lists its categories")
        if self.categories and "category" not in named:
            problems.append("categories are listed but category is neither required nor optional")
        if len(set(self.categories)) != len(self.categories):
            problems.append("a category is listed twice")
        if problems:
            raise ValueError("; ".join(problems))
        return self


def _is_field_name(name: str) -> bool:
    return re.fullmatch(FIELD_NAME, name) is not None


@dataclass(frozen=True)
class Given:
    """What a contact or an agent has given of a work order's fields so far."""

    category: str | None = None
    address: str | None = None
    account_number: str | None = None
    customer_name: str | None = None
    location: bool = False
    details: dict[str, str] = field(default_factory=dict)

    def has(self, name: str) -> bool:
        if name == "location":
            return self.location
        value = getattr(self, name) if name in OWN_FIELDS else self.details.get(name)
        return value is not None and value.strip() != ""


class FieldRules(BaseModel):
    # A misspelt key is a mistake to report, not a rule to leave out.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    comment: str | None = Field(default=None, alias="_comment")
    types: dict[WorkOrderType, TypeFields]

    @model_validator(mode="after")
    def _every_type(self) -> "FieldRules":
        absent = [t.value for t in WorkOrderType if t not in self.types]
        if absent:
            raise ValueError(f"every work-order type has its fields: {', '.join(absent)} missing")
        return self

    @classmethod
    def load(cls, path: Path = DEFAULT_FIELD_RULES) -> "FieldRules":
        """The rules in a file, or ValueError listing every problem in it."""
        return read_table(cls, path, "a work-order field rule file")

    def named(self, type: WorkOrderType) -> frozenset[str]:
        """Every detail the type's rules name, required or optional (not the contact's own fields,
        which are never details)."""
        rules = self.types[type]
        return frozenset(rules.required + rules.optional) - OWN_FIELDS

    def missing(self, type: WorkOrderType, given: Given) -> list[MissingField]:
        """What the type requires that is not given, and a given category the type does not have."""
        rules = self.types[type]
        lacking = [
            MissingField(name=name, reason=f"a {type.value} needs it")
            for name in rules.required
            if not given.has(name)
        ]
        if given.has("category") and rules.categories and given.category not in rules.categories:
            lacking.append(
                MissingField(
                    name="category",
                    reason=f"{given.category!r} is not a {type.value} category: "
                    + ", ".join(rules.categories),
                )
            )
        return lacking
