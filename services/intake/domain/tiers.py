"""Customer tiers and queue priority, by the operator's rules (data, checked when intake starts)."""

from dataclasses import dataclass
from datetime import date
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from contracts.events import CustomerTier
from services.common.rule_files import read_table

DEFAULT_TIER_RULES = Path(__file__).parents[1] / "tier_rules.json"


class TierRule(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    tier: CustomerTier
    min_monthly_spend: float = Field(default=0, ge=0)
    min_tenure_months: int = Field(default=0, ge=0)
    min_credit_score: int = Field(default=0, ge=0, le=1000)


class Priorities(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    red_list: int = Field(ge=1)
    high: int = Field(ge=1)
    mid: int = Field(ge=1)
    normal: int = Field(ge=1)
    unknown: int = Field(ge=1)
    blacklisted: int = Field(ge=1)


@dataclass(frozen=True)
class Standing:
    """What the directory's rules make of one customer: the tier, the lists, the queue priority."""

    tier: CustomerTier
    red_list: bool
    blacklisted: bool
    priority: int


class TierRules(BaseModel):
    # A misspelt key is a mistake to report, not a rule to leave out.
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    comment: str | None = Field(default=None, alias="_comment")
    tiers: list[TierRule]
    otherwise: CustomerTier
    priority: Priorities

    @model_validator(mode="after")
    def _each_tier_once(self) -> "TierRules":
        named = [rule.tier for rule in self.tiers]
        twice = sorted({tier.value for tier in named if named.count(tier) > 1})
        if twice:
            raise ValueError(f"a tier has one rule: {', '.join(twice)} named more than once")
        return self

    @classmethod
    def load(cls, path: Path = DEFAULT_TIER_RULES) -> "TierRules":
        """The rules in a file, or ValueError listing every problem in it."""
        return read_table(cls, path, "a tier rule file")

    def tier_of(
        self, monthly_spend: float, customer_since: date, credit_score: int, today: date
    ) -> CustomerTier:
        tenure = _whole_months(customer_since, today)
        for rule in self.tiers:
            if (
                monthly_spend >= rule.min_monthly_spend
                and tenure >= rule.min_tenure_months
                and credit_score >= rule.min_credit_score
            ):
                return rule.tier
        return self.otherwise

    def standing(self, tier: CustomerTier, *, red_list: bool, blacklisted: bool) -> Standing:
        if blacklisted:
            priority = self.priority.blacklisted
        elif red_list:
            priority = min(self.priority.red_list, getattr(self.priority, tier.value))
        else:
            priority = getattr(self.priority, tier.value)
        return Standing(tier, red_list, blacklisted, priority)

    def unknown(self) -> Standing:
        """A caller the directory does not know."""
        return Standing(self.otherwise, False, False, self.priority.unknown)


def _whole_months(since: date, today: date) -> int:
    months = (today.year - since.year) * 12 + today.month - since.month
    return max(0, months - (today.day < since.day))
