"""Behind an ingress, the client is the address the trusted proxies give for it: the customer lookups
count each customer apart, the audit records who asked, and a header from anyone else is only a claim."""

import httpx
import pytest

from services.gateway.settings import GatewaySettings
from tests.fakes import RecordingPublisher
from tests.unit.test_gateway import app_with

INGRESS = ("10.0.0.2", 40000)
GUESSES = 10  # GATEWAY_LOOKUP_ATTEMPTS_RATE's default, per asker


async def lookups(app, peer: tuple[str, int], forwarded_for: list[str]) -> list[int]:
    """One public status lookup of an unknown work order for each X-Forwarded-For, from `peer`."""
    transport = httpx.ASGITransport(app=app, client=peer)
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        answers = [
            await client.post(
                "/v1/public/work-order-status",
                json={"work_order_id": f"WO-NONE-{n}", "phone": "13800138000"},
                headers={"X-Forwarded-For": address},
            )
            for n, address in enumerate(forwarded_for)
        ]
    return [answer.status_code for answer in answers]


async def test_customers_behind_a_trusted_ingress_are_counted_apart_and_audited_by_their_own_address():
    publisher = RecordingPublisher()
    app = app_with(publisher, gateway_trusted_proxies="10.0.0.0/24")
    guessing = await lookups(app, INGRESS, ["203.0.113.7"] * (GUESSES + 1))
    assert guessing == [404] * GUESSES + [429]
    assert await lookups(app, INGRESS, ["198.51.100.9, 10.0.0.7"]) == [404], "another customer asks freely"
    assert publisher.audited[-1].client == "198.51.100.9 (forwarded for: 198.51.100.9, 10.0.0.7)"


async def test_without_a_trusted_proxy_the_peer_is_the_client_whatever_its_header_claims():
    publisher = RecordingPublisher()
    app = app_with(publisher)
    claims = [f"203.0.113.{n}" for n in range(GUESSES + 1)]
    assert await lookups(app, ("192.0.2.50", 5000), claims) == [404] * GUESSES + [429]
    assert publisher.audited[0].client == "192.0.2.50 (forwarded for: 203.0.113.0)"


async def test_a_header_from_a_peer_outside_the_trusted_networks_changes_nothing():
    app = app_with(RecordingPublisher(), gateway_trusted_proxies="10.0.0.0/24")
    claims = [f"203.0.113.{n}" for n in range(GUESSES + 1)]
    assert await lookups(app, ("192.0.2.50", 5000), claims) == [404] * GUESSES + [429]


def test_a_trusted_proxy_that_is_no_address_or_network_is_refused_at_start_naming_it():
    with pytest.raises(
        ValueError, match=r"not an address or a network such as 10.0.0.0/8: ingress, 10.0.0.0/33"
    ):
        GatewaySettings(
            kafka_bootstrap_servers="127.0.0.1:1",
            hotline_province="gd",
            gateway_trusted_proxies="10.1.2.3, ingress, 10.0.0.0/33",
        )
