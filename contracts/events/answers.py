"""Work orders intake answers itself and closes, never dispatched."""

from datetime import datetime
from enum import StrEnum
from typing import ClassVar

from pydantic import Field

from contracts.events.workorder import _OpenedWorkOrder


class AnswerReason(StrEnum):
    OUT_OF_SCOPE = "out_of_scope"  # e.g. a fault in the customer's own wiring: not the operator's to repair
    OUTAGE = "outage"  # a known outage of the customer's area: its cause and restoration time are the answer


class WorkOrderAnsweredV1(_OpenedWorkOrder):
    """Answered at intake and closed with the reason: notify texts the customer the answer."""

    ce_type: ClassVar[str] = "hotline.workorder.answered.v1"
    minor_version: ClassVar[int] = 1

    reason: AnswerReason
    answer: str = Field(min_length=1, description="What the customer is told, without the signature.")
    answered_at: datetime
    outage_id: str | None = Field(default=None, description="The known outage the answer is about.")
    expected_restoration_at: datetime | None = Field(
        default=None, description="When the outage's supply is expected back, as last announced."
    )
