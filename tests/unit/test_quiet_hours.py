"""When customers are reached (the operators' rule: business customers during working hours, residents
after work, never in rest time), read as a table: who, which message, when it was due (China time), and
when it goes."""

from datetime import UTC, datetime
from pathlib import Path

import pytest

from contracts.events import Customer, CustomerKind
from services.common.working_calendar import WorkingCalendar
from services.common.working_days import CHINA_TIME
from services.notify.domain.notification import NotificationStatus
from services.notify.domain.quiet_hours import QuietHours
from services.notify.settings import NotifySettings
from tests.fakes import UNIT_SETTINGS, envelope_of
from tests.unit.test_notify import CUSTOMER, Notify, dispatched, replied
from tests.unit.test_notify_links import a_link

QUIET, CALENDAR = QuietHours.load(), WorkingCalendar.load(province="gd")
RESIDENT, BUSINESS, UNKNOWN = CustomerKind.RESIDENT, CustomerKind.BUSINESS, None
RESULT, ACCEPTED, LINKED = "workorder.resolved", "workorder.accepted", "contact.linked.repeat"


def china(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=CHINA_TIME)


@pytest.mark.parametrize(
    ("kind", "template", "due", "goes"),
    [
        # Residents after work on working days (Monday 7 December), by day on rest days.
        (RESIDENT, RESULT, "2026-12-07 10:00", "2026-12-07 18:00"),
        (RESIDENT, RESULT, "2026-12-07 21:29", "2026-12-07 21:29"),
        (RESIDENT, RESULT, "2026-12-07 21:59", "2026-12-08 18:00"),  # past their evening: the next one
        (RESIDENT, RESULT, "2026-12-07 22:01", "2026-12-08 18:00"),
        (RESIDENT, RESULT, "2026-12-11 22:30", "2026-12-12 09:00"),  # Friday night: Saturday morning
        (RESIDENT, RESULT, "2026-12-12 08:00", "2026-12-12 09:00"),  # a Saturday
        (RESIDENT, RESULT, "2026-12-12 12:30", "2026-12-12 14:00"),  # its midday rest
        (UNKNOWN, RESULT, "2026-12-07 15:00", "2026-12-07 18:00"),  # unknown: as a resident
        (RESIDENT, RESULT, "2026-10-01 10:00", "2026-10-01 10:00"),  # National Day: a rest day
        (RESIDENT, RESULT, "2026-10-10 10:00", "2026-10-10 18:00"),  # a Saturday worked: after work
        # Businesses in working hours, on working days only.
        (BUSINESS, RESULT, "2026-12-07 10:00", "2026-12-07 10:00"),
        (BUSINESS, RESULT, "2026-12-07 12:30", "2026-12-07 13:30"),
        (BUSINESS, RESULT, "2026-12-07 18:00", "2026-12-08 08:30"),
        (BUSINESS, RESULT, "2026-12-11 17:45", "2026-12-14 08:30"),  # Friday evening: Monday
        (BUSINESS, RESULT, "2026-10-01 10:00", "2026-10-08 08:30"),  # National Day week: after it
        (BUSINESS, RESULT, "2026-10-10 10:00", "2026-10-10 10:00"),  # a Saturday worked in its place
        # An answer to the customer's own contact goes at once, but never at night.
        (RESIDENT, ACCEPTED, "2026-12-07 10:00", "2026-12-07 10:00"),
        (BUSINESS, LINKED, "2026-12-12 15:00", "2026-12-12 15:00"),
        (RESIDENT, ACCEPTED, "2026-12-07 21:59", "2026-12-07 21:59"),
        (RESIDENT, ACCEPTED, "2026-12-07 22:01", "2026-12-08 08:00"),
        (RESIDENT, ACCEPTED, "2026-12-08 03:14", "2026-12-08 08:00"),
        # Past the calendar's years, Monday to Friday are taken as worked (and notify logs it).
        (BUSINESS, RESULT, "2027-01-08 19:00", "2027-01-11 08:30"),
    ],
)
def test_when_a_customer_is_reached(kind, template, due, goes):
    assert QUIET.opens(china(due), kind, template, CALENDAR) == china(goes)


def test_a_table_with_a_window_into_the_night_is_refused_naming_it(tmp_path: Path):
    table = (Path(__file__).parents[2] / "services/notify/quiet_hours.json").read_text()
    broken = tmp_path / "quiet.json"
    broken.write_text(table.replace('"end": "21:30"}]\n    }', '"end": "23:00"}]\n    }'))
    with pytest.raises(ValueError, match="resident: 14:00:00-23:00:00 reaches into the night"):
        QuietHours.load(broken)


class Clocked(Notify):
    """Notify with its quiet hours, on the unit tests' clock."""

    def __init__(self, at: str) -> None:
        super().__init__(quiet_hours=True)
        self.clock.now = china(at)


async def test_an_acknowledgement_at_three_in_the_morning_waits_for_eight_and_is_sent_then_once():
    notify = Clocked("2026-12-08 03:14")
    await notify.handlers.work_orders_dispatched([envelope_of(dispatched())])
    assert notify.sms.sent == []
    held = notify.notification()
    assert (held.status, held.next_attempt_at) == (NotificationStatus.PENDING, china("2026-12-08 08:00"))
    notify.clock.now = china("2026-12-08 07:59")
    await notify.handlers.retry_due()
    assert notify.sms.sent == []
    notify.clock.now = china("2026-12-08 08:00")
    await notify.handlers.retry_due()
    notify.restart()  # a restart on the way: the held text is in the store, with its time
    await notify.handlers.retry_due()
    assert len(notify.sms.sent) == 1


async def test_a_business_customers_result_in_the_evening_goes_next_working_morning():
    notify = Clocked("2026-12-11 19:00")  # a Friday
    business = Customer(name="某公司", phone="+8613926012345", kind="business")
    await notify.handlers.work_orders_replied([envelope_of(replied(customer=business))])
    assert notify.sms.sent == []
    assert notify.notification().next_attempt_at == china("2026-12-14 08:30")


def test_a_time_given_in_utc_is_read_in_china_time():
    assert QUIET.opens(datetime(2026, 12, 7, 7, 0, tzinfo=UTC), BUSINESS, RESULT, CALENDAR) == china(
        "2026-12-07 15:00"
    )


def test_texting_at_any_hour_is_refused_on_a_production_system():
    with pytest.raises(ValueError, match="QUIET_HOURS=false is for local and test systems"):
        NotifySettings(
            **UNIT_SETTINGS
            | {
                "hotline_environment": "production",
                "kafka_sasl_username": "notify",
                "kafka_sasl_password": "a-long-and-real-kafka-secret-9f3k",
                "kannel_password": "a-long-and-real-kannel-secret-2j8q",
                "mongodb_uri": "mongodb://notify:a-long-and-real-store-secret-7h2w@127.0.0.1:1/",
            }
        )


async def test_a_business_linked_to_an_incident_hears_its_result_in_working_hours_not_on_saturday():
    notify = Clocked("2026-12-12 10:00")  # a Saturday
    shop = Customer(name="某商店", phone="+8613926099999", kind="business")
    reply = replied()
    await notify.handlers.contacts_linked([envelope_of(a_link(reply, shop))])
    assert [to for to, _ in notify.sms.sent] == [shop.phone]  # an answer to its own contact: at once
    await notify.handlers.work_orders_replied([envelope_of(reply)])
    assert [to for to, _ in notify.sms.sent] == [shop.phone, CUSTOMER.phone]  # a resident's, on Saturday
