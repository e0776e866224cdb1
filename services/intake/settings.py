from pathlib import Path

from pydantic import FilePath

from plumbing.settings import ServiceSettings
from services.intake.domain.tiers import DEFAULT_TIER_RULES


class IntakeSettings(ServiceSettings):
    tier_rules_path: FilePath = Path(DEFAULT_TIER_RULES)
