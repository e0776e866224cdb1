"""The one list of Hotline's services: adding a service is adding an entry here.

The entrypoint (`python -m services <name>`), the AsyncAPI document, the test harness, the demo and the
Procfile (checked by a test) all read it.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from opentelemetry.sdk.trace import TracerProvider

from plumbing.service import Service
from plumbing.settings import BusSettings, ServiceSettings
from services.dispatch.bootstrap import bootstrap as dispatch
from services.dispatch.settings import DispatchSettings
from services.gateway.bootstrap import bootstrap as gateway
from services.intake.bootstrap import bootstrap as intake
from services.notify.bootstrap import bootstrap as notify
from services.notify.settings import NotifySettings
from services.qa.bootstrap import bootstrap as qa
from services.qa.settings import QaSettings


@dataclass(frozen=True)
class ServiceEntry:
    name: str
    summary: str
    settings: type[BusSettings]
    bootstrap: Callable[..., Service[Any]]
    # The default HTTP port on a workstation (API or probes); a pod sets HOTLINE_HTTP_PORT.
    http_port: int

    def build(self, values: dict[str, Any], *, tracer_provider: TracerProvider | None = None) -> Service[Any]:
        """The service built from explicit setting values (unknown keys ignored), not the environment."""
        return self.bootstrap(self.settings(**values), tracer_provider=tracer_provider)

    def command(self) -> str:
        return f"python -m services {self.name}"


SERVICES: tuple[ServiceEntry, ...] = (
    ServiceEntry("gateway", "HTTP access for channels and departments", BusSettings, gateway, 8100),
    ServiceEntry("intake", "contacts into work orders", ServiceSettings, intake, 8101),
    ServiceEntry("dispatch", "routing, deadlines, department replies", DispatchSettings, dispatch, 8102),
    ServiceEntry("notify", "SMS to customers through Kannel", NotifySettings, notify, 8103),
    ServiceEntry("qa", "follow-up visits by sampling rules", QaSettings, qa, 8104),
)

BY_NAME: dict[str, ServiceEntry] = {entry.name: entry for entry in SERVICES}


def procfile() -> str:
    """deploy/local/Procfile as the registry implies it: one line a service."""
    return "".join(f"{entry.name}: {entry.command()}\n" for entry in SERVICES)
