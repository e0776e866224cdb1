"""On the real stack: intake announces its field rules and the gateway describes them as Open311 services;
a request posted through Open311 becomes a work order on the web channel, which GET requests/{id} and
tokens/{token} then find, in the shape the open311 project's schemas describe (issue: every channel)."""

from typing import Any
from uuid import uuid4

from deploy.local.credentials import local_keys
from tests.e2e.test_customer_directory_on_the_stack import a_mobile, as_
from tests.support.open311_shapes import valid, valid_xml
from tests.support.running import eventually, running_subsystem

PROVINCE = "yn"
BASE = "/open311/v2"


async def test_a_request_posted_through_open311_becomes_a_work_order_that_its_id_and_token_find(stack):
    description = f"楼道灯不亮，整栋停电 {uuid4().hex[:8]}"
    form = {
        "api_key": local_keys()[f"{PROVINCE}.channel.web"],
        "jurisdiction_id": PROVINCE,
        "service_code": "fault_repair.no_power",
        "address_string": "昆明市五华区人民中路 1 号",
        "first_name": "丽",
        "last_name": "王",
        "phone": a_mobile(),
        "description": description,
    }
    async with running_subsystem(stack, PROVINCE, services=["gateway", "intake", "dispatch"]) as subsystem:
        gateway = subsystem.gateway

        async def the_services() -> list[Any] | None:
            answer = await gateway.get(f"{BASE}/services.json")
            return answer.json() if answer.status_code == 200 else None

        services = valid(await eventually(the_services, timeout=30), "services")
        posted = await gateway.post(f"{BASE}/requests.json", data=form)
        [taken] = valid(posted.json(), "request-response")  # type: ignore[misc]
        request_path = f"{BASE}/requests/{taken['service_request_id']}.xml"

        async def the_request() -> bytes | None:
            answer = await gateway.get(request_path)
            return answer.content if answer.status_code == 200 else None

        shown = valid_xml(await eventually(the_request, timeout=30), "requests")
        token = await gateway.get(f"{BASE}/tokens/{taken['token']}.json")
        agent = await gateway.get(
            f"/v1/work-orders/{taken['service_request_id']}", headers=as_(f"{PROVINCE}.agent")
        )
    assert "fault_repair.no_power" in {service["service_code"] for service in services}  # type: ignore[index]
    assert posted.status_code == 200
    [request] = shown  # type: ignore[misc]
    assert (request["service_code"], request["status"]) == ("fault_repair.no_power", "open")
    assert description not in str(shown)
    assert valid(token.json(), "token-response") == [
        {"service_request_id": taken["service_request_id"], "token": taken["token"]}
    ]
    order = agent.json()
    assert (order["channel"], order["type"], order["description"]) == ("web", "fault_repair", description)
