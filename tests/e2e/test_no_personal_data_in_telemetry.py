"""Logs and traces carry no secrets and no personal data: a whole journey (contact, dispatch, SMS, reply,
follow-up) is run with every service logging through the production configuration and tracing into
memory, and neither holds the customer's number, name, words, the texts sent, or the SMS gateway's password
(issue: access control, privacy and audit)."""

import base64
import contextlib
import io
import json
import logging
from collections.abc import Iterator
from urllib.parse import quote, quote_plus
from uuid import uuid4

import structlog
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from contracts.ids import work_order_id_for
from contracts.topics import Topics
from deploy.local.credentials import SIGNING_KEYS, channel_id, department_id, local_secrets
from deploy.local.watch import SmsInbox
from plumbing.logs import QUIET_LIBRARIES, configure_logging
from plumbing.telemetry import make_telemetry
from tests.support.running import ALL_SERVICES, FAULT, Tap, running_subsystem

PROVINCE = "gz"


@contextlib.contextmanager
def production_logging() -> Iterator[io.StringIO]:
    """The services' own logging configuration, into a buffer; the test run's is put back afterwards."""
    root = logging.getLogger()
    saved = (root.handlers[:], root.level)
    quiet = {name: logging.getLogger(name).level for name in QUIET_LIBRARIES}
    structlog_config = structlog.get_config()
    lines = io.StringIO()
    configure_logging(stream=lines)
    try:
        yield lines
    finally:
        root.handlers, _ = saved
        root.setLevel(saved[1])
        for name, level in quiet.items():
            logging.getLogger(name).setLevel(level)
        structlog.configure(**structlog_config)


def span_texts(exporter: InMemorySpanExporter) -> list[str]:
    texts = []
    for span in exporter.get_finished_spans():
        texts.append(span.name)
        texts.extend(f"{key}={value}" for key, value in (span.attributes or {}).items())
        for event in span.events:
            texts.append(event.name)
            texts.extend(f"{key}={value}" for key, value in (event.attributes or {}).items())
    return texts


async def test_a_journeys_logs_and_spans_hold_no_phone_name_words_texts_or_passwords(stack):
    phone, name = "13985012345", f"龙{uuid4().hex[:4]}女士"
    # Short enough for one SMS: the inbox reads single-part messages.
    words, answer = f"停电三小时了 {uuid4().hex}", f"已恢复供电{uuid4().hex[:6]}"
    exporter = InMemorySpanExporter()
    telemetry = {service: make_telemetry(service, "province", PROVINCE) for service in ALL_SERVICES}
    for service in ALL_SERVICES:
        telemetry[service].tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))
    inbox = SmsInbox(stack.fakesmsc_log)
    department = department_id(PROVINCE, "repair")
    department_pair = f"{department}:{local_secrets()[department]['client_secret']}"

    with production_logging() as logged:
        async with (
            running_subsystem(stack, PROVINCE, telemetry=telemetry) as subsystem,
            Tap(stack, Topics(PROVINCE).department("repair")) as repair_desk,
        ):
            accepted = await subsystem.gateway.post(
                "/v1/contacts/web",
                json={
                    "phone": phone,
                    "customer_name": name,
                    "type": "fault_repair",
                    **FAULT,
                    "description": words,
                },
            )
            work_order_id = work_order_id_for(accepted.json()["id"])
            dispatched = await repair_desk.find_event(work_order_id, "hotline.workorder.dispatched.v1")
            texted = [await inbox.find(work_order_id, "已受理", timeout=60)]
            granted = await subsystem.gateway.post(
                "/oauth/token",
                data={"grant_type": "client_credentials"},
                headers={"Authorization": f"Basic {base64.b64encode(department_pair.encode()).decode()}"},
            )
            token = granted.json()["access_token"]
            reply = await subsystem.gateway.post(
                "/v1/departments/repair/replies",
                json={
                    "work_order_id": work_order_id,
                    "dispatch_id": dispatched.data.dispatch_id,
                    "kind": "final",
                    "message": answer,
                    "responder": "抢修班 王工",
                },
                headers={"Authorization": f"Bearer {token}"},
            )
            assert reply.status_code == 202
            texted.append(await inbox.find(work_order_id, "已办结", timeout=60))

    lines = logged.getvalue().splitlines()
    assert any(json.loads(line).get("event") == "service started" for line in lines), "the logs were read"
    assert exporter.get_finished_spans(), "the spans were read"
    secrets = {
        "the customer's number": phone[3:],  # in any form: 139..., +86139..., masked ones keep 4 digits
        "the customer's name": name,
        "the customer's words": words,
        "the department's answer": answer,
        "the SMS gateway's password": stack.kannel_password,
        "the channel's API key": local_secrets()[channel_id(PROVINCE)]["api_key"],
        "the department's client secret": local_secrets()[department]["client_secret"],
        "the department's access token": token,
        "the department's Basic credentials": base64.b64encode(department_pair.encode()).decode(),
        "the token signing key": json.loads(SIGNING_KEYS.read_text())["keys"][0]["d"],
        **{f"text sent ({sms.text[:8]}...)": sms.text for sms in texted},
    }
    telemetry_text = "\n".join([*lines, *span_texts(exporter)])
    # Also as a URL carries them (percent-encoded).
    forms = {what: {secret, quote(secret), quote_plus(secret)} for what, secret in secrets.items() if secret}
    found = {what for what, written in forms.items() if any(form in telemetry_text for form in written)}
    assert found == set(), f"found in logs or spans: {sorted(found)}"
