"""What channels and departments post: contacts and replies, each put on the bus with its audit record
before the 202."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from uuid import NAMESPACE_URL, uuid4, uuid5

from aiokafka.errors import KafkaError
from fastapi import FastAPI, Header, Request

from contracts.events import SEALED_PHONE, Channel, ContactReceivedV1, DepartmentRepliedV1, Event, ReplyKind
from contracts.lifecycle import Step
from contracts.topics import Topics
from plumbing.bus import EventPublisher
from services.gateway.audit import AuditWriter
from services.gateway.dispatch_lookup import DispatchLookup
from services.gateway.idempotency import KeyBook, digest_of, held_to_its_body
from services.gateway.lifecycle_checks import step_allowed
from services.gateway.principals import Caller, may_post_contact, may_reply_for
from services.gateway.problems import AuditNotRecorded, Conflict
from services.gateway.schemas import Accepted, DepartmentReply, Problem, WebContact
from services.gateway.seal import Seal

# 409: an Idempotency-Key that came with another body before.
ANSWERS: dict[int | str, dict[str, object]] = {
    status: {"model": Problem} for status in (400, 401, 403, 404, 409, 413, 422, 429, 503)
}
IdempotencyKey = Annotated[
    str | None, Header(max_length=128, description="Retries with the same key give the same id.")
]


def stable_id(prefix: str, scope: str, key: str | None) -> str:
    return f"{prefix}-" + (uuid5(NAMESPACE_URL, f"hotline:{scope}:{key}") if key else uuid4()).hex.upper()


def _event_id(scope: str, key: str | None) -> str | None:
    """A retried post is the same event: consumers that drop duplicates by CloudEvents id drop it too."""
    return str(uuid5(NAMESPACE_URL, f"hotline:event:{scope}:{key}")) if key else None


@dataclass(frozen=True)
class Published:
    """An event a call puts on the bus: `resource` is what the 202 names, `scope` and `key` what a retry
    is known by; `audited_as`, the resource the audit record names where that is not `resource` (the
    work order an action is about)."""

    event: Event
    topic: str
    resource: str
    scope: str
    key: str | None
    audited_as: str | None = None
    status: int = 202  # what the caller is answered (Open311's POST is answered 200)
    # What a key is held to, where the body alone is not the request (Open311's, whose parameters may
    # come in the query too): else the path and the body.
    digest: str | None = None


async def publish_audited(
    publisher: EventPublisher, audit: AuditWriter, request: Request, caller: Caller, published: Published
) -> Accepted:
    """The event on the bus, then its audit record: answered 202 only once both are acknowledged. The
    record follows the event, so it never tells of a call that was not taken; when the record alone
    fails, the caller is told so (503) and its retry with the same key is the same event and record. A
    key that came with another body before is refused (409): its event would be dropped as a repeat."""
    resource, key = published.resource, published.key
    if key is not None:
        keys: KeyBook = request.app.state.idempotency
        digest = published.digest or digest_of(request.url.path, await request.body())
        if not await held_to_its_body(keys, published.scope, key, digest, request.app.state.log):
            raise Conflict("this key came with another request before: a new request takes a new key")
    audited = published.audited_as or resource
    entry = audit.entry(
        request, caller, outcome="accepted", status=published.status, resource=audited, key=key
    )
    event_id = _event_id(published.scope, key)
    await publisher.publish(published.event, published.topic, event_id=event_id)
    try:
        await audit.record(entry)
    except KafkaError as error:
        raise AuditNotRecorded(resource) from error
    return Accepted(id=resource)


def contact_event(
    contact: WebContact,
    channel: Channel,
    contact_id: str,
    province: str,
    seal: Seal,
    external_ref: str | None,
) -> ContactReceivedV1:
    """The contact as the bus carries it, whatever channel it came on."""
    return ContactReceivedV1(
        contact_id=contact_id,
        channel=channel,
        received_at=datetime.now(UTC),
        province=province,
        # Sealed here, as it arrives: no topic, store or log of any service holds it in clear.
        phone=SEALED_PHONE if contact.anonymous else contact.phone,
        sealed_reporter=seal.seal(contact.phone) if contact.anonymous else None,
        customer_name=contact.customer_name,
        address=contact.address,
        account_number=contact.account_number,
        requested_type=contact.type,
        category=contact.category,
        details=contact.details,
        description=contact.description,
        anonymous=contact.anonymous,
        external_ref=external_ref,
        latitude=contact.latitude,
        longitude=contact.longitude,
    )


def text_contact(
    contact_id: str,
    province: str,
    phone: str,
    text: str,
    external_ref: str,
    received_at: datetime,
    reply_code: str | None = None,
) -> ContactReceivedV1:
    """A customer's text as the bus carries it, whichever SMS gateway brought it."""
    return ContactReceivedV1(
        contact_id=contact_id,
        channel=Channel.SMS,
        received_at=received_at,
        province=province,
        phone=phone,
        description=text or "(empty message)",
        external_ref=external_ref,
        reply_code=reply_code,
    )


def add_posts(
    app: FastAPI,
    Authenticated: Any,
    publisher: EventPublisher,
    audit: AuditWriter,
    dispatches: DispatchLookup,
    topics: Topics,
    province: str,
    seal: Seal,
) -> None:
    async def accepted(
        request: Request, caller: Caller, event: Event, topic: str, resource: str, scope: str, key: str | None
    ) -> Accepted:
        return await publish_audited(
            publisher, audit, request, caller, Published(event, topic, resource, scope, key)
        )

    @app.post("/v1/contacts/web", status_code=202, responses=ANSWERS, name="contact.post")
    async def post_web_contact(
        request: Request, contact: WebContact, caller: Authenticated, idempotency_key: IdempotencyKey = None
    ) -> Accepted:
        """Accept a contact: the 202 is sent only once the bus has stored it."""
        may_post_contact(caller, province, Channel.WEB.value)
        # The key is the caller's: another principal's same key is another contact.
        scope = f"web:{caller.principal.id}"
        contact_id = stable_id("C", scope, idempotency_key)
        event = contact_event(contact, Channel.WEB, contact_id, province, seal, contact.external_ref)
        return await accepted(request, caller, event, topics.contacts, contact_id, scope, idempotency_key)

    @app.post("/v1/departments/{department}/replies", status_code=202, responses=ANSWERS, name="reply.post")
    async def post_department_reply(
        request: Request,
        department: str,
        reply: DepartmentReply,
        caller: Authenticated,
        idempotency_key: IdempotencyKey = None,
    ) -> Accepted:
        """A department's reply to a dispatch sent to it; another's dispatch is 403, one this province
        never sent 404, one replaced by a re-dispatch or already answered finally 409, and nothing is
        published for any of them."""
        may_reply_for(caller, province, department)
        case = await dispatches.sent_to(department, reply.work_order_id, reply.dispatch_id)
        step_allowed(case, Step.FINAL_REPLY if reply.kind is ReplyKind.FINAL else Step.INTERIM_REPLY)
        scope = f"reply:{caller.principal.id}"
        reply_id = stable_id("R", scope, idempotency_key)
        event = DepartmentRepliedV1(
            reply_id=reply_id,
            work_order_id=reply.work_order_id,
            dispatch_id=reply.dispatch_id,
            department=department,
            kind=reply.kind,
            message=reply.message,
            responder=reply.responder,
            replied_at=datetime.now(UTC),
        )
        return await accepted(
            request, caller, event, topics.department_replies, reply_id, scope, idempotency_key
        )
