"""Notify: SMS to customers when their work order is accepted, progresses and is resolved."""

import asyncio

import httpx
from opentelemetry.sdk.trace import TracerProvider

from contracts.events import NotificationSentV1, WorkOrderDispatchedV1, WorkOrderRepliedV1
from plumbing.bus import declare_publication
from plumbing.runtime import Runtime, build_runtime
from services.notify.adapters import KannelSmsGateway, MongoNotifications
from services.notify.handlers import Notifier
from services.notify.settings import NotifySettings

SERVICE = "notify"
HTTP_PORT = 8103


def bootstrap(settings: NotifySettings, *, tracer_provider: TracerProvider | None = None) -> Runtime:
    runtime = build_runtime(settings, SERVICE, tracer_provider=tracer_provider)
    collection = runtime.database["notifications"]
    notifications = MongoNotifications(collection)
    relay = runtime.outbox_relay(collection)
    http = httpx.AsyncClient(timeout=10.0)
    gateway = KannelSmsGateway(
        http,
        str(settings.kannel_sendsms_url),
        settings.kannel_username,
        settings.kannel_password.get_secret_value(),
        settings.sms_sender,
    )
    topics = settings.topics
    notifier = Notifier(
        notifications,
        gateway,
        relay,
        topics,
        runtime.pending_events,
        signature=settings.sms_signature,
        max_attempts=settings.sms_max_attempts,
        retry_seconds=settings.sms_retry_seconds,
        log=runtime.log,
    )
    consumer = runtime.consumer()
    consumer.subscribe(
        topics.dispatch_progress,
        {
            WorkOrderDispatchedV1: notifier.work_order_dispatched,
            WorkOrderRepliedV1: notifier.work_order_replied,
        },
        description="Dispatch progress that customers are told about.",
    )
    declare_publication(
        runtime.broker, topics.notifications, [NotificationSentV1], "Messages handed to the SMS gateway."
    )

    async def retry_failed_sends() -> None:
        while True:
            await asyncio.sleep(settings.sms_retry_seconds / 3)
            await notifier.retry_due()

    runtime.startup += [notifications.ensure_indexes]
    runtime.loops.append(retry_failed_sends)
    runtime.shutdown.append(http.aclose)
    return runtime
