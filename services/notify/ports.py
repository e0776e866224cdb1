"""What notify's handlers need: a unit of work over its notifications, the linked customers, an SMS
gateway, a clock."""

from abc import abstractmethod
from collections.abc import Callable, Sequence
from typing import Protocol

from plumbing.repository import Repository
from plumbing.unit_of_work import UnitOfWork
from services.notify.domain.links import Link, Result
from services.notify.domain.notification import Notification


class SmsGatewayError(Exception):
    """The SMS gateway did not take the message: retried later, or given up on after the last attempt."""


class SmsGateway(Protocol):
    async def send(self, to: str, text: str) -> str:
        """Hand one message to the gateway; return its answer, or raise SmsGatewayError."""
        ...


class NotificationRepository(Repository[Notification]):
    @abstractmethod
    async def unsettled(self) -> list[str]:
        """Ids of messages neither sent nor given up on: what a sender starting up looks at first."""

    @abstractmethod
    async def next_attempt_in(self, minute: str) -> list[str]:
        """Ids of messages whose next attempt (a retry, or a stale claim's) falls in that minute
        (`plumbing.due_minutes`)."""


class NotifyUnit(UnitOfWork):
    def __init__(self, source: str, notifications: NotificationRepository) -> None:
        super().__init__(source, [notifications])
        self.notifications = notifications


UnitFactory = Callable[[], NotifyUnit]


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
