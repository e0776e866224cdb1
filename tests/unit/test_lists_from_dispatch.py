"""Dispatch's events as the gateway keeps them: every step tells where the work order's clocks stand, so
its read view shows them and the lists place it (overdue once an alarm is raised, on the supervisor's
queue once escalated, off it once sent on) without asking dispatch."""

from datetime import UTC, datetime

from services.dispatch.domain.dispatch import Dispatch
from services.gateway.handlers import GatewayHandlers
from tests.fake_case_files import InMemoryCaseFiles
from tests.fake_dispatch import AREAS, InMemoryCheckpoint, a_request, a_work_order, dispatch_service
from tests.fakes import FakeClock, InMemoryAuditTrail, InMemoryStore, envelope_of
from tests.unit.test_agent_desk import call

PROGRESS = "gd.dispatch.progress"


class Province:
    """Dispatch on fake time, and the gateway's case files kept from what dispatch published."""

    def __init__(self) -> None:
        self.clock = FakeClock(datetime.now(UTC).replace(microsecond=0))
        self.store: InMemoryStore[Dispatch] = InMemoryStore()
        self.dispatch = dispatch_service(self.store, self.clock, InMemoryCheckpoint())
        self.cases = InMemoryCaseFiles(clock=self.clock)
        self.gateway = GatewayHandlers(InMemoryAuditTrail(), self.cases)
        self.seen = 0

    async def projected(self) -> None:
        published = self.store.bus.on(PROGRESS)
        await self.gateway.progress(published[self.seen :])
        self.seen = len(published)

    async def listed(self, query: str) -> list[str]:
        answer, _ = await call("GET", f"/v1/work-orders?{query}", "gd.supervisor", self.cases)
        assert answer.status_code == 200, answer.text
        return [item["work_order_id"] for item in answer.json()["work_orders"]]


async def test_the_read_view_shows_the_clocks_dispatch_started_and_how_long_each_has_left():
    province = Province()
    order = a_work_order(area=AREAS["urban"])
    await province.gateway.work_orders_announced([envelope_of(order)])
    await province.dispatch.handlers.work_orders_created([envelope_of(order)])
    await province.projected()
    answer, _ = await call("GET", f"/v1/work-orders/{order.work_order_id}", "gd.supervisor", province.cases)
    clocks = {clock["stage"]: clock for clock in answer.json()["clocks"]}
    assert "arrival" in clocks, clocks
    arrival = clocks["arrival"]
    assert (arrival["paused"], arrival["overdue"], arrival["alarms"]) == (False, False, 0)
    assert 44 * 60 < arrival["left_seconds"] <= 45 * 60, "urban arrival: 45 minutes"
    assert answer.json()["escalated"] is False


async def test_an_alarm_puts_it_on_the_overdue_list_and_escalation_on_the_supervisors_until_sent_on():
    province = Province()
    order = a_work_order(area=AREAS["urban"])
    await province.gateway.work_orders_announced([envelope_of(order)])
    await province.dispatch.handlers.work_orders_created([envelope_of(order)])
    await province.projected()
    assert await province.listed("overdue=true") == []
    province.clock.advance(minutes=46)  # urban arrival: 45 minutes
    await province.dispatch.timers.fire_due()
    await province.projected()
    assert await province.listed("overdue=true") == [order.work_order_id]
    assert await province.listed("escalated=true") == []
    for _ in range(9):  # alarms at 2 h 45 and 4 h 45: the third escalates
        province.clock.advance(minutes=30)
        await province.dispatch.timers.fire_due()
    await province.projected()
    assert await province.listed("escalated=true") == [order.work_order_id]
    redispatch = a_request(order, "redispatch", department="business", at=province.clock.now)
    await province.dispatch.handlers.actions_requested([envelope_of(redispatch)])
    await province.projected()
    assert await province.listed("escalated=true") == [], "sent on by the supervisor: off the queue"
    assert await province.listed("overdue=true") == [], "the new form's clocks start afresh"
    assert await province.listed("department=business") == [order.work_order_id]
