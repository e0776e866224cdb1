"""On the real stack: billing's profile makes a customer mid tier, intake announces the number's standing,
the gateway marks the customer's call as owed a callback, and when they hang up while queueing notify puts
the callback on the CTI's list, due within 24 hours; once the CTI says the customer was reached, the
callback is done and off the list (issue: every channel, voice routing decisions)."""

from datetime import UTC, datetime, timedelta
from uuid import uuid4

from contracts.topics import Topics
from tests.e2e.test_customer_directory_on_the_stack import as_
from tests.support.running import Tap, eventually, running_subsystem

PROVINCE = "sd"  # its topics are this test's alone


async def test_a_mid_tier_caller_who_hangs_up_queueing_is_put_on_the_ctis_callback_list(stack):
    mobile = f"1395310{uuid4().int % 10**4:04d}"
    profile = {
        "account_number": f"53{uuid4().int % 10**10:010d}",
        "updated_at": datetime.now(UTC).isoformat(),
        "phones": [mobile],
        "monthly_spend": 150.0,
        "customer_since": "2024-01-01",
        "credit_score": 600,
    }
    call_id = f"CALL-{uuid4().hex[:12]}"
    async with (
        running_subsystem(stack, PROVINCE, services=["gateway", "intake", "notify"]) as subsystem,
        Tap(stack, Topics(PROVINCE).callbacks) as callback_list,
    ):
        gateway, cti = subsystem.gateway, as_(f"{PROVINCE}.channel.voice")
        posted = await gateway.post("/v1/customer-profiles", json=profile, headers=as_(f"{PROVINCE}.billing"))
        assert posted.status_code == 202, posted.text

        async def the_gateway_knows_them_as_mid_tier() -> bool:
            asked = {"call_id": call_id, "caller_number": mobile}
            answer = await gateway.post("/v1/voice/routing-decisions", json=asked, headers=cti)
            return bool(answer.json()["callback_if_abandoned"])

        await eventually(the_gateway_knows_them_as_mid_tier, timeout=60, every=0.5)
        now = datetime.now(UTC)
        call = [
            {"kind": "offered", "caller_number": mobile, "called_number": "95598"},
            {"kind": "queued", "queue_id": "Q-jn", "group_id": "sd-jinan"},
            {"kind": "abandoned", "reason": "caller hung up"},
        ]
        for n, event in enumerate(call):
            at = (now - timedelta(seconds=len(call) - n)).isoformat()
            told = await gateway.post(
                f"/v1/voice/calls/{call_id}/events", json=event | {"event_id": f"E{n}", "at": at}, headers=cti
            )
            assert told.status_code == 202, told.text
        owed = await callback_list.find_event(call_id, "hotline.voice.callback_scheduled.v1")

        async def on_the_ctis_list(present: bool) -> bool:
            answer = await gateway.get("/v1/voice/callbacks", headers=cti)
            listed = {c["callback_id"] for c in answer.json()["callbacks"]}
            return (owed.data.callback_id in listed) is present

        await eventually(lambda: on_the_ctis_list(True), timeout=30, every=0.3)
        attempt = {
            "attempt_id": f"DIAL-{call_id}",
            "outcome": "answered",
            "at": datetime.now(UTC).isoformat(),
        }
        dialled = await gateway.post(
            f"/v1/voice/callbacks/{owed.data.callback_id}/attempts", json=attempt, headers=cti
        )
        assert dialled.status_code == 202, dialled.text
        done = await callback_list.find_event(call_id, "hotline.voice.callback_updated.v1")
        await eventually(lambda: on_the_ctis_list(False), timeout=30, every=0.3)
    assert done.data.state == "done"
    assert (owed.data.reason, owed.data.number, owed.data.group_id) == ("abandoned", "caller", "sd-jinan")
    assert timedelta(hours=23) < owed.data.due_by - now <= timedelta(hours=24)
    assert mobile not in owed.data.model_dump_json()
