"""What the SMS gateway reported of one text: each report kept as it came (a report repeated by the
gateway is kept once), and the text's delivery read from them."""

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from contracts.events import DeliveryState

FINAL = {DeliveryState.DELIVERED, DeliveryState.UNDELIVERABLE, DeliveryState.REJECTED}
FAILED = {DeliveryState.UNDELIVERABLE, DeliveryState.REJECTED}


def report_reference_for(notification_id: str) -> str:
    """What a text's report URL names it by: a message's id names its customer (a linked customer's copy
    carries their number), and the URL is in the SMS gateway's logs."""
    return hashlib.sha256(f"hotline:notification:{notification_id}".encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Report:
    state: DeliveryState
    gateway_status: int
    at: datetime


@dataclass
class Delivery:
    reference: str
    reports: list[Report] = field(default_factory=list)

    @property
    def state(self) -> DeliveryState | None:
        """The last final word if there is one (the SMSC's "submitted" may come after the phone's
        "delivered"), else the latest report."""
        final = [report for report in self.reports if report.state in FINAL]
        latest = max(final or self.reports, key=lambda report: report.at, default=None)
        return latest.state if latest else None

    @property
    def failed(self) -> bool:
        return self.state in FAILED

    @property
    def reached_the_smsc(self) -> bool:
        """Whether the SMSC took the text after its last refusal (every attempt's reports share the text's
        reference: a resend after a rejected one is taken, and said so, later)."""
        refused = [report.at for report in self.reports if report.state in FAILED]
        return any(
            report.state not in FAILED and (not refused or report.at > max(refused))
            for report in self.reports
        )
