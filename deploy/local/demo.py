"""Hotline end to end on the local stack: start the services, send sample contacts, show where each went.

`make demo` runs it as `python -m deploy.local.demo`, after setting up the virtualenv and the stack. The
services run under honcho from deploy/local/Procfile and stop when the demo ends; the stack keeps running
(`make down` stops it).
"""

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

import httpx
from aiokafka import ConsumerRecord

from contracts.envelope import Envelope, UndecodableMessage, decode
from contracts.events import (
    ContactReceivedV1,
    FollowUpScheduledV1,
    NotificationFailedV1,
    NotificationSentV1,
    WorkOrderCreatedV1,
    WorkOrderDispatchedV1,
    WorkOrderInfoRequestedV1,
    WorkOrderRepliedV1,
)
from contracts.ids import work_order_id_for
from contracts.topics import Topics
from deploy.local.callers import LocalCaller
from deploy.local.credentials import local_secrets, role_id
from deploy.local.demo_desk import complete
from deploy.local.demo_samples import SAMPLES, customer_export
from deploy.local.watch import SmsInbox, TopicTap, consumed
from plumbing.kafka_connection import KafkaConnection
from services.common.working_days import CHINA_TIME
from services.registry import BY_NAME, SERVICES

ROOT = Path(__file__).resolve().parents[2]
PROVINCE = os.environ.get("HOTLINE_PROVINCE", "gd")
TOPICS = Topics(PROVINCE)
GATEWAY = f"http://127.0.0.1:{BY_NAME['gateway'].http_port}"
PROBES = {entry.name: entry.http_port for entry in SERVICES}
WATCHED = [
    TOPICS.contacts,
    TOPICS.workorders,
    TOPICS.dispatch_progress,
    TOPICS.department_replies,
    TOPICS.notifications,
    TOPICS.followups,
    TOPICS.deadletter,
]


def load_stack_env() -> dict[str, str]:
    lines = (ROOT / ".run" / "stack.env").read_text().splitlines()
    return dict(line.split("=", 1) for line in lines if "=" in line and not line.startswith("#"))


def ports_in_use() -> list[str]:
    """The services' ports that something else already listens on: the demo would talk to it, not to us."""
    taken = []
    for service, port in PROBES.items():
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                taken.append(f"{service} ({port})")
    return taken


