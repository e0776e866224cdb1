"""What the customer reads: one text per moment of a work order's life, from the operator's templates
(services/notify/domain/templates.py); and who can be texted at all."""

from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberType

from contracts.events import (
    ContactLinkedV1,
    LinkReason,
    ReplyKind,
    WorkOrderAnsweredV1,
    WorkOrderDispatchedV1,
    WorkOrderRepliedV1,
)
from services.common.working_days import CHINA_TIME
from services.notify.domain.templates import Templates

RESOLVED = "workorder.resolved"


@dataclass(frozen=True)
class Sms:
    template: str
    text: str


def accepted(event: WorkOrderDispatchedV1, templates: Templates) -> Sms:
    due = event.reply_due_at.astimezone(CHINA_TIME)
    moment = "workorder.accepted"
    return Sms(moment, templates.render(moment, event.work_order_id, event.type, {"due": due}))


def replied(event: WorkOrderRepliedV1, templates: Templates) -> Sms:
    moment = RESOLVED if event.kind is ReplyKind.FINAL else "workorder.progress"
    return Sms(moment, templates.render(moment, event.work_order_id, event.type, {"message": event.message}))


def linked(event: ContactLinkedV1, templates: Templates) -> Sms:
    moment = "contact.linked.incident" if event.reason is LinkReason.INCIDENT else "contact.linked.repeat"
    return Sms(moment, templates.render(moment, event.work_order_id, event.type, {}))


def answered(event: WorkOrderAnsweredV1, templates: Templates) -> Sms:
    fields = {"answer": event.answer, "reason": event.reason.value}
    text = templates.render("workorder.answered", event.work_order_id, event.type, fields)
    return Sms(f"workorder.answered.{event.reason.value}", text)


def can_text(phone: str) -> bool:
    """Only mobile numbers take SMS; a landline caller hears back by phone instead."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return False
    return phonenumbers.number_type(number) in (PhoneNumberType.MOBILE, PhoneNumberType.FIXED_LINE_OR_MOBILE)


def mask(phone: str) -> str:
    """+8613926012345 -> +86139****2345: enough to recognise, not enough to call."""
    return phone[:-8] + "****" + phone[-4:] if len(phone) > 8 else "****"
