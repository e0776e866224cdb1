"""The demo's agent at the desk: the owner of a work order that waits for a field lists it, then
supplies the field, and intake opens it for dispatch."""

import asyncio
import time

import httpx

from contracts.events import WorkOrderInfoRequestedV1
from deploy.local.credentials import local_secrets

# What the demo's agent learns from the customer, per field intake asks for.
ANSWERS = {"category": "billing"}


async def complete(
    gateway: httpx.AsyncClient, waiting: WorkOrderInfoRequestedV1, timeout: float = 30.0
) -> None:
    owner = waiting.owner or "desk"
    as_owner = {"Authorization": f"Bearer {local_secrets()[owner]['api_key']}"} if waiting.owner else {}
    path = f"/v1/owners/{owner}/work-orders"
    deadline = time.monotonic() + timeout
    listed: list[dict[str, object]] = []
    while not listed:  # the gateway's case files follow intake's events a moment later
        if time.monotonic() > deadline:
            raise SystemExit(f"{waiting.work_order_id} never reached {owner}'s list")
        answer = await gateway.get(path, params={"needs_info": "true"}, headers=as_owner)
        found = answer.json().get("work_orders", []) if answer.is_success else []
        listed = [w for w in found if w["work_order_id"] == waiting.work_order_id]
        await asyncio.sleep(0.2)
    print(f"  GET {path}?needs_info=true as {owner} -> {answer.status_code}: {listed[0]['missing']}")
    fields = {m.name: ANSWERS[m.name] for m in waiting.missing}
    supplied = await gateway.post(
        f"/v1/work-orders/{waiting.work_order_id}/info", json=fields, headers=as_owner
    )
    print(f"  POST /v1/work-orders/{waiting.work_order_id}/info {fields} -> {supplied.status_code}")
