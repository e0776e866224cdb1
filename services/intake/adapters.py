"""Intake's storage: the `work_orders` collection, one document per work order, `fault_clusters`, one
per area and fault category, and `outages`, one per known outage."""

import asyncio
from collections.abc import Iterable, Sequence
from typing import Any, ClassVar

from contracts.events import (
    Area,
    Channel,
    Customer,
    CustomerStandingV1,
    MissingField,
    OutageKind,
    WorkOrderType,
)
from plumbing.bus import EventPublisher
from plumbing.mongo_repository import MongoRepository
from services.intake.domain.incidents import FaultCluster, Incident
from services.intake.domain.outages import Outage
from services.intake.domain.work_order import WorkOrder
from services.intake.domain.work_order_outcomes import HistoryEntry, WorkOrderStatus
from services.intake.ports import OutageRepository, WorkOrderRepository

Document = dict[str, Any]


class WorkOrderDocuments:
    """Schema 2: the work order's fields at the top level, the customer and each history step nested,
    and `contacts`: its own contact and those linked to it, what a redelivered contact is found by.

    Schema 1 had no `contacts` (a unit of work that loads one rewrites it); schema 0 (before schemas
    were numbered) has the same fields. `area`, and then the per-type fields (`category`, `details`,
    `location`), `owner`, `missing`, each history step's `note` and `ref`, `incident_id`, `linked`,
    `open_for`, `sealed_reporter` and `link_target` came later as optional fields: a document without
    them has none (and is found by no repeat contact until it is next written).
    """

    schema: ClassVar[int] = 2
    indexes: ClassVar[tuple[str, ...]] = ("open_for", "contacts")

    def to_document(self, order: WorkOrder) -> Document:
        return {
            "contact_id": order.contact_id,
            "province": order.province,
            "type": order.type.value,
            "channel": order.channel.value,
            "created_at": order.created_at,
            "customer": order.customer.model_dump(),
            "address": order.address,
            "account_number": order.account_number,
            "description": order.description,
            "anonymous": order.anonymous,
            "sealed_reporter": order.sealed_reporter,
            "area": order.area.model_dump(mode="json") if order.area else None,
            "category": order.category,
            "details": order.details,
            "location": order.location,
            "owner": order.owner,
            "missing": [m.model_dump() for m in order.missing],
            "status": order.status.value,
            "incident_id": order.incident_id,
            "linked": order.linked,
            "link_target": order.link_target,
            "contacts": [order.contact_id, *order.linked],
            # Set while it is open: what a repeat contact of the customer finds it by.
            "open_for": order.repeat_keys(),
            "history": [
                {"at": step.at, "action": step.action, "by": step.by, "note": step.note, "ref": step.ref}
                for step in order.history
            ],
        }

    def from_document(self, document: Document, schema: int) -> WorkOrder:
        return WorkOrder(
            id=document["_id"],
            contact_id=document["contact_id"],
            province=document["province"],
            type=WorkOrderType(document["type"]),
            channel=Channel(document["channel"]),
            created_at=document["created_at"],
            customer=Customer.model_validate(document["customer"]),
            address=document.get("address"),
            account_number=document.get("account_number"),
            description=document["description"],
            anonymous=document["anonymous"],
            sealed_reporter=document.get("sealed_reporter"),
            area=Area.model_validate(document["area"]) if document.get("area") else None,
            category=document.get("category"),
            details=document.get("details") or {},
            location=document.get("location", False),
            owner=document.get("owner"),
            missing=[MissingField.model_validate(m) for m in document.get("missing") or []],
            status=WorkOrderStatus(document["status"]),
            history=[
                HistoryEntry(step["at"], step["action"], step["by"], step.get("note"), step.get("ref"))
                for step in document["history"]
            ],
            incident_id=document.get("incident_id"),
            linked=list(document.get("linked") or []),
            link_target=document.get("link_target"),
        )


class FaultClusterDocuments:
    """Schema 2: the area, the current incident and the earlier ones remembered (newest first), each
    nested with its reporters and whether it is closed.

    Schema 1 kept one earlier incident as `previous`, none of them closed."""

    schema: ClassVar[int] = 2
    indexes: ClassVar[tuple[str, ...]] = ()  # read by `_id` alone

    def to_document(self, cluster: FaultCluster) -> Document:
        return {
            "province": cluster.province,
            "area": cluster.area.model_dump(mode="json"),
            "category": cluster.category,
            "current": _incident_document(cluster.current),
            "earlier": [_incident_document(incident) for incident in cluster.earlier],
        }

    def from_document(self, document: Document, schema: int) -> FaultCluster:
        return FaultCluster(
            id=document["_id"],
            province=document["province"],
            area=Area.model_validate(document["area"]),
            category=document["category"],
            current=_incident(document["current"]),
            earlier=[
                incident
                for kept in (document.get("earlier") or [document.get("previous")])
                if (incident := _incident(kept)) is not None
            ],
        )


