"""One trace follows a contact from the gateway's HTTP request through intake and dispatch to notify."""

from uuid import uuid4

from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from contracts.ids import work_order_id_for
from contracts.topics import Topics
from plumbing.telemetry import make_tracer_provider
from tests.support.running import ALL_SERVICES, Tap, eventually, running_subsystem

PROVINCE = "zj"


async def test_one_trace_spans_gateway_intake_dispatch_and_notify(stack):
    exporter = InMemorySpanExporter()
    providers = {}
    for service in ALL_SERVICES:
        providers[service] = make_tracer_provider(service, "province", PROVINCE)
        providers[service].add_span_processor(SimpleSpanProcessor(exporter))

    async with (
        running_subsystem(stack, PROVINCE, tracer_providers=providers) as subsystem,
        Tap(stack, Topics(PROVINCE).notifications) as notifications,
    ):
        accepted = await subsystem.gateway.post(
            "/v1/contacts/web",
            json={"phone": "13957112345", "type": "fault_repair", "description": f"小区停电 {uuid4().hex}"},
        )
        work_order_id = work_order_id_for(accepted.json()["id"])
        await notifications.find_event(work_order_id, "hotline.notification.sent.v1")

        def services_in_trace():
            spans = exporter.get_finished_spans()
            request = next(
                s
                for s in spans
                if s.resource.attributes["service.name"] == "hotline-gateway" and s.parent is None
            )
            trace_id = request.context.trace_id
            return {s.resource.attributes["service.name"] for s in spans if s.context.trace_id == trace_id}

        async def whole_trace():
            found = services_in_trace()
            return (
                found
                if {"hotline-gateway", "hotline-intake", "hotline-dispatch", "hotline-notify"} <= found
                else None
            )

        assert "hotline-notify" in await eventually(whole_trace, timeout=20)
