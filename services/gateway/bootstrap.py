"""Gateway: multi-channel access; turns posts into events on the bus and answers readers. Its store
holds only what it keeps from events: each work order's case file (whose each dispatch is, too) and
the audit trail."""

from datetime import timedelta

from contracts.events import (
    DISPATCH_STEPS,
    AuditRecordedV1,
    CallbackAttemptedV1,
    ContactLinkedV1,
    ContactReceivedV1,
    CustomerProfileUpdatedV1,
    DepartmentActedV1,
    DepartmentRepliedV1,
    DispatchActionRequestedV1,
    Event,
    IncidentOpenedV1,
    IncidentUpdatedV1,
    OutageEndedV1,
    OutageRegisteredV1,
    OutageUpdatedV1,
    RoutingTableInForceV1,
    SmsDeliveryReportedV1,
    VoiceCallEventV1,
    WorkOrderAnsweredV1,
    WorkOrderCreatedV1,
    WorkOrderDispatchedV1,
    WorkOrderFieldsInForceV1,
    WorkOrderHandoverRequestedV1,
    WorkOrderInfoRequestedV1,
    WorkOrderInfoSuppliedV1,
    WorkOrderOwnerChangedV1,
    WorkOrderReclassificationRequestedV1,
    WorkOrderReclassifiedV1,
    WorkOrderRepliedV1,
)
from plumbing.bus import EventPublisher, declare_publication
from plumbing.consumer import Handler
from plumbing.runtime import Runtime, build_runtime
from plumbing.service import Service
from plumbing.stored_upgrades import upgrading
from plumbing.telemetry import Telemetry
from services.gateway.access import load_access
from services.gateway.adapters import MongoAuditTrail, MongoCaseFiles
from services.gateway.app import Readers, create_app
from services.gateway.case_files import CaseFiles
from services.gateway.fields_copy import FieldsCopy, InMemoryFieldsCopy, MongoFieldsCopy
from services.gateway.handlers import GatewayHandlers
from services.gateway.idempotency import InMemoryKeyBook, KeyBook, MongoKeyBook
from services.gateway.kannel_api import KannelSettings
from services.gateway.outages import MongoOutageBook, OutageBook
from services.gateway.password_book import InMemoryPasswordBook, MongoPasswordBook
from services.gateway.ports import AuditTrail
from services.gateway.privacy import FieldAccess
from services.gateway.routing_copy import InMemoryRoutingCopy, MongoRoutingCopy, RoutingCopy
from services.gateway.service_passwords import LockRule, PasswordBook, ServicePasswords
from services.gateway.settings import GatewaySettings
from services.gateway.voice_routing.feeds import VoiceRouting
from services.gateway.voice_routing.table import VoiceRoutingTable

SERVICE = "gateway"


def voice_routing(settings: GatewaySettings, runtime: Runtime) -> VoiceRouting:
    table = VoiceRoutingTable.for_province(settings.hotline_province, settings.gateway_voice_routing_path)
    if not table.cities:
        runtime.log.warning(
            "no voice routing table: every call to the public group (GATEWAY_VOICE_ROUTING_PATH)"
        )
    return VoiceRouting(table).fed(runtime, settings.topics)


