"""The one list of Hotline's services: adding a service is adding an entry here.

The entrypoint (`python -m services <name>`), the AsyncAPI document, the test harness, the demo and the
Procfile (checked by a test) all read it. An entry names its code rather than importing it, so a
service's process loads its own code only: intake's geocoder data alone is about 100 MiB.
"""

from collections.abc import Callable
from dataclasses import dataclass
from importlib import import_module
from typing import Any

from plumbing.service import Service
from plumbing.settings import BusSettings
from plumbing.telemetry import Telemetry


def _resolve(path: str) -> Any:
    module, _, name = path.partition(":")
    return getattr(import_module(module), name)


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    summary: str
    # "module:class" of the service's typed settings.
    settings_type: str
    # The default HTTP port on a workstation (API or probes); a pod sets HOTLINE_HTTP_PORT.
    http_port: int

    @property
    def settings(self) -> type[BusSettings]:
        settings: type[BusSettings] = _resolve(self.settings_type)
        return settings

    @property
    def bootstrap(self) -> Callable[..., Service[Any]]:
        bootstrap: Callable[..., Service[Any]] = _resolve(f"services.{self.name}.bootstrap:bootstrap")
        return bootstrap

    def build(self, values: dict[str, Any], *, telemetry: Telemetry | None = None) -> Service[Any]:
        """The service built from explicit setting values (unknown keys ignored), not the environment."""
        return self.bootstrap(self.settings(**values), telemetry=telemetry)


SERVICES: tuple[ServiceEntry, ...] = (
    ServiceEntry(
        "gateway",
        "HTTP access for channels and departments",
        "services.gateway.settings:GatewaySettings",
        8100,
    ),
    ServiceEntry(
        "intake",
        "contacts into work orders, the customer directory",
        "services.intake.settings:IntakeSettings",
        8101,
    ),
    ServiceEntry(
        "dispatch",
        "routing, deadlines, department replies",
        "services.dispatch.settings:DispatchSettings",
        8102,
    ),
    ServiceEntry(
        "notify", "SMS to customers through Kannel", "services.notify.settings:NotifySettings", 8103
    ),
    ServiceEntry("qa", "follow-up visits by sampling rules", "services.qa.settings:QaSettings", 8104),
)

BY_NAME: dict[str, ServiceEntry] = {entry.name: entry for entry in SERVICES}


def procfile() -> str:
    """deploy/local/Procfile as the registry implies it: one line a service, each started through the
    local launcher, which logs it in to the local Kafka as its own user."""
    return "".join(f"{entry.name}: python -m deploy.local.service {entry.name}\n" for entry in SERVICES)
