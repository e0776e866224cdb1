"""A department that retries its reply (same Idempotency-Key) gets it recorded once and texted once."""

from uuid import uuid4

from contracts.ids import work_order_id_for
from contracts.topics import Topics
from deploy.local.watch import SmsInbox
from tests.support.running import FAULT, Tap, eventually, running_subsystem

PROVINCE = "fj"
TOPICS = Topics(PROVINCE)


async def test_retried_interim_and_final_replies_are_recorded_once_texted_once_and_not_dead_lettered(stack):
    inbox = SmsInbox(stack.fakesmsc_log)
    async with (
        running_subsystem(stack, PROVINCE) as subsystem,
        Tap(stack, TOPICS.department("repair")) as repair_desk,
        Tap(stack, TOPICS.dispatch_progress) as progress,
        Tap(stack, TOPICS.deadletter) as deadletter,
    ):
        accepted = await subsystem.gateway.post(
            "/v1/contacts/web",
            json={
                "phone": "13905912345",
                "type": "fault_repair",
                **FAULT,
                "description": f"整栋楼停电 {uuid4().hex}",
            },
        )
        work_order_id = work_order_id_for(accepted.json()["id"])
        dispatched = await repair_desk.find_event(work_order_id, "hotline.workorder.dispatched.v1")

        async def reply(kind: str, message: str, *, times: int = 2) -> int:
            key = f"crew-{uuid4().hex}"
            status = 0
            for _ in range(times):  # the crew's app did not see the first 202 and sends it again
                response = await subsystem.gateway.post(
                    "/v1/departments/repair/replies",
                    json={
                        "work_order_id": work_order_id,
                        "dispatch_id": dispatched.data.dispatch_id,
                        "kind": kind,
                        "message": message,
                    },
                    headers={"Idempotency-Key": key},
                )
                status = response.status_code
            return status

        assert await reply("interim", "抢修队已出发，预计40分钟到达") == 202
        assert await reply("final", "线路已修复，已恢复供电") == 202
        # A genuinely new reply after the final one is refused: at the gateway's door (409) once its case
        # file holds the final reply, else by dispatch, which dead-letters it. On the work order's
        # partition it comes after both retries, so once it is dead-lettered dispatch has dealt with
        # everything before it.
        late = f"late reply {uuid4().hex}"
        refused_at_the_door = await reply("interim", late, times=1) == 409
        if not refused_at_the_door:
            await deadletter.find(lambda record: late.encode() in record.value)
        await inbox.find(work_order_id, "已办结")

        stored = await subsystem.database("dispatch")["dispatches"].find_one({"_id": work_order_id})

        def replies() -> list[object]:
            return [
                record
                for record in progress.records
                if dict(record.headers).get("ce_type") == b"hotline.workorder.replied.v1"
                and record.key == work_order_id.encode()
            ]

        await progress.find(lambda _: len(replies()) >= 2)
        await progress.poll()  # dispatch published before it took the late reply: a third would be here
        dead = [record for record in deadletter.records if record.key == work_order_id.encode()]

        async def texts() -> list[str]:
            return [sms.text for sms in inbox.received() if work_order_id in sms.text]

        sent = await eventually(texts)
    assert [step["action"] for step in stored["history"]] == ["dispatched", "interim_reply", "final_reply"]
    assert len(replies()) == 2
    refused = [late.encode() in record.value for record in dead]
    assert refused == ([] if refused_at_the_door else [True]), "only the late reply is refused"
    assert [("已受理" in text, "处理进展" in text, "已办结" in text) for text in sent] == [
        (True, False, False),
        (False, True, False),
        (False, False, True),
    ]
