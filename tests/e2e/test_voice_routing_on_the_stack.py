"""On the real stack: billing's profile of a red-listed customer reaches intake, intake announces the
number's standing, and the gateway's voice routing (reading the standings and the calls' events into
memory) puts the customer's call at the head of their city group's queue; once the CTI's events show
every agent of that group busy, the next caller from the city overflows to the public group (issue:
every channel, voice routing decisions)."""

import json
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

from tests.e2e.test_customer_directory_on_the_stack import as_
from tests.support.running import eventually, running_subsystem

PROVINCE = "sh"
AT = "2026-12-08T09:00:00+08:00"


def a_shanghai_mobile() -> str:
    return f"1391600{uuid4().int % 10**4:04d}"


async def test_a_vip_is_put_first_in_their_city_group_and_a_full_group_overflows_to_the_public_one(
    stack, tmp_path
):
    table = {
        "province": PROVINCE,
        "public": {"group_id": "sh-public", "agents": 50},
        "cities": [{"city": "Shanghai", "group_id": f"sh-city-{uuid4().hex[:6]}", "agents": 2}],
    }
    (tmp_path / "voice.json").write_text(json.dumps(table))
    city_group = table["cities"][0]["group_id"]  # type: ignore[index]
    vip, other = a_shanghai_mobile(), a_shanghai_mobile()
    profile = {
        "account_number": f"31{uuid4().int % 10**10:010d}",
        "updated_at": datetime.now(UTC).isoformat(),
        "phones": [vip],
        "monthly_spend": 20.0,
        "customer_since": "2025-01-01",
        "credit_score": 500,
        "red_list": True,
    }
    async with running_subsystem(
        stack,
        PROVINCE,
        services=["gateway", "intake"],
        settings={"GATEWAY_VOICE_ROUTING_PATH": str(tmp_path / "voice.json")},
    ) as subsystem:
        gateway, cti = subsystem.gateway, as_(f"{PROVINCE}.channel.voice")
        posted = await gateway.post("/v1/customer-profiles", json=profile, headers=as_(f"{PROVINCE}.billing"))
        assert posted.status_code == 202, posted.text

        async def decided(phone: str, call_id: str) -> dict[str, Any]:
            asked = {"call_id": call_id, "caller_number": phone}
            answer = await gateway.post("/v1/voice/routing-decisions", json=asked, headers=cti)
            assert answer.status_code == 200, answer.text
            return dict(answer.json())

        async def the_vip_stands_first() -> dict[str, Any] | None:
            decision = await decided(vip, "CALL-VIP")
            return decision if decision["queue_priority"] == 1 else None

        first = await eventually(the_vip_stands_first, timeout=60, every=0.5)
        before = await decided(other, "CALL-OTHER-1")
        for n in range(2):  # both of the city group's agents take a call
            event = {
                "event_id": f"E{n}",
                "kind": "answered",
                "at": AT,
                "group_id": city_group,
                "agent_id": f"A{n}",
            }
            taken = await gateway.post(
                f"/v1/voice/calls/CALL-{uuid4().hex[:8]}/events", json=event, headers=cti
            )
            assert taken.status_code == 202, taken.text

        async def overflowed() -> dict[str, Any] | None:
            decision = await decided(other, "CALL-OTHER-2")
            return decision if decision["overflowed"] else None

        after = await eventually(overflowed, timeout=30, every=0.2)
    assert (first["group_id"], first["queue_priority"], first["home_city"]) == (city_group, 1, "Shanghai")
    assert (before["group_id"], before["queue_priority"]) == (city_group, 3)
    assert after["group_id"] == "sh-public"