def _incident_document(incident: Incident | None) -> Document | None:
    if incident is None:
        return None
    return {
        "id": incident.id,
        "work_order_id": incident.work_order_id,
        "opened_at": incident.opened_at,
        "last_report_at": incident.last_report_at,
        "reporters": incident.reporters,
        "closed": incident.closed,
    }


def _incident(document: Document | None) -> Incident | None:
    if document is None:
        return None
    return Incident(
        id=document["id"],
        work_order_id=document["work_order_id"],
        opened_at=document["opened_at"],
        last_report_at=document["last_report_at"],
        reporters=list(document["reporters"]),
        closed=document.get("closed", False),
    )


class OutageDocuments:
    """Schema 1: the outage as last announced; `active_areas`, its areas until it is forgotten (a day
    after its end) and none after, is what fault reports look up (so outages long ended are never read
    again)."""

    schema: ClassVar[int] = 1
    indexes: ClassVar[tuple[str, ...]] = ("active_areas",)

    def to_document(self, outage: Outage) -> Document:
        return {
            "province": outage.province,
            "kind": outage.kind.value,
            "areas": outage.areas,
            "cause": outage.cause,
            "starts_at": outage.starts_at,
            "expected_restoration_at": outage.expected_restoration_at,
            "updated_at": outage.updated_at,
            "ended_at": outage.ended_at,
            "active_areas": [] if outage.forgotten else outage.areas,
            "forgotten": outage.forgotten,
            "history": outage.history,
        }

    def from_document(self, document: Document, schema: int) -> Outage:
        return Outage(
            id=document["_id"],
            province=document["province"],
            kind=OutageKind(document["kind"]),
            areas=list(document["areas"]),
            cause=document["cause"],
            starts_at=document["starts_at"],
            expected_restoration_at=document["expected_restoration_at"],
            updated_at=document["updated_at"],
            ended_at=document.get("ended_at"),
            history=list(document.get("history") or []),
            forgotten=document.get("forgotten", False),
        )


class MongoWorkOrders(MongoRepository[WorkOrder], WorkOrderRepository):
    async def placed(self, contact_ids: Iterable[str]) -> set[str]:
        # One indexed equality per contact, side by side (FerretDB 1.24 scans for `$in` and `$or`): its
        # own work order and the one it is linked to both list it in `contacts`.
        contacts = sorted(set(contact_ids))
        found = await asyncio.gather(
            *(self._collection.find_one({"contacts": c}, {"_id": 1}) for c in contacts)
        )
        return {c for c, document in zip(contacts, found, strict=True) if document is not None}

    async def open_for(self, keys: Iterable[str]) -> list[WorkOrder]:
        # One indexed equality per key, side by side (FerretDB 1.24 scans for `$in`).
        found = await asyncio.gather(
            *(self._collection.find({"open_for": key}).to_list() for key in sorted(set(keys)))
        )
        orders: dict[str, WorkOrder] = {}
        for document in (document for documents in found for document in documents):
            order = self._mapper.from_document(document, document.get("schema", 0))
            order.version = document.get("version", 0)
            orders[order.id] = order
        return list(orders.values())


class MongoOutages(MongoRepository[Outage], OutageRepository):
    async def active_in(self, area_codes: Iterable[str]) -> list[Outage]:
        codes = sorted(set(area_codes))
        if not codes:
            return []
        # One indexed equality per area (on the multikey index), side by side: an outage of several
        # areas is found once.
        found = await asyncio.gather(
            *(self._collection.find({"active_areas": code}).to_list() for code in codes)
        )
        outages = {d["_id"]: d for documents in found for d in documents}
        return [self._mapper.from_document(d, d.get("schema", 0)) for d in outages.values()]


class BusStandingsAnnouncer:
    """Standings straight onto their compacted topic (not through an outbox: each states the directory
    as it is, and the profile that caused it is redelivered, and announced again, if this fails)."""

    def __init__(self, publisher: EventPublisher, topic: str) -> None:
        self._publisher = publisher
        self._topic = topic

    async def announce(self, standings: Sequence[CustomerStandingV1]) -> None:
        await self._publisher.publish_many([(standing, None) for standing in standings], self._topic)
