"""Notify: SMS to customers when their work order is accepted, progresses and is resolved, when they are
linked to another's, and when intake answered them itself."""

import asyncio
from datetime import date, datetime, timedelta
from typing import Any

import httpx

from contracts.events import (
    CallbackAttemptedV1,
    CallbackScheduledV1,
    CallbackUpdatedV1,
    ContactLinkedV1,
    CustomerKind,
    NotificationFailedV1,
    NotificationSentV1,
    SmsDeliveryReportedV1,
    VoiceCallEventV1,
    WorkOrderAnsweredV1,
    WorkOrderDispatchedV1,
    WorkOrderRepliedV1,
)
from plumbing.bus import declare_publication
from plumbing.runtime import build_runtime
from plumbing.serve import probe_app
from plumbing.service import Service
from plumbing.telemetry import Telemetry
from services.common.clock import Clock, system_clock
from services.common.working_calendar import watched_calendar
from services.notify.adapters import (
    KannelSmsGateway,
    MongoDeliveries,
    MongoLinkedContacts,
    MongoNotifications,
    NotificationDocuments,
)
from services.notify.callback_handlers import CallbackHandlers
from services.notify.callback_store import MongoWatchedCalls, WatchedCallDocuments, forget_old_days
from services.notify.domain.notification import RetryPolicy
from services.notify.domain.quiet_hours import QuietHours
from services.notify.domain.templates import Templates
from services.notify.handlers import NotifyHandlers, ReachableFrom
from services.notify.ports import (
    CallbackUnit,
    CallbackUnitFactory,
    Deliveries,
    LinkedContacts,
    NotifyUnit,
    SmsGateway,
    UnitFactory,
)
from services.notify.settings import NotifySettings

SERVICE = "notify"


def reachable_from(settings: NotifySettings, log: Any) -> ReachableFrom | None:
    """When each customer may next be reached, by the quiet-hours table and the working calendar (read
    again when an operator edits it). Past the calendar's last year, Monday to Friday are taken as
    worked, and that is logged once a day until the year is added."""
    if not settings.quiet_hours:
        return None
    quiet = QuietHours.load(settings.quiet_hours_path)
    calendar = watched_calendar(settings.working_calendar_path, settings.hotline_province, log)
    guessed_on: set[date] = set()

    def opens(now: datetime, kind: CustomerKind | None, template: str) -> datetime:
        current = calendar.current
        when = quiet.opens(now, kind, template, current)
        last_known = current.known[1]
        if max(now.year, when.year) > last_known and now.date() not in guessed_on:
            guessed_on.add(now.date())
            log.warning(
                "quiet hours past the working calendar: Monday to Friday taken as working days",
                last_known_year=last_known,
                add_to=str(settings.working_calendar_path),
            )
        return when

    return opens


def bootstrap(
    settings: NotifySettings,
    *,
    telemetry: Telemetry | None = None,
    unit: UnitFactory | None = None,
    links: LinkedContacts | None = None,
    deliveries: Deliveries | None = None,
    callbacks: CallbackUnitFactory | None = None,
    sms: SmsGateway | None = None,
    clock: Clock = system_clock,
) -> Service[NotifyHandlers]:
    """The running service; `unit`, `links`, `deliveries` and `callbacks` replace the store (all or
    none), `sms` Kannel (tests pass fakes)."""
    fakes = (unit, links, deliveries, callbacks)
    runtime = build_runtime(settings, SERVICE, telemetry=telemetry, store=None in fakes)
    if unit is None:
        mapper = NotificationDocuments()
        collection, relay = runtime.collection_with_outbox("notifications", mapper)

        def unit() -> NotifyUnit:
            return NotifyUnit(runtime.source, MongoNotifications(collection, relay, mapper))

    if links is None:
        database = runtime.database
        stored_links = MongoLinkedContacts(database["linked_contacts"], database["work_order_results"])
        runtime.startup.append(stored_links.ensure_indexes)
        links = stored_links

    if sms is None:
        http = httpx.AsyncClient(timeout=10.0)
        runtime.shutdown.append(http.aclose)
        sms = KannelSmsGateway(
            http,
            str(settings.kannel_sendsms_url),
            settings.kannel_username,
            settings.kannel_password.get_secret_value(),
            settings.sms_sender,
            report_url=str(settings.sms_report_url) if settings.sms_report_url else None,
        )
    if deliveries is None:
        deliveries = MongoDeliveries(runtime.database["deliveries"])
    if callbacks is None:
        calls_mapper = WatchedCallDocuments()
        calls, calls_relay = runtime.collection_with_outbox("watched_calls", calls_mapper)
        runtime.loops.append(lambda: forget_old_days(calls))

        def callbacks() -> CallbackUnit:
            return CallbackUnit(runtime.source, MongoWatchedCalls(calls, calls_relay, calls_mapper))

    topics = settings.topics
    handlers = NotifyHandlers(
        unit,
        links,
        deliveries,
        sms,
        topics,
        clock,
        templates=Templates.load(settings.sms_signature, settings.templates_path),
        policy=RetryPolicy(settings.sms_max_attempts, timedelta(seconds=settings.sms_retry_seconds)),
        log=runtime.log,
        reply_codes=settings.sms_reply_codes,
        opens=reachable_from(settings, runtime.log),
        callbacks=CallbackHandlers(callbacks, topics, clock, timedelta(hours=settings.callback_within_hours)),
    )
    runtime.consumer().subscribe(
        topics.dispatch_progress,
        {
            WorkOrderDispatchedV1: handlers.work_orders_dispatched,
            WorkOrderRepliedV1: handlers.work_orders_replied,
        },
        description="Dispatch progress that customers are told about.",
    )
    runtime.consumer().subscribe(
        topics.workorders,
        {
            ContactLinkedV1: handlers.contacts_linked,
            WorkOrderAnsweredV1: handlers.work_orders_answered,
        },
        description="Contacts linked to an open work order, and work orders intake answered itself.",
    )
    runtime.consumer().subscribe(
        topics.sms_reports,
        {SmsDeliveryReportedV1: handlers.deliveries_reported},
        description="What the SMS gateway reported of each text: taken, buffered, delivered, failed.",
    )
    runtime.consumer().subscribe(
        topics.voice,
        {
            VoiceCallEventV1: handlers.callbacks.calls_heard,
            CallbackAttemptedV1: handlers.callbacks.calls_heard,
        },
        description="Calls' events (a caller owed a callback who hung up queueing, or who asked for one) "
        "and the CTI's attempts at the callbacks owed.",
    )
    declare_publication(
        runtime.broker,
        topics.callbacks,
        [CallbackScheduledV1, CallbackUpdatedV1],
        "The calls owed a callback, for the CTI's callback list, each once, with the time it is due by; "
        "then where each stands after every attempt.",
    )
    declare_publication(
        runtime.broker,
        topics.notifications,
        [NotificationSentV1, NotificationFailedV1],
        "Messages handed to the SMS gateway, and those given up on after the last attempt.",
    )

    async def retry_failed_sends() -> None:
        while True:
            await asyncio.sleep(settings.sms_retry_seconds / 3)
            await handlers.retry_due()

    runtime.loops.append(retry_failed_sends)
    return Service(runtime, probe_app(runtime), handlers)
