"""Dispatch's routing decision with a province's table of 100 rules (each narrowed by supply area,
category and tier, as operators write them), against a table of one rule (the raw baseline), in
process and interleaved. A fifth of the work orders match no rule and go to the catch-all: the longest
walk through the table."""

import time
from dataclasses import dataclass
from datetime import UTC, datetime

from contracts.events import Area, AreaKind, Customer, CustomerTier, WorkOrderCreatedV1, WorkOrderType
from services.dispatch.domain.routing import RuleTable

RULES, ORDERS, ROUNDS = 100, 20_000, 5
TYPES = list(WorkOrderType)
KINDS = list(AreaKind)


@dataclass(frozen=True)
class RoutingFigures:
    rules: int
    decisions: int
    per_s: float
    one_rule_per_s: float

    @property
    def ratio(self) -> float:
        return self.per_s / self.one_rule_per_s


def table(rules: int) -> RuleTable:
    """`rules` rules, each for its own supply area (so none hides another), and the catch-all."""
    listed = [
        {
            "type": TYPES[n % len(TYPES)].value,
            "areas": [f"area-{n}"],
            "categories": [f"category-{n % 7}"] if n % 3 else [],
            "tiers": [CustomerTier.HIGH.value] if n % 5 == 0 else [],
            "department": f"department-{n % 20}",
        }
        for n in range(rules)
    ]
    default = {"department": "business"}
    return RuleTable.model_validate({"rules": listed, "default": default})


def work_order(n: int) -> WorkOrderCreatedV1:
    area = n % (RULES + RULES // 4)  # areas past the table's last match no rule
    return WorkOrderCreatedV1(
        work_order_id=f"WO-ROUTE-{n}",
        contact_id=f"C-ROUTE-{n}",
        province="yn",
        type=TYPES[area % len(TYPES)],
        channel="web",
        created_at=datetime(2026, 12, 1, tzinfo=UTC),
        customer=Customer(phone="+8613900000000", tier=CustomerTier.HIGH if n % 2 else None),
        description="停电",
        area=Area(code=f"area-{area}", name="区", city="昆明市", kind=KINDS[n % len(KINDS)]),
        category=f"category-{area % 7}",
    )


def routing_bench() -> RoutingFigures:
    orders = [work_order(n) for n in range(ORDERS)]
    wide, one = table(RULES), table(1)
    seconds = {RULES: 0.0, 1: 0.0}
    for round_ in range(ROUNDS):
        # Each goes first every other round: neither gains from a cache the other warmed.
        for rules in (wide, one) if round_ % 2 else (one, wide):
            began = time.perf_counter()
            for order in orders:
                rules.route(order)
            seconds[len(rules.rules)] += time.perf_counter() - began
    decisions = ORDERS * ROUNDS
    return RoutingFigures(RULES, decisions, decisions / seconds[RULES], decisions / seconds[1])
