from datetime import datetime
from typing import ClassVar, Literal

from pydantic import Field

from contracts.events.base import Event


class AuditRecordedV1(Event):
    """One call made through the API, accepted or refused: who, what, when, from where. It never carries
    the request's personal data (phones, names, texts), only ids."""

    ce_type: ClassVar[str] = "hotline.audit.recorded.v1"
    minor_version: ClassVar[int] = 2

    audit_id: str
    province: str = Field(description="The subsystem whose API was called (its trail keeps the record).")
    at: datetime
    principal_id: str
    role: str
    action: str = Field(description="What was asked, e.g. 'contact.post', 'reply.post', 'audit.read'.")
    resource: str | None = Field(default=None, description="The id acted on or made (contact, dispatch).")
    outcome: Literal["accepted", "refused"]
    status: int = Field(description="The HTTP status answered.")
    client: str | None = Field(default=None, description="The caller's address, as the gateway saw it.")
    token_id: str | None = Field(default=None, description="The access token's jti; none for an API key.")
    detail: str | None = Field(default=None, description="Why it was refused.")
    shown: list[str] = Field(
        default=[],
        description="The personal fields a read showed in clear, e.g. 'customer.phone' (1.1); the "
        "values themselves are never in the record.",
    )
    unsealed: bool = Field(
        default=False, description="Whether the read unsealed an anonymous reporter's identity (1.1)."
    )
    listed: list[str] = Field(
        default=[], description="The ids of every object a list showed, e.g. an owner's work orders (1.2)."
    )

    def subject(self) -> str:
        return self.audit_id
