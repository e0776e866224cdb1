"""The dispatch lifecycle through the gateway: departments accept, report on site and return their
dispatches; owners and supervisors chase, urge, re-dispatch, close and reopen; a step the work order's
state does not allow is 409 with the states it needs, and nothing is posted."""

from dataclasses import replace
from datetime import timedelta

from contracts.events import DepartmentActedV1, DispatchActionRequestedV1, ReplyKind, RoutingTableInForceV1
from contracts.lifecycle import State
from services.dispatch.domain.dispatch import Dispatch
from services.gateway.case_files import ReplyNote, StepNote
from services.gateway.handlers import GatewayHandlers
from services.gateway.routing_copy import InMemoryRoutingCopy
from tests.fake_case_files import OPENED, REPAIR_CASE, InMemoryCaseFiles
from tests.fake_dispatch import a_reply, a_request, a_work_order, an_act, dispatch_service
from tests.fakes import InMemoryAuditTrail, InMemoryStore, envelope_of
from tests.unit.test_agent_desk import call


def after(step: str, state: State, seq: int = 2, **changes):
    note = StepNote(f"S-{seq}", seq, step, state, OPENED, "gd.agent", "repair", "WO-1-D1", **changes)
    return InMemoryCaseFiles(replace(REPAIR_CASE, steps=(*REPAIR_CASE.steps, note)))


ACCEPT = {"work_order_id": "WO-1", "dispatch_id": "WO-1-D1", "action": "accept"}


async def test_the_department_accepts_its_dispatch_and_the_acceptance_goes_to_dispatch():
    answer, publisher = await call(
        "POST", "/v1/departments/repair/actions", "gd.department.repair", json=ACCEPT
    )
    assert answer.status_code == 202, answer.text
    (accepted,) = publisher.published
    assert isinstance(accepted, DepartmentActedV1)
    assert (accepted.work_order_id, accepted.department, accepted.action) == ("WO-1", "repair", "accept")
    assert publisher.topics == ["gd.dispatch.replies"]


async def test_accepting_an_accepted_dispatch_is_409_naming_the_state_it_needs():
    cases = after("accepted", State.ACCEPTED)
    answer, publisher = await call(
        "POST", "/v1/departments/repair/actions", "gd.department.repair", cases, json=ACCEPT
    )
    assert answer.status_code == 409
    assert answer.headers["content-type"] == "application/problem+json"
    assert answer.json()["detail"] == "WO-1 is accepted: accepted is taken only when it is dispatched"
    assert publisher.published == []


async def test_a_return_without_its_reason_is_422():
    body = ACCEPT | {"action": "return"}
    answer, _ = await call("POST", "/v1/departments/repair/actions", "gd.department.repair", json=body)
    assert answer.status_code == 422
    assert "a return gives its reason" in answer.text


async def test_closing_before_the_departments_result_is_409_and_after_it_is_posted():
    body = {"action": "close", "reason": "已电话告知客户处理结果"}
    early, publisher = await call("POST", "/v1/work-orders/WO-1/dispatch-actions", "gd.agent", json=body)
    assert early.status_code == 409
    assert "closed is taken only when it is resolved" in early.json()["detail"]
    assert publisher.published == []
    resolved = after("accepted", State.RESOLVED)
    answer, publisher = await call(
        "POST", "/v1/work-orders/WO-1/dispatch-actions", "gd.agent", resolved, json=body
    )
    assert answer.status_code == 202
    (closing,) = publisher.published
    assert isinstance(closing, DispatchActionRequestedV1)
    assert (closing.action, closing.by, closing.reason) == ("close", "gd.agent", body["reason"])
    assert publisher.topics == ["gd.dispatch-actions"]


async def test_only_a_redispatch_names_a_department_and_one_without_leaves_it_to_the_routing_table():
    urge = {"action": "urge", "reason": "请加快处理", "department": "billing"}
    answer, _ = await call("POST", "/v1/work-orders/WO-1/dispatch-actions", "gd.supervisor", json=urge)
    assert answer.status_code == 422
    assert "only a redispatch names a department" in answer.text
    send_on = {"action": "redispatch", "reason": "非本单位业务"}
    answer, publisher = await call(
        "POST", "/v1/work-orders/WO-1/dispatch-actions", "gd.supervisor", json=send_on
    )
    assert answer.status_code == 202, answer.text
    (asked,) = publisher.published
    assert (asked.action, asked.department) == ("redispatch", None)


def routing_table(*departments: str) -> InMemoryRoutingCopy:
    announced = RoutingTableInForceV1(
        province="gd",
        departments=sorted(departments),
        default_department=departments[0],
        digest="0" * 64,
        loaded_at=OPENED,
    )
    return InMemoryRoutingCopy(announced)


