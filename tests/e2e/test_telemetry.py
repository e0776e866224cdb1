"""What an operator sees of a running subsystem: one trace follows a contact from the gateway's HTTP request
through intake and dispatch to notify, and each service reports the metrics listed in `Metric`."""

from uuid import uuid4

from aiokafka import AIOKafkaProducer
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from contracts.ids import work_order_id_for
from contracts.topics import Topics
from plumbing.telemetry import Attr, Metric, Outcome, make_telemetry
from tests.support.running import ALL_SERVICES, FAULT, Tap, eventually, running_subsystem, until

PROVINCE = "zj"


async def test_one_trace_spans_gateway_intake_dispatch_and_notify(stack):
    exporter = InMemorySpanExporter()
    telemetry = {service: make_telemetry(service, "province", PROVINCE) for service in ALL_SERVICES}
    for service in ALL_SERVICES:
        telemetry[service].tracer_provider.add_span_processor(SimpleSpanProcessor(exporter))

    async with (
        running_subsystem(stack, PROVINCE, telemetry=telemetry) as subsystem,
        Tap(stack, Topics(PROVINCE).notifications) as notifications,
    ):
        accepted = await subsystem.gateway.post(
            "/v1/contacts/web",
            json={
                "phone": "13957112345",
                "type": "fault_repair",
                **FAULT,
                "description": f"小区停电 {uuid4().hex}",
            },
        )
        work_order_id = work_order_id_for(accepted.json()["id"])
        await notifications.find_event(work_order_id, "hotline.notification.sent.v1")

        def services_in_trace():
            spans = exporter.get_finished_spans()
            request = next(
                s
                for s in spans
                if s.resource.attributes["service.name"] == "hotline-gateway"
                and s.parent is None
                and s.name.startswith("POST /v1/contacts/web")  # the gateway also consumes now
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


def points(reader: InMemoryMetricReader) -> dict[str, list[tuple[dict[str, object], object]]]:
    """Each metric's data points as (attributes, point), by metric name."""
    found: dict[str, list[tuple[dict[str, object], object]]] = {}
    data = reader.get_metrics_data()
    for resource in data.resource_metrics if data else ():
        for scope in resource.scope_metrics:
            for metric in scope.metrics:
                found.setdefault(metric.name, []).extend(
                    (dict(point.attributes or {}), point) for point in metric.data.data_points
                )
    return found


async def test_each_service_reports_records_batches_latencies_dead_letters_and_the_gateways_answers(stack):
    province = "ln"
    topics = Topics(province)
    readers = {service: InMemoryMetricReader() for service in ALL_SERVICES}
    telemetry = {
        service: make_telemetry(service, "province", province, metric_reader=reader)
        for service, reader in readers.items()
    }
    async with (
        running_subsystem(stack, province, telemetry=telemetry) as subsystem,
        Tap(stack, topics.department("repair")) as repair_desk,
        Tap(stack, topics.deadletter) as deadletter,
    ):
        accepted = await subsystem.gateway.post(
            "/v1/contacts/web",
            json={
                "phone": "13904112345",
                "type": "fault_repair",
                **FAULT,
                "description": f"停电 {uuid4().hex}",
            },
        )
        invalid = await subsystem.gateway.post("/v1/contacts/web", json={"phone": "", "type": "nope"})
        assert (accepted.status_code, invalid.status_code) == (202, 422)
        await repair_desk.find_event(
            work_order_id_for(accepted.json()["id"]), "hotline.workorder.dispatched.v1"
        )
        producer = AIOKafkaProducer(**stack.kafka.client_options())
        await producer.start()
        try:
            await producer.send_and_wait(topics.contacts, b"not a cloudevent", key=b"poison")
        finally:
            await producer.stop()
        await deadletter.find(lambda record: record.key == b"poison")
        await until(lambda: Metric.DEAD_LETTERS.name in points(readers["intake"]), timeout=10)
        await until(lambda: Metric.RECORDS.name in points(readers["notify"]), timeout=30)

    gateway, intake = points(readers["gateway"]), points(readers["intake"])
    answered = {attributes.get("http.status_code") for attributes, _ in gateway[Metric.HTTP_SERVER.name]}
    assert {202, 422} <= answered, "the gateway's answers, by status"
    assert Metric.PUBLISH.name in gateway

    handled = [
        point.value
        for attributes, point in intake[Metric.RECORDS.name]
        if attributes[Attr.OUTCOME] == Outcome.HANDLED and attributes[Attr.DESTINATION] == topics.contacts
    ]
    assert sum(handled) >= 1
    assert sum(point.count for _, point in intake[Metric.BATCH_SIZE.name]) >= 1
    assert sum(point.count for _, point in intake[Metric.HANDLING.name]) >= 1
    [(dead, _)] = intake[Metric.DEAD_LETTERS.name]
    assert dead == {Attr.DESTINATION: topics.contacts, Attr.DLQ_KIND: "undecodable"}
    stored = {
        (attributes[Attr.DB_COLLECTION], attributes[Attr.DB_OPERATION])
        for attributes, _ in intake[Metric.STORE.name]
    }
    assert ("work_orders", "insert") in stored
    assert {Metric.PUBLISH.name, Metric.PROCESS.name} <= set(intake)
    for service in ("dispatch", "notify"):
        assert Metric.RECORDS.name in points(readers[service]), f"{service} counts its records"
    reported = {name for reader in readers.values() for name in points(reader)}
    assert reported <= {metric.name for metric in Metric.all()}, "every name reported is listed in Metric"
