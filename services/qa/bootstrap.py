"""QA: plans follow-up visits by the operators' sampling rules."""

from contracts.events import FollowUpCancelledV1, FollowUpScheduledV1, WorkOrderReopenedV1, WorkOrderRepliedV1
from plumbing.bus import declare_publication
from plumbing.mongo_repository import MongoRepository
from plumbing.runtime import build_runtime
from plumbing.serve import probe_app
from plumbing.service import Service
from plumbing.telemetry import Telemetry
from services.common.clock import Clock, system_clock
from services.common.working_calendar import watched_calendar
from services.qa.adapters import FollowUpDocuments
from services.qa.domain.policy import FollowUpPolicy
from services.qa.handlers import QaHandlers
from services.qa.ports import QaUnit, UnitFactory
from services.qa.settings import QaSettings

SERVICE = "qa"


def bootstrap(
    settings: QaSettings,
    *,
    telemetry: Telemetry | None = None,
    unit: UnitFactory | None = None,
    clock: Clock = system_clock,
) -> Service[QaHandlers]:
    """The running service; `unit` replaces the store (tests pass an in-memory one)."""
    runtime = build_runtime(settings, SERVICE, telemetry=telemetry, store=unit is None)
    if unit is None:
        mapper = FollowUpDocuments()
        collection, relay = runtime.collection_with_outbox("follow_ups", mapper)

        def unit() -> QaUnit:
            return QaUnit(runtime.source, MongoRepository(collection, relay, mapper))

    topics = settings.topics
    calendar = watched_calendar(settings.working_calendar_path, settings.hotline_province, runtime.log)
    policy = FollowUpPolicy.load(settings.followup_rules_path)
    handlers = QaHandlers(unit, policy, lambda: calendar.current, topics, clock, runtime.log)
    progressed = handlers.dispatch_progressed
    runtime.consumer().subscribe(
        topics.dispatch_progress,
        {WorkOrderRepliedV1: progressed, WorkOrderReopenedV1: progressed},
        description="Final replies that may call for a follow-up visit, and reopenings that cancel one.",
    )
    declare_publication(
        runtime.broker,
        topics.followups,
        [FollowUpScheduledV1, FollowUpCancelledV1],
        "Follow-up visits planned by qa, and cancelled when the work order is reopened first.",
    )
    return Service(runtime, probe_app(runtime), handlers)
