"""An anonymous report's journey on the real stack, from the channel's post to the discipline
department's dispatch: the reporter's number is on no topic, in no log line and in no store in clear, and
only the inspector's explicit unseal reads it, in the audit trail (issue: intake in depth, sealed
reports)."""

import json
import random
from typing import Any
from uuid import uuid4

from aiokafka import ConsumerRecord

from contracts.envelope import decode
from contracts.events import SEALED_PHONE, AuditRecordedV1, WorkOrderDispatchedV1
from contracts.ids import work_order_id_for
from contracts.topics import Topics
from deploy.local.credentials import local_keys, role_id
from deploy.local.watch import eventually
from tests.e2e.test_no_personal_data_in_telemetry import production_logging
from tests.support.running import ALL_SERVICES, Tap, running_subsystem

PROVINCE = "hi"


def every_topic(topics: Topics) -> list[str]:
    return [
        topics.contacts,
        topics.customers,
        topics.workorders,
        topics.outages,
        topics.workorder_actions,
        topics.department("discipline"),
        topics.department_replies,
        topics.dispatch_progress,
        topics.notifications,
        topics.followups,
        topics.audit,
        topics.deadletter,
    ]


async def test_an_anonymous_reporters_number_is_on_no_topic_log_or_store_and_only_an_audited_unseal_reads_it(
    stack,
):
    national = f"139{random.randrange(10**8):08d}"
    words = f"某供电所抄表员收受好处费 {uuid4().hex[:8]}"
    topics = Topics(PROVINCE)
    inspector = {"Authorization": f"Bearer {local_keys()[role_id(PROVINCE, 'inspector')]}"}

    with production_logging() as logged:
        async with (
            running_subsystem(stack, PROVINCE, ALL_SERVICES) as subsystem,
            Tap(stack, *every_topic(topics)) as tap,
        ):
            accepted = await subsystem.gateway.post(
                "/v1/contacts/web",
                json={
                    "phone": national,
                    "type": "report",
                    "anonymous": True,
                    "details": {"reported_party": "某供电所抄表班"},
                    "description": words,
                },
            )
            assert accepted.status_code == 202, accepted.text
            work_order_id = work_order_id_for(accepted.json()["id"])
            dispatched = (await tap.find_event(work_order_id, "hotline.workorder.dispatched.v1")).data
            assert isinstance(dispatched, WorkOrderDispatchedV1)
            assert dispatched.description == words, "the department reads the report's content"
            assert dispatched.customer.phone == SEALED_PHONE

            async def read(query: str = "") -> dict[str, Any] | None:
                answer = await subsystem.gateway.get(
                    f"/v1/work-orders/{work_order_id}{query}", headers=inspector
                )
                body: dict[str, Any] = answer.json()
                # Until the gateway has intake's event, the case is not there or knows no channel.
                return body if answer.status_code == 200 and body["channel"] == "web" else None

            seen = await eventually(read, timeout=60)
            assert (seen["sealed"], seen["customer"]["phone"]) == (True, None)
            unsealed = await eventually(lambda: read("?unseal=true"))
            assert unsealed["customer"]["phone"] == f"+86{national}"

            def unseal_audited(record: ConsumerRecord) -> bool:
                if record.topic != topics.audit:
                    return False
                entry = decode(dict(record.headers), record.key, record.value).data
                assert isinstance(entry, AuditRecordedV1)
                return entry.unsealed and entry.resource == work_order_id

            await tap.find(unseal_audited)
            stored = {
                "intake's work order": await subsystem.database("intake")["work_orders"].find_one(
                    {"_id": work_order_id}
                ),
                "the gateway's case file": await subsystem.database("gateway")["case_files"].find_one(
                    {"_id": work_order_id}
                ),
                "dispatch's work order": await subsystem.database("dispatch")["dispatches"].find_one(
                    {"_id": work_order_id}
                ),
            }

    on_topics = [
        f"{record.topic}: {record.headers!r} {record.value!r}"
        for record in tap.records
        if national.encode() in (record.value or b"")
        or any(national.encode() in v for _, v in record.headers)
    ]
    assert len(tap.records) >= 5, "the journey's records were read"
    assert on_topics == [], "the reporter's number is on a topic"
    lines = logged.getvalue().splitlines()
    assert any(json.loads(line).get("event") == "service started" for line in lines), "the logs were read"
    assert [line for line in lines if national in line] == [], "the reporter's number is in a log line"
    assert all(document is not None for document in stored.values()), stored.keys()
    in_clear = [where for where, document in stored.items() if national in json.dumps(document, default=str)]
    assert in_clear == [], "the reporter's number is stored in clear"
