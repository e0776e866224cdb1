"""A storm on the real store: intake replicas racing on one area's fault cluster still open one incident
and link every report once (FerretDB lets one conditioned write win, with the write guard)."""

import asyncio
import json
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any
from uuid import uuid4

from contracts.events import ContactReceivedV1
from contracts.ids import fault_cluster_id_for, work_order_id_for
from contracts.topics import Topics
from plumbing.mongo_repository import MongoRepository
from plumbing.outbox import OutboxRelay
from plumbing.repository import ConcurrentChange
from services.intake.adapters import (
    FaultClusterDocuments,
    MongoOutages,
    MongoWorkOrders,
    OutageDocuments,
    WorkOrderDocuments,
)
from services.intake.domain.areas import AreaTable
from services.intake.domain.duty import roster_for
from services.intake.domain.storms import DEFAULT_STORM_RULES, StormRules
from services.intake.handlers import IntakeHandlers
from services.intake.ports import IntakeUnit
from tests.fake_directory import InMemoryCustomerDirectory
from tests.fakes import envelope_of
from tests.integration.test_repositories import NOW, PROVINCE, RULES, SOURCE, a_contact

REPLICAS = 6
REPORTS = 36
AREA = {
    "province": PROVINCE,
    "areas": [
        {
            "code": "nn-qingxiu",
            "name": "青秀供电区",
            "city": "南宁市",
            "kind": "urban",
            "address_prefixes": ["南宁市青秀区"],
        }
    ],
}


def replicas_on(database: Any, broker: Any, areas: AreaTable) -> tuple[list[IntakeHandlers], Any, Any]:
    """Intake replicas on their own collections of the test database; and those collections."""
    suffix = uuid4().hex[:8]
    orders, clusters = database[f"work_orders_{suffix}"], database[f"fault_clusters_{suffix}"]
    outages = database[f"outages_{suffix}"]
    storms = StormRules.load(DEFAULT_STORM_RULES, RULES.fields)

    def unit() -> IntakeUnit:
        return IntakeUnit(
            SOURCE,
            MongoWorkOrders(orders, OutboxRelay(orders, broker), WorkOrderDocuments()),
            MongoRepository(
                clusters, OutboxRelay(clusters, broker), FaultClusterDocuments(), derived_ids=False
            ),
            MongoOutages(outages, OutboxRelay(outages, broker), OutageDocuments()),
        )

    roster = roster_for(PROVINCE, None)
    return (
        [
            IntakeHandlers(
                unit,
                InMemoryCustomerDirectory(),
                RULES,
                storms,
                areas,
                roster,
                Topics(PROVINCE),
                lambda: NOW,
                first_turn=0,
            )
            for _ in range(REPLICAS)
        ],
        orders,
        clusters,
    )


async def take(replica: IntakeHandlers, contacts: Sequence[ContactReceivedV1]) -> None:
    """As the consumer does: a batch that keeps losing its race is redelivered."""
    while True:
        try:
            return await replica.contacts_received([envelope_of(contact) for contact in contacts])
        except ConcurrentChange:
            await asyncio.sleep(0.05)


async def test_replicas_racing_on_one_area_open_one_incident_and_link_every_report_once(
    store, tmp_path: Path
):
    database, broker = store
    table = tmp_path / "areas.json"
    table.write_text(json.dumps(AREA), encoding="utf-8")
    replicas, orders, clusters = replicas_on(database, broker, AreaTable.load(table, PROVINCE))
    reports = [
        # Each from a customer of their own: the same one again would be a repeat of their report.
        a_contact(
            address=f"南宁市青秀区民族大道 {n} 号",
            received_at=NOW + timedelta(seconds=n),
            phone=f"+86139077{n:05d}",
        )
        for n in range(REPORTS)
    ]

    async def replica(number: int) -> None:
        mine = reports[number::REPLICAS]
        for report in mine:
            await take(replicas[number], [report])
        await take(replicas[number], mine[:2])  # redelivered after a rebalance

    await asyncio.gather(*(replica(number) for number in range(REPLICAS)))

    cluster = await clusters.find_one({"_id": fault_cluster_id_for(PROVINCE, "nn-qingxiu", "no_power")})
    assert cluster is not None
    reporters = cluster["current"]["reporters"]
    assert sorted(reporters) == sorted(report.contact_id for report in reports), "each once, none lost"
    assert cluster["earlier"] == [], "one incident"
    [incident] = [document async for document in orders.find({})]
    assert incident["_id"] == work_order_id_for(reporters[0])
    assert incident["incident_id"] == cluster["current"]["id"]
    assert cluster["outbox"] == {}, "every link and count was published"
