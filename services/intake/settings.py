from pathlib import Path

from pydantic import FilePath

from plumbing.settings import ServiceSettings
from services.intake.domain.storms import DEFAULT_STORM_RULES
from services.intake.domain.tiers import DEFAULT_TIER_RULES
from services.intake.domain.type_fields import DEFAULT_FIELD_RULES


class IntakeSettings(ServiceSettings):
    tier_rules_path: FilePath = Path(DEFAULT_TIER_RULES)
    # The province's supply areas (services/intake/domain/areas.py); default: the table shipped for the
    # province in services/intake/areas/, if there is one, else none (work orders then carry no area).
    areas_path: FilePath | None = None
    field_rules_path: FilePath = Path(DEFAULT_FIELD_RULES)
    # The desk's agents who take web and SMS contacts (services/intake/domain/duty.py); default: the one
    # shipped for the province in services/intake/duty/, if there is one, else none (such contacts then
    # wait unowned in the desk's queue).
    duty_roster_path: FilePath | None = None
    # Which fault categories form incidents, within what window, and which are out of scope.
    storm_rules_path: FilePath = Path(DEFAULT_STORM_RULES)