def bootstrap(
    settings: GatewaySettings,
    *,
    telemetry: Telemetry | None = None,
    audit: AuditTrail | None = None,
    cases: CaseFiles | None = None,
    outages: OutageBook | None = None,
    routing: RoutingCopy | None = None,
    passwords: PasswordBook | None = None,
    fields: FieldsCopy | None = None,
) -> Service[GatewayHandlers]:
    """The running service; `audit`, `cases`, `outages`, `routing`, `passwords` and `fields` replace the
    store (tests pass in-memory ones)."""
    in_memory = audit is not None and cases is not None and outages is not None
    runtime = build_runtime(settings, SERVICE, telemetry=telemetry, store=not in_memory)
    keys: KeyBook = InMemoryKeyBook()  # with the case files in memory (tests), the keys are too
    if audit is None or cases is None:
        remembered = MongoKeyBook(runtime.database["idempotency_keys"])
        runtime.startup.append(remembered.ensure_indexes)
        runtime.loops.append(remembered.keep_forgetting)
        keys = remembered
        trail = MongoAuditTrail(runtime.database["audit"])
        files = MongoCaseFiles(runtime.database["case_files"])
        runtime.startup += [trail.ensure_indexes, files.ensure_indexes]
        runtime.loops.append(files.lists.keep_placing)
        upgrades = [
            files.lists.unlisted(),
            files.lists.due_by_the_hour(),
            files.lists.not_on_the_requested_list(),
        ]
        runtime.loops.append(upgrading(upgrades, runtime.database["upgrades"], runtime.log))
        audit, cases = trail, files
    if outages is None:
        book = MongoOutageBook(runtime.database["outages"])
        runtime.startup.append(book.ensure_indexes)
        outages = book
    if routing is None:
        routing = InMemoryRoutingCopy() if in_memory else MongoRoutingCopy(runtime.database["routing"])
    if fields is None:  # one document, found by _id
        fields = InMemoryFieldsCopy() if in_memory else MongoFieldsCopy(runtime.database["intake_fields"])
    if passwords is None:  # found by _id (the account) alone: no index to make
        passwords = (
            InMemoryPasswordBook() if in_memory else MongoPasswordBook(runtime.database["service_passwords"])
        )
    topics = settings.topics
    handlers = GatewayHandlers(audit, cases, routing, fields)
    consumer = runtime.consumer()
    announced = handlers.work_orders_announced
    consumer.subscribe(
        topics.workorders,
        {
            WorkOrderCreatedV1: announced,
            WorkOrderInfoRequestedV1: announced,
            WorkOrderOwnerChangedV1: announced,
            WorkOrderAnsweredV1: announced,
            IncidentOpenedV1: announced,
            IncidentUpdatedV1: announced,
            ContactLinkedV1: announced,
            WorkOrderReclassifiedV1: announced,
        },
        description="Each work order as intake opened it, kept for the API's readers and agents' lists.",
    )
    progress = handlers.progress  # one handler for every type: a batch of any is taken in one write
    steps: dict[type[Event], Handler] = {step: progress for step in DISPATCH_STEPS}
    consumer.subscribe(
        topics.dispatch_progress,
        {WorkOrderDispatchedV1: progress, WorkOrderRepliedV1: progress, **steps},
        description="Whose each dispatch form is and where each work order stands at dispatch (to refuse "
        "another department's steps and a step its state does not allow), and its history.",
    )
    consumer.subscribe(
        topics.audit, {AuditRecordedV1: handlers.audits_recorded}, description="The audit trail, kept."
    )
    consumer.subscribe(
        topics.routing,
        {RoutingTableInForceV1: handlers.routing_announced},
        description="The departments dispatch's routing table names, to refuse a re-dispatch to another.",
    )
    consumer.subscribe(
        topics.fields,
        {WorkOrderFieldsInForceV1: handlers.fields_announced},
        description="Intake's field rules, to describe each work-order type to Open311 clients.",
    )
    for topic, events, description in (
        (topics.contacts, [ContactReceivedV1], "Contacts accepted from any channel."),
        (topics.customers, [CustomerProfileUpdatedV1], "Customer profiles from billing and CRM systems."),
        (
            topics.department_replies,
            [DepartmentRepliedV1, DepartmentActedV1],
            "Departments' replies, acceptances, crews on site and returns.",
        ),
        (
            topics.dispatch_actions,
            [DispatchActionRequestedV1],
            "Agents' and supervisors' chases, urges, re-dispatches, escalations, closings, reopenings.",
        ),
        (
            topics.workorder_actions,
            [WorkOrderInfoSuppliedV1, WorkOrderHandoverRequestedV1, WorkOrderReclassificationRequestedV1],
            "What agents did to work orders.",
        ),
        (topics.audit, [AuditRecordedV1], "Every call through the API, accepted or refused."),
        (
            topics.voice,
            [VoiceCallEventV1, CallbackAttemptedV1],
            "Each event of each call, and each dial of a callback, as the CTI tells it.",
        ),
        (topics.sms_reports, [SmsDeliveryReportedV1], "Delivery reports of notify's texts."),
        (
            topics.outages,
            [OutageRegisteredV1, OutageUpdatedV1, OutageEndedV1],
            "Known outages registered, changed and ended by the province's control room.",
        ),
    ):
        declare_publication(runtime.broker, topic, events, description)  # type: ignore[arg-type]
    publisher = EventPublisher(
        runtime.broker, runtime.source, timeout=settings.gateway_accept_timeout_seconds
    )
    access = load_access(settings, issuer=runtime.source)
    if settings.gateway_principals_path is None:
        runtime.log.warning("no GATEWAY_PRINCIPALS_PATH: nobody may call, every request answers 401")
    readers = Readers(
        cases,
        FieldAccess.load(settings.gateway_field_access_path),
        settings.gateway_lookup_attempts_rate,
        outages,
        routing,
        ServicePasswords(
            passwords,
            access.password_keys,
            LockRule(settings.gateway_password_tries, timedelta(hours=settings.gateway_password_lock_hours)),
        ),
        voice_routing(settings, runtime),
        fields,
    )
    app = create_app(
        runtime,
        publisher,
        access,
        audit,
        readers,
        max_body_bytes=settings.gateway_max_body_bytes,
        max_import_bytes=settings.gateway_max_import_bytes,
        trusted_proxies=settings.trusted_proxies,
        twilio_auth_token=settings.gateway_twilio_auth_token,
        kannel=KannelSettings(settings.gateway_kannel_password, settings.gateway_kannel_number),
        keys=keys,
    )
    return Service(runtime, app, handlers)
