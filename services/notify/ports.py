from typing import Any, Protocol

Document = dict[str, Any]


class SmsGatewayError(Exception):
    """The SMS gateway did not take the message; the notification stays pending for a retry."""


class SmsGateway(Protocol):
    async def send(self, to: str, text: str) -> str:
        """Hand one message to the gateway; return its answer, or raise SmsGatewayError."""
        ...


class Notifications(Protocol):
    async def add(self, document: Document) -> bool: ...

    async def claim(self, notification_id: str) -> Document | None:
        """Take a pending notification for sending; None if it is not pending (sent, or taken by another)."""
        ...

    async def mark_sent(self, notification_id: str, changes: Document) -> None: ...

    async def mark_failed(
        self, notification_id: str, error: str, retry: bool, retry_after: float
    ) -> None: ...

    async def due_for_retry(self) -> list[str]: ...
