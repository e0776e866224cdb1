"""What the gateway takes of Twilio's webhook forms (Twilio sends more fields: they are ignored), each
checked as a JSON body's would be: a signed form that is still wrong is answered 422 with every field."""

import re
from typing import Literal, TypeVar

import phonenumbers
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from services.gateway.schemas import PhoneNumber, Text, as_e164

SID = r"^[A-Z]{2}[0-9a-fA-F]{32}$"
# Control characters are never part of what people write (and the store cannot keep a NUL); a text is
# taken without them rather than refused, since Twilio does not send a refused text again.
CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
CallState = Literal[
    "queued", "ringing", "in-progress", "completed", "busy", "failed", "no-answer", "canceled"
]
QueueOutcome = Literal[
    "bridged",
    "bridging-in-process",
    "queue-full",
    "hangup",
    "leave",
    "redirected",
    "redirected-from-bridged",
    "error",
    "system-error",
]
Form = TypeVar("Form", bound=BaseModel)


class TwilioSms(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    MessageSid: str = Field(pattern=SID)
    From: PhoneNumber
    Body: Text = Field(default="", max_length=1600)

    @field_validator("Body", mode="before")
    @classmethod
    def _without_control_characters(cls, body: object) -> object:
        return CONTROL.sub("", body) if isinstance(body, str) else body


class TwilioCall(BaseModel):
    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    CallSid: str = Field(pattern=SID)
    From: str | None = Field(default=None, max_length=32)  # "anonymous" when the caller's ID is withheld
    To: str | None = Field(default=None, max_length=32)
    Digits: str | None = Field(default=None, max_length=8)
    CallStatus: CallState | None = None
    QueueResult: QueueOutcome | None = None
    QueueSid: str | None = Field(default=None, pattern=SID)
    QueueTime: int | None = Field(default=None, ge=0)

    def caller(self) -> str | None:
        """The caller's number in E.164; None for a withheld or unknown caller ID."""
        try:
            return as_e164(self.From) if self.From else None
        except ValueError:
            return None

    def called(self) -> str | None:
        """The hotline number dialled, as a CTI gives it: the national number's digits (95598)."""
        try:
            number = phonenumbers.parse(self.To or "", None)
        except phonenumbers.NumberParseException:
            return None
        digits = phonenumbers.national_significant_number(number)
        return digits if 3 <= len(digits) <= 20 else None


def read(model: type[Form], form: dict[str, str]) -> Form:
    try:
        return model.model_validate(form)
    except ValidationError as error:  # answered 422 with each field, as a JSON body's would be
        raise RequestValidationError(error.errors()) from None
