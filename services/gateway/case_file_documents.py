"""Reading the gateway's case-file documents back: each work order's facts, dispatch forms, replies,
reclassifications and lifecycle steps, as MongoCaseFiles (services/gateway/adapters.py) wrote them."""

from dataclasses import replace
from datetime import datetime
from typing import Any

from contracts.events import Area, ClockReading, ReplyKind, WorkOrderType
from contracts.lifecycle import State
from plumbing.store import as_utc
from services.gateway.case_files import (
    CaseFacts,
    CaseFile,
    DispatchNote,
    Reclassification,
    ReplyNote,
    StepNote,
)

Document = dict[str, Any]


def case_file_of(document: Document) -> CaseFile:
    work_order_id = document["_id"]
    customer = document.get("customer", {})
    facts = CaseFacts(
        work_order_id=work_order_id,
        province=document["province"],
        type=WorkOrderType(document["type"]),
        description=document["description"],
        phone=customer["phone"],
        customer_name=customer.get("name"),
        home_region=customer.get("home_region"),
        address=document.get("address"),
        account_number=document.get("account_number"),
        channel=document.get("channel"),
        created_at=_aware(document.get("created_at")),
        anonymous=document.get("anonymous"),
        sealed_reporter=document.get("sealed_reporter"),
        tier=customer.get("tier"),
        priority=customer.get("priority"),
        area=Area.model_validate(document["area"]) if document.get("area") else None,
        category=document.get("category"),
        details=document.get("details"),
        owner=document.get("owner"),
        missing=tuple((m["name"], m["reason"]) for m in document["missing"])
        if "missing" in document
        else None,
        answer=document.get("answer"),
        incident_id=document.get("incident_id"),
        linked_to=document.get("linked_to"),
    )
    dispatches = [
        DispatchNote(
            d["dispatch_id"],
            d["department"],
            as_utc(d["dispatched_at"]),
            as_utc(d["reply_due_at"]),
            clocks_of(d.get("clocks")),
        )
        for d in document.get("dispatches", [])
    ]
    replies = [
        ReplyNote(
            r["dispatch_id"],
            r["department"],
            ReplyKind(r["kind"]),
            r["message"],
            as_utc(r["replied_at"]),
            r["on_time"],
            State(r["state"]) if r.get("state") else None,
            r.get("seq"),
            clocks_of(r.get("clocks")),
            r.get("escalated"),
        )
        for r in document.get("replies", [])
    ]
    lifecycle = sorted(
        (
            StepNote(
                **(
                    s
                    | {
                        "state": State(s["state"]),
                        "at": as_utc(s["at"]),
                        "clocks": clocks_of(s.get("clocks")),
                    }
                )
            )
            for s in document.get("steps", [])
        ),
        key=lambda step: step.seq,
    )
    dispatches.sort(key=lambda d: d.dispatched_at)
    replies.sort(key=lambda r: r.replied_at)
    steps = sorted(
        (
            Reclassification(
                WorkOrderType(r["type_from"]),
                r["category_from"],
                WorkOrderType(r["type_to"]),
                r["category_to"],
                r["reason"],
                r["by"],
                as_utc(r["at"]),
            )
            for r in document.get("reclassifications", [])
        ),
        key=lambda step: step.at,
    )
    if steps:  # the newest classification, whichever event about the work order was written last
        facts = replace(facts, type=steps[-1].type_to, category=steps[-1].category_to)
    return CaseFile(
        facts, tuple(dispatches), tuple(replies), document.get("reporters"), tuple(steps), tuple(lifecycle)
    )


def reply_document(note: ReplyNote) -> Document:
    """Without what a reply before 1.4 (or 1.5) did not carry: such a reply is kept once."""
    document = vars(note) | {"kind": note.kind.value, "state": note.state.value if note.state else None}
    document["clocks"] = clocks_document(note.clocks)
    optional = ("state", "seq", "clocks", "escalated")
    return {name: value for name, value in document.items() if value is not None or name not in optional}


def dispatch_document(note: DispatchNote) -> Document:
    document = vars(note) | {"clocks": clocks_document(note.clocks)}
    return {name: value for name, value in document.items() if value is not None or name != "clocks"}


def step_document(note: StepNote) -> Document:
    """Without what a step before 1.1 did not carry: such a step, redelivered, is kept once."""
    document = vars(note) | {"state": note.state.value, "clocks": clocks_document(note.clocks)}
    optional = ("clocks", "escalated")
    return {name: value for name, value in document.items() if value is not None or name not in optional}


def clocks_document(clocks: tuple[ClockReading, ...] | None) -> list[Document] | None:
    return None if clocks is None else [clock.model_dump() for clock in clocks]


def clocks_of(stored: list[Document] | None) -> tuple[ClockReading, ...] | None:
    if stored is None:
        return None
    return tuple(ClockReading.model_validate(clock) for clock in stored)


def _aware(moment: datetime | None) -> datetime | None:
    return as_utc(moment) if moment is not None else None
