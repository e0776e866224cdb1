from pathlib import Path

from pydantic import FilePath

from plumbing.settings import ServiceSettings
from services.common.working_calendar import DEFAULT_CALENDAR
from services.qa.domain.policy import DEFAULT_RULES


class QaSettings(ServiceSettings):
    followup_rules_path: FilePath = Path(DEFAULT_RULES)
    working_calendar_path: FilePath = Path(DEFAULT_CALENDAR)
