"""A storm replayed on the real stack with intake killed (kill -9) and started again in the middle:
exactly one incident per area and category is dispatched, every reporter is linked exactly once, nothing
is lost (issue: intake in depth, storms)."""

import asyncio
from typing import Any

from pymongo import AsyncMongoClient

from contracts.envelope import decode
from contracts.ids import fault_cluster_id_for, work_order_id_for
from contracts.topics import Topics
from tests.support.processes import ServiceProcess
from tests.support.running import Tap, database_name, eventually, running_subsystem, service_env
from tests.support.storm_replay import CATEGORIES, Replay, area_table, incidents_of, post_storm

PROVINCE = "ha"
TOPICS = Topics(PROVINCE)
REPORTS = 5000


async def test_a_storm_replayed_with_intake_killed_midway_dispatches_one_incident_per_area_and_category(
    stack, tmp_path
):
    areas = tmp_path / "areas.json"
    codes = area_table(PROVINCE, areas)
    settings = {"AREAS_PATH": str(areas)}
    intake = ServiceProcess(
        "intake", service_env(stack, PROVINCE, "intake") | settings, tmp_path / "intake.log"
    )
    store: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(stack.mongodb_uri, tz_aware=True)
    clusters = store[database_name(PROVINCE, "intake")]["fault_clusters"]
    cluster_ids = [
        fault_cluster_id_for(PROVINCE, code, category) for code in codes for category in CATEGORIES
    ]
    restarted: list[asyncio.Task[None]] = []
    try:
        await intake.start()
        async with (
            running_subsystem(
                stack, PROVINCE, services=["gateway", "dispatch"], settings=settings
            ) as subsystem,
            Tap(stack, TOPICS.workorders) as announced,
            Tap(stack, TOPICS.department("repair")) as repair_desk,
        ):
            replay = Replay(REPORTS)

            async def kill_and_restart(accepted: int) -> None:
                if accepted == REPORTS // 3:
                    intake.kill()
                elif accepted == 2 * REPORTS // 3:
                    restarted.append(asyncio.create_task(intake.start()))

            await post_storm(subsystem.gateway, replay, kill_and_restart)
            await asyncio.gather(*restarted)
            assert len(replay.accepted) == REPORTS

            async def every_report_placed() -> list[dict[str, Any]] | None:
                found = [await clusters.find_one({"_id": cluster_id}) for cluster_id in cluster_ids]
                kept = [document for document in found if document is not None]
                placed = sum(len(document["current"]["reporters"]) for document in kept)
                return kept if len(kept) == len(cluster_ids) and placed >= REPORTS else None

            kept = await eventually(every_report_placed, timeout=300, every=1)
            reporters = [contact for document in kept for contact in document["current"]["reporters"]]
            assert sorted(reporters) == sorted(replay.accepted), "every report once, none lost"
            assert all(document["earlier"] == [] for document in kept), "one incident per area and category"
            for document in kept:
                area, category = document["area"]["code"], document["category"]
                assert {replay.place[c] for c in document["current"]["reporters"]} == {
                    (codes.index(area) + 1, category)
                }
            openers = {document["current"]["work_order_id"] for document in kept}

            async def all_dispatched() -> set[str] | None:
                await repair_desk.poll()
                sent = {record.key.decode() for record in repair_desk.records}
                return sent if openers <= sent else None

            sent = await eventually(all_dispatched, timeout=120, every=0.5)
            assert sent == openers, "only the incidents are dispatched"

            async def every_link_announced() -> dict[str, set[str]] | None:
                await announced.poll()
                links = _links(announced.records)
                return links if len(links) >= REPORTS - len(openers) else None

            links = await eventually(every_link_announced, timeout=120, every=0.5)
            opening = {c for c in replay.accepted if work_order_id_for(c) in openers}
            assert set(links) == set(replay.accepted) - opening, "every other reporter linked"
            assert all(len(to) == 1 for to in links.values()), "each linked to one work order, once"
            assert set(incidents_of(announced.records)) == {d["current"]["id"] for d in kept}
    finally:
        intake.stop()
        await store.close()


def _links(records: list[Any]) -> dict[str, set[str]]:
    """Each linked contact -> the work orders it was linked to (a resent event is the same link)."""
    links: dict[str, set[str]] = {}
    for record in records:
        if dict(record.headers).get("ce_type") == b"hotline.contact.linked.v1":
            event = decode(dict(record.headers), record.key, record.value).data
            links.setdefault(event.contact_id, set()).add(event.work_order_id)
    return links
