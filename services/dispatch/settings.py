from pathlib import Path

from pydantic import FilePath

from plumbing.settings import ServiceSettings
from services.dispatch.domain.routing import DEFAULT_RULES


class DispatchSettings(ServiceSettings):
    dispatch_rules_path: FilePath = Path(DEFAULT_RULES)
