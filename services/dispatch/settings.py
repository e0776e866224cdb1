from pathlib import Path

from pydantic import Field, FilePath

from plumbing.settings import ServiceSettings
from services.common.working_calendar import DEFAULT_CALENDAR
from services.dispatch.domain.routing import DEFAULT_RULES
from services.dispatch.domain.sla import DEFAULT_SLA


class DispatchSettings(ServiceSettings):
    dispatch_rules_path: FilePath = Path(DEFAULT_RULES)
    dispatch_sla_path: FilePath = Path(DEFAULT_SLA)
    working_calendar_path: FilePath = Path(DEFAULT_CALENDAR)
    dispatch_timer_seconds: float = Field(
        default=1.0, gt=0, description="How often the timers look for warnings and alarms due."
    )
