"""Delivery reports of notify's texts: each text is sent from the hotline's number and its work order's
reply code, asking Kannel for its reports under a reference that names no customer; the reports are kept
on the text's delivery, whose final word stands over the SMSC's later interim ones."""

from datetime import UTC, datetime, timedelta
from urllib.parse import parse_qs

import httpx

from contracts.events import DeliveryState, SmsDeliveryReportedV1
from contracts.ids import reply_code_for
from services.notify.adapters import KannelSmsGateway
from services.notify.domain.deliveries import Delivery, Report, report_reference_for
from tests.fakes import envelope_of
from tests.unit.test_notify import Notify, dispatched

AT = datetime(2026, 12, 8, 2, 0, tzinfo=UTC)


def report(reference: str, state: DeliveryState, status: int, later: int = 0) -> SmsDeliveryReportedV1:
    at = AT + timedelta(seconds=later)
    return SmsDeliveryReportedV1(
        reference=reference,
        province="gd",
        state=state,
        gateway_status=status,
        reported_at=at,
        received_at=at,
        source="kannel",
    )


async def test_a_text_goes_out_from_its_work_orders_reply_code_with_a_reference_that_names_no_one():
    notify, event = Notify(), dispatched()
    await notify.handlers.work_orders_dispatched([envelope_of(event)])
    assert notify.sms.sent_from == [reply_code_for(event.work_order_id)]
    [reference] = notify.sms.references
    assert reference == report_reference_for(notify.notification().id)
    assert event.customer.phone not in reference
    assert event.work_order_id not in reference


async def test_a_sender_that_takes_no_extension_sends_without_reply_codes():
    notify, event = Notify(sms_reply_codes=False), dispatched()
    await notify.handlers.work_orders_dispatched([envelope_of(event)])
    assert notify.sms.sent_from == [None]


def a_kannel(asked: list[httpx.Request]) -> httpx.AsyncClient:
    """A client whose smsbox takes every text, keeping each request in `asked`."""

    def kannel(request: httpx.Request) -> httpx.Response:
        asked.append(request)
        return httpx.Response(202, text="0: Accepted for delivery")

    return httpx.AsyncClient(transport=httpx.MockTransport(kannel))


async def test_kannel_is_asked_for_every_report_at_the_gateways_route_under_the_reference():
    asked: list[httpx.Request] = []
    async with a_kannel(asked) as client:
        gateway = KannelSmsGateway(
            client,
            "http://kannel/cgi-bin/sendsms",
            "u",
            "p",
            "10690000",
            "http://kannel:pw@gw/v1/channels/kannel/dlr",
        )
        await gateway.send("+8613926012345", "您的工单已受理", reply_code="4821", reference="ab" * 12)
    query = parse_qs(asked[0].url.query.decode())
    assert query["from"] == ["106900004821"]
    assert query["dlr-mask"] == ["31"]
    assert query["dlr-url"] == [
        f"http://kannel:pw@gw/v1/channels/kannel/dlr?reference={'ab' * 12}&status=%d&answer=%A&at=%T"
    ]


async def test_without_a_report_url_kannel_is_asked_for_no_reports():
    asked: list[httpx.Request] = []
    async with a_kannel(asked) as client:
        await KannelSmsGateway(client, "http://kannel/", "u", "p", "10690000").send("+8613926012345", "x")
    assert "dlr-url" not in parse_qs(asked[0].url.query.decode())


async def test_the_phones_delivered_stands_over_the_smscs_submitted_that_came_after_it():
    notify = Notify()
    await notify.handlers.deliveries_reported(
        [envelope_of(report("r" * 24, DeliveryState.DELIVERED, 1, later=0))]
    )
    await notify.handlers.deliveries_reported(
        [envelope_of(report("r" * 24, DeliveryState.SUBMITTED, 8, later=5))]
    )
    delivery = await notify.deliveries.record(report("r" * 24, DeliveryState.SUBMITTED, 8, later=5))
    assert delivery.state is DeliveryState.DELIVERED
    assert len(delivery.reports) == 2  # the repeated report is kept once


async def test_a_text_the_network_gave_up_on_reads_as_failed_and_names_its_work_order():
    notify, event = Notify(), dispatched()
    await notify.handlers.work_orders_dispatched([envelope_of(event)])
    reference = notify.sms.references[0]
    assert reference is not None
    assert await notify.store_notifications().with_reference(reference) == notify.notification().id
    await notify.handlers.deliveries_reported([envelope_of(report("s" * 24, DeliveryState.SUBMITTED, 8))])
    await notify.handlers.deliveries_reported(
        [envelope_of(report("s" * 24, DeliveryState.UNDELIVERABLE, 2, 9))]
    )
    delivery = await notify.deliveries.record(report("s" * 24, DeliveryState.UNDELIVERABLE, 2, 9))
    assert delivery.failed


async def test_a_text_all_in_the_gsm_alphabet_goes_as_7_bit_and_a_chinese_one_as_ucs2():
    asked: list[httpx.Request] = []
    async with a_kannel(asked) as client:
        gateway = KannelSmsGateway(client, "http://kannel/", "u", "p", "10690000")
        await gateway.send("+8613926012345", "[Hotline] WO-1 resolved: 100 EUR refunded (€)")
        await gateway.send("+8613926012345", "【客服热线】您的工单已办结")
    codings = [parse_qs(request.url.query.decode())["coding"] for request in asked]
    assert codings == [["0"], ["2"]]


def test_a_resend_the_smsc_took_after_it_rejected_the_first_reads_as_having_reached_it():
    rejected, taken = (
        report("r" * 24, DeliveryState.REJECTED, 16),
        report("r" * 24, DeliveryState.SUBMITTED, 8, 5),
    )
    first_rejected = Delivery(
        "r" * 24, [Report(r.state, r.gateway_status, r.reported_at) for r in (rejected, taken)]
    )
    taken_then_rejected = Delivery(
        "r" * 24,
        [
            Report(r.state, r.gateway_status, r.reported_at)
            for r in (taken, report("r" * 24, DeliveryState.REJECTED, 16, 9))
        ],
    )
    assert first_rejected.reached_the_smsc
    assert not taken_then_rejected.reached_the_smsc
