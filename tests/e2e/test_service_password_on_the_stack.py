"""On the real stack: billing sets an account's service password with its profile; the customer calls
from another phone, keys it in on the IVR, and hears what their work order says; five wrong ones in a
row lock it (issue: access control, identity verification before private data)."""

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx

from tests.e2e.test_customer_directory_on_the_stack import a_mobile, as_, case_file
from tests.support.running import eventually, running_subsystem

PROVINCE = "ah"


# Each question about something else: one about the same as an open one would be a repeat, linked to it.
QUESTIONS = [("query", c) for c in ("bill", "payment", "usage", "outage_schedule", "other")] + [
    ("consultation", c) for c in ("tariff", "connection", "safety", "energy_saving", "policy", "other")
]


async def a_question_of_the_account(gateway: httpx.AsyncClient, phone: str, account: str) -> dict[str, Any]:
    """A question asked from `phone` once intake knows the number as the account's (the profile reaches
    intake on its own topic, so the first questions may come before it)."""
    left = list(QUESTIONS)

    async def known() -> dict[str, Any] | None:
        kind, category = left.pop(0)
        question = {"phone": phone, "type": kind, "category": category, "description": f"请问 {uuid4().hex}"}
        body = await case_file(gateway, question, PROVINCE)
        return body if body["account_number"] == account else None

    return await eventually(known, timeout=60, every=0.5)


async def test_a_caller_who_keys_in_the_service_password_hears_the_work_order_and_guessing_locks_it(stack):
    phone, account = a_mobile(), f"34{uuid4().int % 10**10:010d}"
    profile = {
        "account_number": account,
        "updated_at": datetime.now(UTC).isoformat(),
        "phones": [phone],
        "monthly_spend": 680.0,
        "customer_since": "2016-09-01",
        "credit_score": 850,
        "service_password": "520131",
    }
    async with running_subsystem(stack, PROVINCE, services=["gateway", "intake", "dispatch"]) as subsystem:
        gateway, ivr = subsystem.gateway, as_(f"{PROVINCE}.channel.voice")
        put = await gateway.post("/v1/customer-profiles", json=profile, headers=as_(f"{PROVINCE}.billing"))
        order = await a_question_of_the_account(gateway, phone, account)

        async def keyed_in(password: str):
            lookup = {"work_order_id": order["work_order_id"], "service_password": password}
            return await gateway.post("/v1/customer-lookups", json=lookup, headers=ivr)

        heard = await keyed_in("520131")
        wrong = [(await keyed_in(f"00000{n}")).status_code for n in range(5)]
        locked = await keyed_in("520131")
    assert put.status_code == 202
    assert heard.status_code == 200, heard.text
    assert heard.json()["description"] == order["description"]
    assert wrong == [404, 404, 404, 404, 429]
    assert locked.status_code == 429
