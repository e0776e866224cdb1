from pathlib import Path

from pydantic import FilePath

from plumbing.settings import ServiceSettings
from services.intake.domain.tiers import DEFAULT_TIER_RULES


class IntakeSettings(ServiceSettings):
    tier_rules_path: FilePath = Path(DEFAULT_TIER_RULES)
    # The province's supply areas (services/intake/domain/areas.py); default: the table shipped for the
    # province in services/intake/areas/, if there is one, else none (work orders then carry no area).
    areas_path: FilePath | None = None
