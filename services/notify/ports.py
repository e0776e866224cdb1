"""What notify's handlers need: a unit of work over its notifications, the linked customers, an SMS
gateway, a clock."""

from abc import abstractmethod
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Protocol

from contracts.events import SmsDeliveryReportedV1
from plumbing.repository import Repository
from plumbing.unit_of_work import UnitOfWork
from services.notify.domain.callbacks import WatchedCall
from services.notify.domain.deliveries import Delivery
from services.notify.domain.links import Link, Result
from services.notify.domain.notification import Notification


class SmsGatewayError(Exception):
    """The SMS gateway did not take the message: retried later, or given up on after the last attempt."""


class SmsGateway(Protocol):
    async def send(
        self, to: str, text: str, *, reply_code: str | None = None, reference: str | None = None
    ) -> str:
        """Hand one message to the gateway, sent from the hotline's number and `reply_code` after it (what
        a customer's answer comes back to), its delivery reports named by `reference`; return the
        gateway's answer, or raise SmsGatewayError."""
        ...


class Deliveries(Protocol):
    async def record(self, report: SmsDeliveryReportedV1) -> Delivery:
        """Keep the report on its text's delivery (once, if the gateway sends it again); the delivery
        with every report kept."""
        ...

    async def of(self, reference: str) -> Delivery | None:
        """The delivery of the text its reports name `reference`, if any report of it came."""
        ...


class NotificationRepository(Repository[Notification]):
    @abstractmethod
    async def unsettled(self, now: datetime) -> list[str]:
        """Ids of messages neither sent nor given up on, and due by `now`: what a sender starting up looks
        at first (a message held for later, its quiet hours' say, is left to the minute it is due)."""

    @abstractmethod
    async def with_reference(self, reference: str) -> str | None:
        """The id of the message whose delivery reports are named `reference`, if there is one."""

    @abstractmethod
    async def next_attempt_in(self, minute: str) -> list[str]:
        """Ids of messages whose next attempt (a retry, or a stale claim's) falls in that minute
        (`plumbing.due_minutes`)."""


class NotifyUnit(UnitOfWork):
    def __init__(self, source: str, notifications: NotificationRepository) -> None:
        super().__init__(source, [notifications])
        self.notifications = notifications


UnitFactory = Callable[[], NotifyUnit]


class CallbackUnit(UnitOfWork):
    """The calls followed for the callbacks they may owe, each stored with the callback it put on the
    CTI's list."""

    def __init__(self, source: str, calls: Repository[WatchedCall]) -> None:
        super().__init__(source, [calls])
        self.calls = calls


CallbackUnitFactory = Callable[[], CallbackUnit]


class LinkedContacts(Protocol):
    async def add(self, links: Sequence[Link]) -> None:
        """Keep each link once (a redelivered one is kept already)."""
        ...

    async def of(self, work_order_id: str) -> list[Link]:
        """Every customer linked to the work order."""
        ...

    async def keep_result(self, result: Result) -> None:
        """The work order's final reply, for customers linked after it (a later one replaces it)."""
        ...

    async def result_of(self, work_order_id: str) -> Result | None: ...
