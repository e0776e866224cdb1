"""Routing: the operator's table sends each work order to a department by its type and, where a rule
wants, its category, city, supply area (or the area's kind) and the customer's tier; the first rule that
matches wins and the catch-all takes the rest. A table with problems is refused with each one listed,
and dispatch takes an edited table without a restart while a bad edit leaves the last good one routing."""

import json
from pathlib import Path

import pytest

from contracts.events import Area, AreaKind, CustomerTier
from plumbing.watched_file import WatchedFile
from services.dispatch.domain.routing import RuleTable
from tests.unit.test_dispatch import a_work_order

TIANHE = Area(code="gz-tianhe", name="天河供电区", city="广州市", district="天河区", kind=AreaKind.URBAN)
CONGHUA = Area(code="gz-conghua", name="从化供电区", city="广州市", district="从化区", kind=AreaKind.REMOTE)
SHENZHEN = Area(code="sz-futian", name="福田供电区", city="深圳市", district="福田区", kind=AreaKind.URBAN)


def rule(type_: str, department: str, **wants: list[str]) -> dict[str, object]:
    return {"type": type_, "department": department, **wants}


TABLE = {
    "rules": [
        rule("fault_repair", "repair-tianhe", areas=["gz-tianhe"]),
        rule("fault_repair", "repair-county", area_kinds=["remote"]),
        rule("fault_repair", "repair-sz", cities=["深圳市"]),
        rule("complaint", "vip-desk", categories=["billing", "tariff"], tiers=["high"]),
        rule("complaint", "billing", categories=["billing", "tariff"]),
        rule("report", "discipline"),
    ],
    "default": {"department": "business"},
}
RULES = RuleTable.model_validate(TABLE)


def an_order(type_: str = "fault_repair", area: Area | None = None, category: str | None = None, tier=None):
    order = a_work_order(type_)
    customer = order.customer.model_copy(update={"tier": tier})
    return order.model_copy(update={"area": area, "category": category, "customer": customer})


@pytest.mark.parametrize(
    ("sentence", "order", "department"),
    [
        ("a fault in Tianhe goes to Tianhe's crew", an_order(area=TIANHE), "repair-tianhe"),
        ("a fault in a remote area goes to the county crew", an_order(area=CONGHUA), "repair-county"),
        ("a fault anywhere in Shenzhen goes to Shenzhen's crew", an_order(area=SHENZHEN), "repair-sz"),
        ("a fault placed in no area goes to the catch-all", an_order(), "business"),
        (
            "a billing complaint of a high-tier customer goes to the VIP desk",
            an_order("complaint", category="billing", tier=CustomerTier.HIGH),
            "vip-desk",
        ),
        (
            "a billing complaint of anyone else goes to billing",
            an_order("complaint", category="tariff"),
            "billing",
        ),
        (
            "a complaint of another business goes to the catch-all",
            an_order("complaint", category="outages"),
            "business",
        ),
        (
            "a report goes to discipline inspection, wherever it is",
            an_order("report", area=TIANHE),
            "discipline",
        ),
        ("a type no rule names goes to the catch-all", an_order("praise"), "business"),
    ],
)
def test_a_work_order_goes_to_the_first_rule_it_matches(sentence, order, department):
    assert RULES.route(order).department == department, sentence


def test_the_shipped_table_sends_each_type_to_its_department():
    shipped = RuleTable.load()
    routed = {kind: shipped.route(an_order(kind)).department for kind in ("fault_repair", "report", "praise")}
    assert routed == {"fault_repair": "repair", "report": "discipline", "praise": "business"}


def mistake(where: str, **fields: str):
    return lambda table: table["rules"][int(where)].update(fields)


@pytest.mark.parametrize(
    ("sentence", "change", "problem"),
    [
        ("no catch-all", lambda table: table.pop("default"), "default: Field required"),
        ("an unknown type", mistake("0", type="gossip"), "rules.0.type"),
        ("a department that is no topic name", mistake("0", department="Repair Team"), "rules.0.department"),
        (
            "a rule no work order can reach",
            lambda table: table["rules"].append(TABLE["rules"][4]),
            "rules.6: never matches, rule 4",
        ),
        (
            "a narrower rule behind a wider one",
            lambda table: table["rules"].insert(5, TABLE["rules"][3]),
            "rules.5: never matches, rule 3",
        ),
    ],
)
def test_a_table_with_a_problem_is_refused_naming_the_file_and_the_problem(
    tmp_path, sentence, change, problem
):
    table = json.loads(json.dumps(TABLE))
    change(table)
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(table))
    with pytest.raises(ValueError, match=r"rules\.json") as refused:
        RuleTable.load(path)
    assert problem in str(refused.value), sentence


def test_an_edited_table_routes_at_once_and_a_bad_edit_leaves_the_last_good_one_routing(tmp_path: Path):
    path = tmp_path / "rules.json"
    path.write_text(json.dumps(TABLE))
    refused: list[str] = []
    rules = WatchedFile(
        path, RuleTable.load, check_every=0, refused=lambda _, problems: refused.append(problems)
    )
    assert rules.current.route(an_order("report")).department == "discipline"
    edited = json.loads(json.dumps(TABLE))
    edited["rules"][5]["department"] = "inspection"
    path.write_text(json.dumps(edited) + " ")  # another size: seen as changed within the same clock tick
    assert rules.current.route(an_order("report")).department == "inspection"
    path.write_text('{"rules": [')
    assert rules.current.route(an_order("report")).department == "inspection"
    assert len(refused) == 1
    assert rules.current.route(an_order("report")).department == "inspection"
    assert len(refused) == 1, "each bad edit is reported once"
