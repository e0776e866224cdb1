"""What authentication and authorisation add to a request: the gateway's own app, in this process, with
a publisher that answers at once, so the figures are the gateway's work alone. Each post is timed three
ways in one run, interleaved: with the caller's check stubbed out (a fixed caller), with an API key (a
SHA-256 and a lookup), and with an OAuth2 access token (an ES256 signature check); beside them, a
supervisor's read of a work order (the object-level check, masking and the read's audit record)."""

from __future__ import annotations

import base64
import time
from dataclasses import dataclass
from typing import Any

import httpx

from deploy.local.credentials import SIGNING_KEYS, ensure_local_credentials, local_secrets
from plumbing.runtime import build_runtime
from services.gateway.access import load_access
from services.gateway.app import Readers, create_app
from services.gateway.password_book import InMemoryPasswordBook
from services.gateway.principals import Caller
from services.gateway.privacy import FieldAccess
from services.gateway.routing_copy import InMemoryRoutingCopy
from services.gateway.service_passwords import ServicePasswords
from services.gateway.settings import GatewaySettings
from services.gateway.voice_routing.feeds import VoiceRouting
from services.gateway.voice_routing.table import VoiceRoutingTable
from tests.bench.figures import percentile
from tests.fake_case_files import REPAIR_CASE, InMemoryCaseFiles, InMemoryOutageBook
from tests.fakes import InMemoryAuditTrail, RecordingPublisher

CONTACT = {
    "phone": "13926012345",
    "description": "停电",
    "type": "fault_repair",
    "category": "no_power",
    "address": "广州市天河区体育西路 1 号",
}
CHANNEL = "gd.channel.web"
READER = "gd.supervisor"  # reads with every field masked


@dataclass(frozen=True)
class AuthCost:
    requests: int
    p50_us: dict[str, float | None]
    p99_us: dict[str, float | None]


class FixedCaller:
    """Stands in for the authenticator: every request is this caller, nothing is checked."""

    def __init__(self, caller: Caller) -> None:
        self._caller = caller

    async def identify(self, _request: Any) -> Caller:
        return self._caller


def gateway_app() -> Any:
    settings = GatewaySettings(
        kafka_bootstrap_servers="127.0.0.1:1",
        mongodb_uri="mongodb://127.0.0.1:1/",
        hotline_environment="local",
        gateway_principals_path=ensure_local_credentials(),
        gateway_signing_keys_path=SIGNING_KEYS,
        gateway_rate_limit="100000000/minute",
    )
    runtime = build_runtime(settings, "gateway", store=False)
    access = load_access(settings, issuer=runtime.source)
    readers = Readers(
        InMemoryCaseFiles(REPAIR_CASE),
        FieldAccess.load(settings.gateway_field_access_path),
        settings.gateway_lookup_attempts_rate,
        InMemoryOutageBook(),
        InMemoryRoutingCopy(),
        ServicePasswords(InMemoryPasswordBook(), access.password_keys),
        VoiceRouting(VoiceRoutingTable.for_province("gd")),
    )
    app = create_app(runtime, RecordingPublisher(), access, InMemoryAuditTrail(), readers)  # type: ignore[arg-type]
    return app, access


async def auth_cost(requests: int = 3000) -> AuthCost:
    app, access = gateway_app()
    real = app.state.authenticator
    principal = access.principals.by_id(CHANNEL)
    stub = FixedCaller(Caller(principal, principal.granted))
    secrets = local_secrets()[CHANNEL]
    times: dict[str, list[float]] = {"none": [], "api_key": [], "jwt": [], "read_masked": []}
    supervisor = local_secrets()[READER]["api_key"]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://gateway") as client:
        pair = base64.b64encode(f"{CHANNEL}:{secrets['client_secret']}".encode()).decode()
        token = (
            await client.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                headers={"Authorization": f"Basic {pair}"},
            )
        ).json()["access_token"]
        credentials = {"none": "", "api_key": secrets["api_key"], "jwt": token, "read_masked": supervisor}
        for n in range(requests + 200):  # the first 200 of each warm up and are not counted
            for mode, credential in credentials.items():
                app.state.authenticator = stub if mode == "none" else real
                headers = {"Authorization": f"Bearer {credential}"}
                began = time.perf_counter()
                if mode == "read_masked":  # the object-level check, masking and the read's audit record
                    answer = await client.get("/v1/work-orders/WO-1", headers=headers)
                else:
                    answer = await client.post("/v1/contacts/web", json=CONTACT, headers=headers)
                took = time.perf_counter() - began
                if answer.status_code not in (200, 202):
                    raise RuntimeError(f"{mode}: {answer.status_code} {answer.text}")
                if n >= 200:
                    times[mode].append(took * 1e6)
    app.state.authenticator = real
    return AuthCost(
        requests,
        {mode: percentile(values, 0.5) for mode, values in times.items()},
        {mode: percentile(values, 0.99) for mode, values in times.items()},
    )
