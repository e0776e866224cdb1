"""On the real stack: a CTI posts a call's events and the call's record through the gateway; the events
reach the voice topic in order, keyed by the call, and the record becomes a work order on the voice
channel; a text through Twilio becomes one on the SMS channel, a forged one nothing (issue: every
channel)."""

from typing import Any
from uuid import uuid4

from twilio.request_validator import RequestValidator

from contracts.envelope import decode
from contracts.events import CallEventKind
from contracts.ids import work_order_id_for
from contracts.topics import Topics
from services.gateway.posts import stable_id
from tests.e2e.test_customer_directory_on_the_stack import a_mobile, as_
from tests.support.running import Tap, eventually, running_subsystem

PROVINCE = "xz"
AT = "2026-12-02T09:00:00+08:00"


async def test_a_calls_events_reach_the_voice_topic_and_its_record_becomes_a_voice_work_order(stack):
    call_id, phone = f"CALL-{uuid4().hex[:12]}", a_mobile()
    events = [
        {"event_id": "E1", "kind": "offered", "at": AT, "caller_number": phone, "called_number": "95598"},
        {"event_id": "E2", "kind": "queued", "at": AT, "queue_id": "Q-lasa", "group_id": "G-lasa"},
        {"event_id": "E3", "kind": "answered", "at": AT, "group_id": "G-lasa", "agent_id": "A-7"},
        {"event_id": "E4", "kind": "ended", "at": AT, "agent_id": "A-7"},
    ]
    record = {"call_id": call_id, "phone": phone, "type": "query", "category": "bill", "description": "电费"}
    async with (
        running_subsystem(stack, PROVINCE, services=["gateway", "intake", "dispatch"]) as subsystem,
        Tap(stack, Topics(PROVINCE).voice) as voice,
    ):
        gateway, cti = subsystem.gateway, as_(f"{PROVINCE}.channel.voice")
        posted = [
            (await gateway.post(f"/v1/voice/calls/{call_id}/events", json=event, headers=cti)).status_code
            for event in events
        ]

        async def the_calls() -> list[Any] | None:
            await voice.poll()
            ours = [r for r in voice.records if r.key == call_id.encode()]
            return ours if len(ours) == len(events) else None

        heard = [
            decode(dict(r.headers), r.key, r.value).data for r in await eventually(the_calls, timeout=30)
        ]
        accepted = await gateway.post("/v1/contacts/voice", json=record, headers=cti)
        path, agent = f"/v1/work-orders/{work_order_id_for(accepted.json()['id'])}", as_(f"{PROVINCE}.agent")

        async def the_work_order() -> dict[str, Any] | None:
            answer = await gateway.get(path, headers=agent)
            return answer.json() if answer.status_code == 200 and answer.json()["created_at"] else None

        order = await eventually(the_work_order, timeout=30)
    assert posted == [202] * 4
    assert [event.kind for event in heard] == [CallEventKind(e["kind"]) for e in events]
    assert heard[0].sealed_caller
    assert phone not in heard[0].model_dump_json()
    assert (order["channel"], order["type"]) == ("voice", "query")


async def test_a_text_signed_by_twilio_becomes_a_work_order_on_the_sms_channel(stack):
    token, sid, phone = uuid4().hex, f"SM{uuid4().hex}", a_mobile()
    form = {"MessageSid": sid, "From": f"+86{phone}", "To": "+8695598", "Body": "请问电费怎么算"}
    async with running_subsystem(
        stack,
        PROVINCE,
        services=["gateway", "intake", "dispatch"],
        settings={"GATEWAY_TWILIO_AUTH_TOKEN": token},
    ) as subsystem:
        gateway = subsystem.gateway
        path = "/v1/channels/twilio/sms"
        called = f"{str(gateway.base_url).rstrip('/')}{path}"
        signature = RequestValidator(token).compute_signature(called, form)
        forged = await gateway.post(path, data=form, headers={"X-Twilio-Signature": signature[::-1]})
        taken = await gateway.post(path, data=form, headers={"X-Twilio-Signature": signature})
        contact_id = stable_id("C", "twilio-sms", sid)
        order_path, agent = f"/v1/work-orders/{work_order_id_for(contact_id)}", as_(f"{PROVINCE}.agent")

        async def the_work_order() -> dict[str, Any] | None:
            answer = await gateway.get(order_path, headers=agent)
            return answer.json() if answer.status_code == 200 and answer.json()["created_at"] else None

        order = await eventually(the_work_order, timeout=30)
    assert (forged.status_code, taken.status_code) == (403, 200)
    assert (order["channel"], order["description"]) == ("sms", "请问电费怎么算")