def start_services(env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = (ROOT / ".run" / "demo-services.log").open("wb")
    print(f"starting the {len(PROBES)} services under honcho (log: .run/{Path(log.name).name})")
    return subprocess.Popen(
        [str(Path(sys.executable).parent / "honcho"), "-f", "deploy/local/Procfile", "-d", ".", "start"],
        cwd=ROOT,
        # The Procfile says `python`: the virtualenv's, which has Hotline installed.
        env=os.environ
        | env
        | {
            "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
            "HOTLINE_PROVINCE": PROVINCE,
        },
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


async def wait_ready(services: subprocess.Popen[bytes], timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(timeout=2) as client:
        for service, port in PROBES.items():
            while True:
                try:
                    if (await client.get(f"http://127.0.0.1:{port}/readyz")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                if services.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"{service} did not become ready; see .run/demo-services.log")
                await asyncio.sleep(0.5)
    print(f"all {len(PROBES)} services ready\n")


class Journeys:
    """Collects every event on the province's topics and prints each contact's path as it happens."""

    def __init__(self) -> None:
        self.paths: dict[str, list[str]] = defaultdict(list)
        self.contacts: dict[str, str] = {}
        self.dispatches: dict[str, WorkOrderDispatchedV1] = {}
        self.waiting: list[WorkOrderInfoRequestedV1] = []
        self.replies = 0

    def record(self, record: ConsumerRecord) -> None:
        try:
            event = decode(dict(record.headers), record.key, record.value)
        except UndecodableMessage as error:
            print(f"  ! {record.topic}: {error}")
            return
        line = describe(event, record.topic)
        if line is None:
            return
        # Records of different topics arrive in no set order; the work order id ties them together.
        work_order_id = event.subject
        if isinstance(event.data, ContactReceivedV1):
            work_order_id = work_order_id_for(event.subject)
            self.contacts[work_order_id] = event.subject
        if isinstance(event.data, WorkOrderDispatchedV1):
            self.dispatches[work_order_id] = event.data
        if isinstance(event.data, WorkOrderInfoRequestedV1):
            self.waiting.append(event.data)
        if isinstance(event.data, WorkOrderRepliedV1):
            self.replies += 1
        self.paths[work_order_id].append(line)
        print(f"  [{work_order_id}] {line}")


def describe(event: Envelope, topic: str) -> str | None:
    data, service = event.data, event.source.rsplit("/", 1)[-1]
    if isinstance(data, ContactReceivedV1):
        return f"{service:8} accepted a {data.channel} contact from {data.phone} -> {topic}"
    if isinstance(data, WorkOrderCreatedV1):
        customer, area = data.customer, data.area.name if data.area else "no known area"
        standing = f"{customer.tier} tier, priority {customer.priority}, account {data.account_number}"
        standing += f", owner {data.owner}"
        opened = f"stored work order {data.work_order_id} ({data.type}, {area}, home {customer.home_region}"
        return f"{service:8} {opened}, {standing}) -> {topic}"
    if isinstance(data, WorkOrderInfoRequestedV1):
        missing = ", ".join(m.name for m in data.missing)
        opened = f"stored work order {data.work_order_id} ({data.type}) for {data.owner}"
        return f"{service:8} {opened}: it needs {missing} -> {topic}"
    if isinstance(data, WorkOrderDispatchedV1):
        if topic != TOPICS.dispatch_progress:
            return None
        return (
            f"{service:8} dispatched it to {data.department} ({TOPICS.department(data.department)}), "
            f"reply due {data.reply_due_at.astimezone(CHINA_TIME):%Y-%m-%d %H:%M} China time"
        )
    if isinstance(data, WorkOrderRepliedV1):
        return (
            f"{service:8} recorded the {data.department} department's {data.kind} reply "
            f"(on time: {data.on_time}) -> {topic}"
        )
    if isinstance(data, NotificationSentV1):
        answer = data.gateway_reply
        return f"{service:8} texted {data.recipient_masked} ({data.template}); Kannel said '{answer}'"
    if isinstance(data, NotificationFailedV1):
        tries = f"{data.attempts} attempts"
        return f"{service:8} gave up texting {data.recipient_masked} after {tries}: {data.last_error}"
    if isinstance(data, FollowUpScheduledV1):
        due = data.due_at.astimezone(CHINA_TIME)
        return f"{service:8} planned a follow-up visit by {due:%Y-%m-%d %H:%M} China time ({data.rule})"
    return None


async def watch(journeys: Journeys, env: dict[str, str], ready: asyncio.Event) -> None:
    async with TopicTap(KafkaConnection.from_env(env, prefix="KAFKA_ADMIN_"), *WATCHED) as tap:
        ready.set()
        while True:
            for record in await tap.poll():
                journeys.record(record)


async def demo(env: dict[str, str]) -> None:
    journeys, watching = Journeys(), asyncio.Event()
    watcher = asyncio.create_task(watch(journeys, env, watching))
    await watching.wait()
    inbox = SmsInbox(Path(env["FAKESMSC_LOG"]))
    async with httpx.AsyncClient(base_url=GATEWAY, timeout=10, auth=LocalCaller(PROVINCE)) as gateway:
        print("0. billing loads its customers into intake's directory (a CSV export)")
        billing = {"Authorization": f"Bearer {local_secrets()[role_id(PROVINCE, 'billing')]['api_key']}"}
        csv = billing | {"Content-Type": "text/csv"}
        loaded = await gateway.post("/v1/customer-imports", content=customer_export().encode(), headers=csv)
        print(f"  POST /v1/customer-imports -> {loaded.status_code} {loaded.json()}")
        # The profiles reach intake on their own topic: the contacts wait until it has taken them.
        kafka = KafkaConnection.from_env(env, prefix="KAFKA_ADMIN_")
        await consumed(kafka, TOPICS.consumer_group("intake", TOPICS.customers), TOPICS.customers)

        print("\n1. channel adapters post three contacts to the gateway")
        bad = await gateway.post("/v1/contacts/web", json={"phone": "12", "description": ""})
        print(f"  (and one bad one: HTTP {bad.status_code} {bad.json()['errors']})")
        anonymous = await gateway.post("/v1/contacts/web", json=SAMPLES[0], auth=httpx.Auth())  # no key
        print(f"  (and one without a key: HTTP {anonymous.status_code} {anonymous.json()['detail']})")
        for sample in SAMPLES:
            response = await gateway.post("/v1/contacts/web", json=sample)
            print(f"  POST /v1/contacts/web -> {response.status_code} {response.json()}")
        await wait_for(lambda: len(journeys.dispatches) + len(journeys.waiting) >= len(SAMPLES), "intake")

        print("\n1b. the agent who owns the complaint asks what it is about and supplies it")
        for waiting in journeys.waiting:
            await complete(gateway, waiting)
        await wait_for(lambda: len(journeys.dispatches) >= len(SAMPLES), "the dispatches")

        print("\n2. each department replies through the gateway")
        for work_order_id, dispatched in list(journeys.dispatches.items()):
            reply = {
                "work_order_id": work_order_id,
                "dispatch_id": dispatched.dispatch_id,
                "kind": "final",
                "message": "问题已处理完毕，感谢您的耐心等待",
                "responder": f"{dispatched.department} desk",
            }
            response = await gateway.post(f"/v1/departments/{dispatched.department}/replies", json=reply)
            print(f"  POST /v1/departments/{dispatched.department}/replies -> {response.status_code}")
        await wait_for(lambda: journeys.replies >= len(SAMPLES), "the replies")
        await asyncio.sleep(3)  # let the last SMS and follow-ups land

        first = next(iter(journeys.dispatches))
        print(f"\n2b. readers ask for work order {first}: each sees the customer as its role may")
        for role in ("agent", "supervisor", "auditor"):
            key = local_secrets()[role_id(PROVINCE, role)]["api_key"]
            read = await gateway.get(f"/v1/work-orders/{first}", headers={"Authorization": f"Bearer {key}"})
            body = read.json()
            seen = (
                body.get("customer", {}) | {"status": body.get("status")}
                if read.is_success
                else body["detail"]
            )
            print(f"  GET /v1/work-orders/{first} as the {role} -> {read.status_code} {seen}")
    watcher.cancel()

    print("\n3. each contact's path through the services")
    for work_order_id, path in journeys.paths.items():
        print(f"  contact {journeys.contacts.get(work_order_id, '?')} -> work order {work_order_id}")
        for line in path:
            print(f"    - {line}")
    print("\n4. what the operator's SMSC (fakesmsc) received")
    for sms in inbox.received():
        print(f"  from {sms.sender} to {sms.to}: {sms.text}")
    print(
        "  (a text the customer's quiet hours hold is sent when they open: acknowledgements from 08:00,\n"
        "   residents' news after work, businesses' in working hours; notify's log says until when)"
    )


async def wait_for(condition: Callable[[], bool], what: str, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}; see .run/demo-services.log")
        await asyncio.sleep(0.2)


def main() -> None:
    env = load_stack_env()
    taken = ports_in_use()
    if taken:
        raise SystemExit(
            f"ports already in use: {', '.join(taken)}; stop whatever listens there (another `make run`?) "
            "so the demo talks to its own services"
        )
    services = start_services(env)
    try:
        asyncio.run(wait_ready(services))
        asyncio.run(demo(env))
    finally:
        os.killpg(services.pid, signal.SIGTERM)
        services.wait(timeout=30)
        print("\nservices stopped; the stack is still up (`make down` stops it)")


if __name__ == "__main__":
    main()
