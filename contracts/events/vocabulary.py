"""Enumerations shared by several events."""

from enum import StrEnum


class Channel(StrEnum):
    WEB = "web"
    SMS = "sms"
    VOICE = "voice"


class WorkOrderType(StrEnum):
    FAULT_REPAIR = "fault_repair"
    COMPLAINT = "complaint"
    REPORT = "report"
    QUERY = "query"
    CONSULTATION = "consultation"
    SERVICE_APPLICATION = "service_application"
    SUGGESTION = "suggestion"
    PRAISE = "praise"
    VALUE_ADDED_SERVICE = "value_added_service"
    APPOINTMENT = "appointment"


class ReplyKind(StrEnum):
    INTERIM = "interim"
    FINAL = "final"


class CustomerKind(StrEnum):
    """Residents and businesses are reached at different hours (notify's quiet hours)."""

    RESIDENT = "resident"
    BUSINESS = "business"


class CustomerTier(StrEnum):
    """From value, tenure and credit, by intake's tier rules."""

    HIGH = "high"
    MID = "mid"
    NORMAL = "normal"


class AreaKind(StrEnum):
    """How far crews travel: the repair arrival deadlines differ (urban 45 min, suburban 90, remote 2 h)."""

    URBAN = "urban"
    SUBURBAN = "suburban"
    REMOTE = "remote"
