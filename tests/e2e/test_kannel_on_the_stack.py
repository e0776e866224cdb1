"""On the real stack with a real Kannel (bearerbox, smsbox, fakesmsc as the operator's SMSC): a customer's
Chinese text, sent in UCS-2, becomes a work order on the SMS channel word for word; notify's acceptance
text of the customer's fault report goes out from the hotline's number and that work order's reply code,
its delivery reports come back through the gateway into notify's records, and the customer's answer to it
is linked to that work order (issue: every channel)."""

from typing import Any
from uuid import uuid4

import httpx

from contracts.envelope import decode
from contracts.events import (
    ContactLinkedV1,
    WorkOrderCreatedV1,
    WorkOrderDispatchedV1,
    WorkOrderInfoRequestedV1,
)
from contracts.ids import dispatch_id_for, reply_code_for
from contracts.topics import Topics
from deploy.local.callers import LocalCaller
from deploy.local.stack.kannel import gateway_url
from services.notify.domain.deliveries import report_reference_for
from tests.e2e.test_customer_directory_on_the_stack import a_mobile
from tests.support.kannel import PASSWORD, USERNAME, private_kannel
from tests.support.processes import ServiceProcess
from tests.support.running import FAULT, Tap, eventually, running_subsystem, service_env

PROVINCE = "xj"
HOTLINE = "10690000"
TEXT = "电表箱冒烟了，家里停电，请尽快派人来看看"


async def test_texts_through_kannel_become_work_orders_their_reports_reach_notify_and_answers_are_linked(
    stack, tmp_path
):
    password, phone = uuid4().hex, a_mobile()
    kannel_calls = {"GATEWAY_KANNEL_PASSWORD": password, "GATEWAY_KANNEL_NUMBER": HOTLINE}
    gateway = ServiceProcess(
        "gateway", service_env(stack, PROVINCE, "gateway") | kannel_calls, tmp_path / "gateway.log"
    )
    with private_kannel(tmp_path / "kannel", gateway.port, password, HOTLINE) as kannel:
        notify_sends = {
            "SMS_SENDER": HOTLINE,
            "KANNEL_SENDSMS_URL": kannel.sendsms_url,
            "KANNEL_USERNAME": USERNAME,
            "KANNEL_PASSWORD": PASSWORD,
            "SMS_REPORT_URL": f"{gateway_url(password, gateway.port)}/v1/channels/kannel/dlr",
        }
        async with (
            gateway.running() as base,
            running_subsystem(
                stack, PROVINCE, services=["intake", "dispatch", "notify"], settings=notify_sends
            ) as subsystem,
            Tap(stack, Topics(PROVINCE).workorders, Topics(PROVINCE).dispatch_progress) as announced,
            httpx.AsyncClient(base_url=base, auth=LocalCaller(PROVINCE), timeout=30) as web,
        ):

            async def heard(kind: type, where: Any) -> Any:
                async def found() -> Any:
                    await announced.poll()
                    events = [decode(dict(r.headers), r.key, r.value).data for r in announced.records]
                    return next((e for e in events if isinstance(e, kind) and where(e)), None)

                return await eventually(found, timeout=60)

            kannel.text_from((phone, HOTLINE, TEXT))
            texted = await heard(
                WorkOrderCreatedV1 | WorkOrderInfoRequestedV1,
                lambda e: e.customer.phone == f"+86{phone}" and e.channel == "sms",
            )

            fault = {"phone": phone, "type": "fault_repair", "description": "电表箱冒烟", **FAULT}
            accepted = await web.post("/v1/contacts/web", json=fault)
            assert accepted.status_code == 202, accepted.text
            dispatched = await heard(
                WorkOrderDispatchedV1,
                lambda e: e.customer.phone == f"+86{phone}" and e.type == "fault_repair",
            )
            code = reply_code_for(dispatched.work_order_id)

            async def acceptance_text() -> Any:
                return next((m for m in kannel.received() if m.sender == HOTLINE + code), None)

            told = await eventually(acceptance_text, timeout=60)
            deliveries = subsystem.database("notify")["deliveries"]
            reference = report_reference_for(f"N-{dispatch_id_for(dispatched.work_order_id)}-dispatched")

            async def delivered() -> Any:
                found = await deliveries.find_one({"_id": reference})
                states = {report["state"] for report in (found or {}).get("reports", [])}
                return states if "delivered" in states else None

            reported = await eventually(delivered, timeout=60)

            kannel.text_from((phone, HOTLINE + code, "请问师傅什么时候到？"))
            linked = await heard(ContactLinkedV1, lambda e: e.work_order_id == dispatched.work_order_id)
    assert texted.description == TEXT
    assert told.to.endswith(phone)
    assert dispatched.work_order_id in told.text
    assert reported >= {"submitted", "delivered"}
    assert (linked.channel, linked.reason) == ("sms", "repeat")