async def test_a_redispatch_to_a_department_the_routing_table_does_not_name_is_422_listing_those_it_does():
    body = {"action": "redispatch", "reason": "转营销部", "department": "marketing"}
    routing = routing_table("business", "billing", "repair")
    path = "/v1/work-orders/WO-1/dispatch-actions"
    answer, publisher = await call("POST", path, "gd.supervisor", routing=routing, json=body)
    assert answer.status_code == 422
    assert answer.headers["content-type"] == "application/problem+json"
    assert "'marketing' is not in gd's routing table" in answer.json()["detail"]
    assert "it names billing, business, repair" in answer.json()["detail"]
    assert publisher.published == []
    known, publisher = await call(
        "POST", path, "gd.supervisor", routing=routing, json=body | {"department": "billing"}
    )
    assert known.status_code == 202, known.text
    assert [asked.department for asked in publisher.published] == ["billing"]


async def test_before_dispatch_announces_its_routing_table_a_named_department_is_left_to_dispatch():
    body = {"action": "redispatch", "reason": "转营销部", "department": "marketing"}
    answer, publisher = await call(
        "POST", "/v1/work-orders/WO-1/dispatch-actions", "gd.supervisor", json=body
    )
    assert answer.status_code == 202, answer.text
    assert [asked.department for asked in publisher.published] == ["marketing"]


async def test_the_gateway_keeps_the_routing_table_read_last_whatever_order_replicas_announce_in():
    copy = InMemoryRoutingCopy()
    gateway = GatewayHandlers(InMemoryAuditTrail(), InMemoryCaseFiles(), copy)
    later = routing_table("business", "repair").announced
    assert later is not None
    earlier = later.model_copy(update={"departments": ["business"], "loaded_at": OPENED - timedelta(hours=1)})
    await gateway.routing_announced([envelope_of(later), envelope_of(earlier)])
    kept = await copy.in_force()
    assert kept is not None
    assert kept.departments == ["business", "repair"]


async def test_a_reply_to_a_form_replaced_by_a_redispatch_is_409():
    second = replace(REPAIR_CASE.dispatches[0], dispatch_id="WO-1-D1-2", dispatched_at=OPENED + timedelta(1))
    cases = InMemoryCaseFiles(replace(REPAIR_CASE, dispatches=(*REPAIR_CASE.dispatches, second)))
    reply = {"work_order_id": "WO-1", "dispatch_id": "WO-1-D1", "kind": "final", "message": "已修复"}
    answer, publisher = await call(
        "POST", "/v1/departments/repair/replies", "gd.department.repair", cases, json=reply
    )
    assert answer.status_code == 409
    assert answer.json()["detail"] == "dispatch WO-1-D1 was replaced by WO-1-D1-2: act on that one"
    assert publisher.published == []


async def test_the_case_file_follows_dispatchs_steps_and_shows_them_in_the_history():
    store: InMemoryStore[Dispatch] = InMemoryStore()
    order = a_work_order("query")
    dispatch = dispatch_service(store).handlers
    await dispatch.work_orders_created([envelope_of(order)])
    department = {"department": "billing"}
    await dispatch.departments_acted([envelope_of(an_act(order, "accept", **department))])
    await dispatch.departments_replied([envelope_of(a_reply(order, kind="interim", **department))])
    await dispatch.actions_requested([envelope_of(a_request(order, "redispatch", department="business"))])
    cases = InMemoryCaseFiles()
    gateway = GatewayHandlers(InMemoryAuditTrail(), cases)
    await gateway.progress(
        [envelope for topic, envelope in store.bus.published if topic == "gd.dispatch.progress"]
    )
    case = await cases.find(order.work_order_id)
    assert case is not None
    assert case.dispatch_state is State.DISPATCHED
    assert [(d.department, d.dispatch_id) for d in case.dispatches] == [
        ("billing", f"{order.work_order_id}-D1"),
        ("business", f"{order.work_order_id}-D1-2"),
    ]
    assert [(s.step, s.state) for s in case.steps] == [
        ("accepted", "accepted"),
        ("redispatched", "dispatched"),
    ]
    answer, _ = await call("GET", f"/v1/work-orders/{order.work_order_id}", "gd.supervisor", cases)
    shown = answer.json()
    assert shown["dispatch_state"] == "dispatched"
    assert [s["step"] for s in shown["steps"]] == ["accepted", "redispatched"]


def test_a_departments_view_keeps_where_the_work_order_stands_though_it_shows_only_its_own_steps():
    accepted = StepNote("S-2", 2, "accepted", State.ACCEPTED, OPENED, "repair", "repair", "WO-1-D1")
    moved = StepNote(
        "S-3", 3, "redispatched", State.DISPATCHED, OPENED, "gd.supervisor", "billing", "WO-1-D1-2"
    )
    case = replace(REPAIR_CASE, steps=(accepted, moved))
    view = case.for_department("repair")
    assert [s.step for s in view.steps] == ["accepted"]
    assert view.dispatch_state is State.DISPATCHED


def test_a_reopened_work_order_is_dispatched_again_not_answered():
    final = ReplyNote("WO-1-D1", "repair", ReplyKind.FINAL, "已修复", OPENED, True, State.RESOLVED, 2)
    reopened = StepNote("S-3", 3, "reopened", State.DISPATCHED, OPENED, "gd.agent", "repair", "WO-1-D1-2")
    assert replace(REPAIR_CASE, replies=(final,)).status == "answered"
    assert replace(REPAIR_CASE, replies=(final,), steps=(reopened,)).status == "dispatched"
