"""The operator's rules a work order is opened by, and the calendar they count in."""

from dataclasses import dataclass
from datetime import date, datetime

from services.common.working_days import CHINA_TIME
from services.intake.domain.tiers import TierRules
from services.intake.domain.type_fields import FieldRules


@dataclass(frozen=True)
class IntakeRules:
    tiers: TierRules
    fields: FieldRules


def china_date(moment: datetime) -> date:
    """The day it is in China: tenure counts whole months of the customer's calendar, not UTC's."""
    return moment.astimezone(CHINA_TIME).date()
