"""QA: plans follow-up visits by the operators' sampling rules."""

from opentelemetry.sdk.trace import TracerProvider

from contracts.events import FollowUpScheduledV1, WorkOrderRepliedV1
from plumbing.bus import declare_publication
from plumbing.runtime import Runtime, build_runtime
from services.qa.adapters import MongoFollowUps
from services.qa.followups import FollowUpPolicy
from services.qa.handlers import FollowUpPlanner
from services.qa.settings import QaSettings

SERVICE = "qa"
HTTP_PORT = 8104


def bootstrap(settings: QaSettings, *, tracer_provider: TracerProvider | None = None) -> Runtime:
    runtime = build_runtime(settings, SERVICE, tracer_provider=tracer_provider)
    policy = FollowUpPolicy.load(settings.followup_rules_path)
    collection = runtime.database["follow_ups"]
    follow_ups = MongoFollowUps(collection)
    relay = runtime.outbox_relay(collection)
    topics = settings.topics
    planner = FollowUpPlanner(follow_ups, relay, policy, topics, runtime.pending_events, runtime.log)
    consumer = runtime.consumer()
    consumer.subscribe(
        topics.dispatch_progress,
        {WorkOrderRepliedV1: planner.work_order_replied},
        description="Final replies that may call for a follow-up visit.",
    )
    declare_publication(
        runtime.broker, topics.followups, [FollowUpScheduledV1], "Follow-up visits planned by qa."
    )
    runtime.startup += [follow_ups.ensure_indexes]
    return runtime
