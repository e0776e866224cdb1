"""The control room registers, changes and ends known outages through the gateway; agents list the
active ones. Every change is put on `<p>.outages` for intake."""

from datetime import UTC, datetime

import httpx

from contracts.events import OutageEndedV1, OutageRegisteredV1, OutageUpdatedV1
from deploy.local.credentials import local_keys
from tests.fake_case_files import InMemoryOutageBook
from tests.fakes import RecordingPublisher
from tests.unit.test_gateway import app_with

NOTICE = {
    "outage_id": "OMS-2026-1203-01",
    "kind": "planned",
    "areas": ["gz-tianhe", "gz-yuexiu"],
    "cause": "计划检修",
    "starts_at": "2026-12-03T09:00:00+08:00",
    "expected_restoration_at": "2026-12-03T17:00:00+08:00",
}


def as_(principal: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {local_keys()[principal]}"}


class ControlRoom:
    def __init__(self) -> None:
        self.publisher = RecordingPublisher()
        self.book = InMemoryOutageBook()
        app = app_with(self.publisher, outages=self.book)
        self.client = httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://gateway")

    async def call(self, method: str, path: str, body: object = None, as_who: str = "gd.supervisor"):
        return await self.client.request(method, path, json=body, headers=as_(as_who))


async def test_a_registered_outage_is_announced_for_intake_and_listed_for_agents():
    room = ControlRoom()
    answer = await room.call("POST", "/v1/outages", NOTICE)
    assert answer.status_code == 202
    [registered] = room.publisher.published
    assert isinstance(registered, OutageRegisteredV1)
    assert (registered.by, registered.areas) == ("gd.supervisor", ["gz-tianhe", "gz-yuexiu"])
    assert room.publisher.topics == ["gd.outages"]
    listed = await room.call("GET", "/v1/outages", as_who="gd.agent")
    [shown] = listed.json()["outages"]
    assert (shown["outage_id"], shown["cause"], shown["ended_at"]) == ("OMS-2026-1203-01", "计划检修", None)


async def test_the_same_notice_again_changes_nothing_and_a_different_one_is_a_conflict():
    room = ControlRoom()
    await room.call("POST", "/v1/outages", NOTICE)
    again = await room.call("POST", "/v1/outages", NOTICE)
    other = await room.call("POST", "/v1/outages", NOTICE | {"cause": "线路故障"})
    assert again.status_code == 202
    assert other.status_code == 409
    assert "PATCH" in other.json()["detail"]
    assert len(room.publisher.published) == 1


async def test_a_change_announces_the_whole_outage_as_it_stands_and_an_end_ends_it_once():
    room = ControlRoom()
    await room.call("POST", "/v1/outages", NOTICE)
    path = "/v1/outages/OMS-2026-1203-01"
    changed = await room.call("PATCH", path, {"expected_restoration_at": "2026-12-03T19:00:00+08:00"})
    assert changed.status_code == 202
    updated = room.publisher.published[-1]
    assert isinstance(updated, OutageUpdatedV1)
    assert updated.cause == "计划检修", "what the change left out stays as it was"
    assert updated.expected_restoration_at == datetime(2026, 12, 3, 11, 0, tzinfo=UTC)
    assert (await room.call("POST", f"{path}/end")).status_code == 202
    assert (await room.call("POST", f"{path}/end")).status_code == 202
    assert [type(e) for e in room.publisher.published].count(OutageEndedV1) == 1
    assert (await room.call("PATCH", path, {"cause": "检修延期"})).status_code == 409
    assert (await room.call("GET", "/v1/outages")).json()["outages"] == []


async def test_bad_outages_are_refused_listing_what_is_wrong():
    room = ControlRoom()
    backwards = NOTICE | {"expected_restoration_at": "2026-12-03T08:00:00+08:00"}
    naive = NOTICE | {"starts_at": "2026-12-03T09:00:00"}
    for body, problem in [
        (backwards, "comes after starts_at"),
        (naive, "timezone"),
        (NOTICE | {"areas": []}, "areas"),
        (NOTICE | {"areas": ["天河"]}, "areas"),
    ]:
        answer = await room.call("POST", "/v1/outages", body)
        assert answer.status_code == 422, body
        assert answer.headers["content-type"] == "application/problem+json"
        assert problem in answer.text
    unknown = await room.call("PATCH", "/v1/outages/OMS-NONE", {"cause": "x"})
    assert unknown.status_code == 404
    assert room.publisher.published == []
