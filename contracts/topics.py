"""The topic map: every topic carries its subsystem's prefix so one cluster can host the hub and provinces.

Producer, consumers, key and event types of each topic are listed in the README's topic map; keep the two
in step (tests/unit/test_settings_and_topics.py checks the README names every topic built here).
"""

from dataclasses import dataclass

from contracts.provinces import HUB, is_province_code


@dataclass(frozen=True)
class Topics:
    """Topic names of one subsystem: a province (prefix = province code) or the hub (prefix = "hub")."""

    prefix: str

    @classmethod
    def for_subsystem(cls, tier: str, province: str) -> "Topics":
        if tier == "hub":
            return cls(HUB)
        if not is_province_code(province):
            raise ValueError(f"unknown province code {province!r}")
        return cls(province)

    @property
    def contacts(self) -> str:
        """ContactReceived: gateway -> intake, key contact_id."""
        return f"{self.prefix}.contacts"

    @property
    def customers(self) -> str:
        """CustomerProfileUpdated: billing and CRM systems (via the gateway) -> intake, key account_number."""
        return f"{self.prefix}.customers"

    @property
    def workorders(self) -> str:
        """WorkOrderCreated (complete, for dispatch), WorkOrderInfoRequested (fields missing),
        WorkOrderAnswered (closed at intake), WorkOrderOwnerChanged, IncidentOpened, IncidentUpdated and
        ContactLinked: intake -> dispatch, the gateway and notify, key work_order_id."""
        return f"{self.prefix}.workorders"

    @property
    def outages(self) -> str:
        """OutageRegistered, OutageUpdated and OutageEnded: operators (via the gateway) -> intake, key
        outage_id."""
        return f"{self.prefix}.outages"

    @property
    def workorder_actions(self) -> str:
        """WorkOrderInfoSupplied, WorkOrderHandoverRequested and WorkOrderReclassificationRequested:
        agents (via the gateway) -> intake, key work_order_id."""
        return f"{self.prefix}.workorder-actions"

    def department(self, department: str) -> str:
        """WorkOrderDispatched, WorkOrderRedispatched, WorkOrderReopened, WorkOrderChased and
        WorkOrderUrged: dispatch -> one regional department, key work_order_id."""
        return f"{self.prefix}.dispatch.{department}"

    @property
    def department_replies(self) -> str:
        """DepartmentReplied and DepartmentActed (accept, crew on site, return): departments (via the
        gateway) -> dispatch, key work_order_id."""
        return f"{self.prefix}.dispatch.replies"

    @property
    def dispatch_actions(self) -> str:
        """DispatchActionRequested (chase, urge, re-dispatch, resume, escalate, close, reopen): agents and
        supervisors (via the gateway) -> dispatch, key work_order_id."""
        return f"{self.prefix}.dispatch-actions"

    @property
    def dispatch_progress(self) -> str:
        """WorkOrderDispatched, WorkOrderReplied and every later step of the lifecycle (accepted, arrived,
        returned, re-dispatched, resumed, chased, urged, escalated, closed, reopened, deadline warnings
        and alarms): dispatch -> notify, qa, the gateway and intake, key work_order_id."""
        return f"{self.prefix}.dispatch.progress"

    @property
    def routing(self) -> str:
        """RoutingTableInForce (the departments the routing table names): dispatch -> the gateway, key
        province."""
        return f"{self.prefix}.routing"

    @property
    def fields(self) -> str:
        """WorkOrderFieldsInForce (each work-order type's fields and categories, by intake's rules): intake
        -> the gateway, key province."""
        return f"{self.prefix}.fields"

    @property
    def voice(self) -> str:
        """VoiceCallEvent and CallbackAttempted: the CTI (via the gateway) -> the voice routing, notify
        (the callbacks owed) and the voice KPIs, key call_id."""
        return f"{self.prefix}.voice"

    @property
    def callbacks(self) -> str:
        """CallbackScheduled and CallbackUpdated: notify -> the gateway (the CTI's callback list), key
        call_id."""
        return f"{self.prefix}.callbacks"

    @property
    def standings(self) -> str:
        """CustomerStanding: intake's customer directory -> the gateway's voice routing, key the number;
        compacted (TOPIC_CONFIGS): the latest standing of every number is what a reader starts from."""
        return f"{self.prefix}.standings"

    @property
    def sms_reports(self) -> str:
        """SmsDeliveryReported: the SMS gateway's delivery reports (via the gateway) -> notify, key
        the message's reference."""
        return f"{self.prefix}.sms-reports"

    @property
    def notifications(self) -> str:
        """NotificationSent and NotificationFailed: notify -> reporting and agents, key work_order_id."""
        return f"{self.prefix}.notifications"

    @property
    def followups(self) -> str:
        """FollowUpScheduled: qa -> agents' consoles and reporting, key work_order_id."""
        return f"{self.prefix}.followups"

    def producer_of(self, topic: str) -> str | None:
        """The one service allowed to publish on one of this subsystem's topics (as the docstrings above
        say); None for the dead-letter topic, which every consumer writes, and for topics not ours."""
        prefix, _, name = topic.partition(".")
        if prefix != self.prefix:
            return None
        if name.startswith("dispatch.") and name not in ("dispatch.replies", "dispatch.progress"):
            return "dispatch"  # a department's topic
        return PRODUCERS.get(name)

    def consumers_of(self, topic: str) -> tuple[str, ...]:
        """The services that read one of this subsystem's topics, in a consumer group or whole
        (departments read their own topics with their own users, outside Hotline's services)."""
        prefix, _, name = topic.partition(".")
        readers = CONSUMERS.get(name, ()) + READ_WHOLE.get(name, ())
        return readers if prefix == self.prefix else ()

    def consumer_group(self, service: str, topic: str) -> str:
        """One consumer group per service and topic ("gd.dispatch.workorders"): a service's
        subscriptions commit and rebalance apart."""
        return f"{self.prefix}.{service}.{topic.partition('.')[2]}"

    @property
    def department_prefix(self) -> str:
        """What every department's topic starts with (the replies and progress topics do too)."""
        return f"{self.prefix}.dispatch."

    @property
    def audit(self) -> str:
        """AuditRecorded: every call through the gateway's API -> the gateway's audit trail, key audit id."""
        return f"{self.prefix}.audit"

    @property
    def deadletter(self) -> str:
        """Any message a consumer could not take, with the reason in dlq_* headers, original key."""
        return f"{self.prefix}.deadletter"


