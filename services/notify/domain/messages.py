"""What the customer reads: one template per moment of a work order's life."""

from dataclasses import dataclass

import phonenumbers
from phonenumbers import PhoneNumberType

from contracts.events import ReplyKind, WorkOrderDispatchedV1, WorkOrderRepliedV1
from services.common.working_days import CHINA_TIME


@dataclass(frozen=True)
class Sms:
    template: str
    text: str


def accepted(event: WorkOrderDispatchedV1, signature: str) -> Sms:
    due = event.reply_due_at.astimezone(CHINA_TIME)
    return Sms(
        "workorder.accepted",
        f"{signature}您反映的问题已受理，工单号{event.work_order_id}，"
        f"已转相关部门处理，预计{due.month}月{due.day}日{due:%H:%M}前答复。",
    )


def replied(event: WorkOrderRepliedV1, signature: str) -> Sms:
    if event.kind is ReplyKind.FINAL:
        return Sms("workorder.resolved", f"{signature}您的工单{event.work_order_id}已办结：{event.message}")
    return Sms("workorder.progress", f"{signature}您的工单{event.work_order_id}处理进展：{event.message}")


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
