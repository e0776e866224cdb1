"""A retry with the same key is the same call; the same key with another body is refused (409) before
anything reaches the bus, since its event would otherwise be dropped downstream as a repeat."""

import httpx
from pymongo.errors import ServerSelectionTimeoutError

from deploy.local.credentials import local_keys
from tests.fakes import RecordingPublisher
from tests.unit.test_gateway import app_with

WEB = {"Authorization": f"Bearer {local_keys()['gd.channel.web']}"}
VOICE = {"Authorization": f"Bearer {local_keys()['gd.channel.voice']}"}
CONTACT = {"phone": "13926012345", "type": "query", "category": "bill", "description": "电费怎么算"}
AT = "2026-12-02T09:00:00+08:00"


async def posting(
    *calls: tuple[str, dict[str, object], dict[str, str]],
) -> tuple[list[int], RecordingPublisher]:
    publisher = RecordingPublisher()
    transport = httpx.ASGITransport(app=app_with(publisher))
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        statuses = [
            (await client.post(path, json=body, headers=headers)).status_code for path, body, headers in calls
        ]
    return statuses, publisher


async def test_a_retry_with_the_same_key_and_body_is_taken_again_as_the_same_contact():
    keyed = WEB | {"Idempotency-Key": "k-1"}
    statuses, publisher = await posting(
        ("/v1/contacts/web", CONTACT, keyed), ("/v1/contacts/web", CONTACT, keyed)
    )
    assert statuses == [202, 202]
    assert len(set(publisher.event_ids)) == 1


async def test_the_same_key_with_another_body_is_refused_and_nothing_of_it_is_published():
    keyed = WEB | {"Idempotency-Key": "k-1"}
    other = CONTACT | {"description": "另一件事"}
    statuses, publisher = await posting(
        ("/v1/contacts/web", CONTACT, keyed), ("/v1/contacts/web", other, keyed)
    )
    assert statuses == [202, 409]
    assert [e.description for e in publisher.published] == ["电费怎么算"]  # type: ignore[attr-defined]


async def test_another_principals_same_key_is_its_own():
    statuses, _ = await posting(
        ("/v1/contacts/web", CONTACT, WEB | {"Idempotency-Key": "k-1"}),
        ("/v1/contacts/voice", CONTACT | {"call_id": "CALL-1"}, VOICE | {"Idempotency-Key": "k-1"}),
    )
    assert statuses == [202, 202]


async def test_a_cti_event_retried_with_another_body_is_refused():
    event = {"event_id": "E1", "kind": "abandoned", "at": AT}
    statuses, publisher = await posting(
        ("/v1/voice/calls/CALL-1/events", event, VOICE),
        ("/v1/voice/calls/CALL-1/events", event | {"reason": "changed"}, VOICE),
    )
    assert statuses == [202, 409]
    assert len(publisher.published) == 1


async def test_a_second_record_of_a_call_without_its_own_key_is_refused():
    record = CONTACT | {"call_id": "CALL-1"}
    statuses, _ = await posting(
        ("/v1/contacts/voice", record, VOICE),
        ("/v1/contacts/voice", record | {"description": "第二件事"}, VOICE),
        ("/v1/contacts/voice", record | {"description": "第二件事"}, VOICE | {"Idempotency-Key": "2"}),
    )
    assert statuses == [202, 409, 202]


class StoreDown:
    async def claim(self, scope: str, key: str, digest: str) -> bool:
        raise ServerSelectionTimeoutError("the store is restarting")


async def test_a_store_that_does_not_answer_never_stops_a_contact():
    publisher = RecordingPublisher()
    transport = httpx.ASGITransport(app=app_with(publisher, keys=StoreDown()))
    async with httpx.AsyncClient(transport=transport, base_url="http://gw") as client:
        answer = await client.post("/v1/contacts/web", json=CONTACT, headers=WEB | {"Idempotency-Key": "k-1"})
    assert answer.status_code == 202
    assert len(publisher.published) == 1