# Topic (without the prefix) -> the service that publishes on it; the departments' topics are dispatch's.
PRODUCERS = {
    "contacts": "gateway",
    "customers": "gateway",
    "workorders": "intake",
    "workorder-actions": "gateway",
    "outages": "gateway",
    "dispatch.replies": "gateway",
    "dispatch-actions": "gateway",
    "dispatch.progress": "dispatch",
    "routing": "dispatch",
    "fields": "intake",
    "notifications": "notify",
    "followups": "qa",
    "audit": "gateway",
    "voice": "gateway",
    "callbacks": "notify",
    "sms-reports": "gateway",
    "standings": "intake",
}

# Topic (without the prefix) -> the services that consume it.
CONSUMERS: dict[str, tuple[str, ...]] = {
    "contacts": ("intake",),
    "customers": ("intake",),
    # The gateway keeps what the API serves of each work order (services/gateway/case_files.py).
    # Notify texts the customers of work orders intake answered itself and of contacts it linked.
    "workorders": ("dispatch", "gateway", "notify"),
    "workorder-actions": ("intake",),
    "outages": ("intake",),
    "dispatch.replies": ("dispatch",),
    "dispatch-actions": ("dispatch",),
    # The gateway learns which department each dispatch went to, to refuse another's reply, and keeps
    # each work order's dispatches and replies for the API's readers; intake learns which are resolved.
    "dispatch.progress": ("notify", "qa", "gateway", "intake"),
    "audit": ("gateway",),
    # The gateway refuses a re-dispatch to a department the routing table does not name.
    "routing": ("gateway",),
    # Notify puts a call owed a callback on the CTI's callback list.
    "voice": ("notify",),
    # Notify records on each message what the SMS gateway reported of it.
    "sms-reports": ("notify",),
    # The gateway describes each type's fields to channels that ask (Open311's service definitions).
    "fields": ("gateway",),
}

# Topic (without the prefix) -> the services each of whose replicas reads it whole, outside any
# consumer group (plumbing/replica_feed.py): the gateway's voice routing keeps each group's calls in
# hand and every number's standing in memory, and the CTI's callback list the callbacks still open.
READ_WHOLE: dict[str, tuple[str, ...]] = {
    "voice": ("gateway",),
    "callbacks": ("gateway",),
    "standings": ("gateway",),
}

# Topic (without the prefix) -> its configuration beyond the cluster's defaults.
TOPIC_CONFIGS: dict[str, dict[str, str]] = {
    # Only the latest standing of each number matters, and a reader starts from the beginning; segments
    # roll every six hours, so a day's re-announcements are compacted away within the day.
    "standings": {"cleanup.policy": "compact", "segment.ms": str(6 * 3600 * 1000)},
    # The gateway lists a callback for a week, read back from the topic as a replica starts: kept a day
    # longer, whatever the cluster's default.
    "callbacks": {"retention.ms": str(8 * 24 * 3600 * 1000)},
}


def topic_configs(topic: str) -> dict[str, str]:
    """What a topic is created with beyond the cluster's defaults (any subsystem's)."""
    return TOPIC_CONFIGS.get(topic.partition(".")[2], {})
