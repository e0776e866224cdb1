"""What the customer reads: one template per moment of a work order's life."""

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

RESOLVED = "workorder.resolved"


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
        return Sms(RESOLVED, f"{signature}您的工单{event.work_order_id}已办结：{event.message}")
    return Sms("workorder.progress", f"{signature}您的工单{event.work_order_id}处理进展：{event.message}")


def linked(event: ContactLinkedV1, signature: str) -> Sms:
    if event.reason is LinkReason.INCIDENT:
        return Sms(
            "contact.linked.incident",
            f"{signature}您反映的故障已受理：所在区域的同类故障已并入工单{event.work_order_id}统一抢修，"
            "处理结果将短信告知，无需重复报修。",
        )
    return Sms(
        "contact.linked.repeat",
        f"{signature}您反映的问题已在工单{event.work_order_id}中处理，处理结果将短信告知。",
    )


def answered(event: WorkOrderAnsweredV1, signature: str) -> Sms:
    return Sms(
        f"workorder.answered.{event.reason.value}", f"{signature}{event.answer}（工单{event.work_order_id}）"
    )


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
