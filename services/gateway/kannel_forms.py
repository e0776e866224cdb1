"""What Kannel's smsbox sends the gateway, read from the query string its `get-url` and `dlr-url` name
(services/deploy's kannel.conf shows them): a customer's text, or a delivery report of one of notify's.

A text's bytes arrive as Kannel received them (`%b`) with their coding: UCS-2 for Chinese, which Python
reads as UTF-16BE, else the charset Kannel names. The query is parsed as bytes for that reason: read as
UTF-8 (as a web framework does) a UCS-2 text would be lost."""

from datetime import UTC, datetime
from typing import Annotated, TypeVar
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from contracts.events import DeliveryState
from services.gateway.schemas import as_e164
from services.gateway.twilio_forms import CONTROL

KANNEL_ID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"  # smsbox's %I, a UUID
# Kannel's DLR types (its %d) -> what happened to the text.
STATES = {
    1: DeliveryState.DELIVERED,
    2: DeliveryState.UNDELIVERABLE,
    4: DeliveryState.BUFFERED,
    8: DeliveryState.SUBMITTED,
    16: DeliveryState.REJECTED,
}
Form = TypeVar("Form", bound=BaseModel)
LONGEST = 1600  # characters of a text taken (ten concatenated parts and then some)
UnixTime = Annotated[int, Field(ge=0, le=4_102_444_800)]  # up to 2100


class KannelSms(BaseModel):
    """A text a customer sent to the hotline's number (smsbox's get-url)."""

    model_config = ConfigDict(extra="ignore", populate_by_name=True)

    id: str = Field(pattern=KANNEL_ID)
    sender: str = Field(alias="from", min_length=1, max_length=32)
    to: str = Field(pattern=r"^\+?[0-9]{1,21}$", description="The hotline number texted, with any extension.")
    text: str = Field(default="", max_length=LONGEST + 1)
    at: UnixTime | None = None

    @field_validator("text", mode="after")
    @classmethod
    def _without_control_characters(cls, text: str) -> str:
        return CONTROL.sub("", text)

    def customer_phone(self) -> str | None:
        """The sender in E.164; None for a number no customer texts from (an operator's short code)."""
        try:
            return as_e164(self.sender)
        except ValueError:
            return None

    def sent_at(self, now: datetime) -> datetime:
        """When the SMSC took it, as Kannel says (a text smsbox held for a while still starts its clock
        then); never later than now."""
        return min(datetime.fromtimestamp(self.at, UTC), now) if self.at is not None else now

    def reply_code(self, hotline_number: str | None) -> str | None:
        """The extension after the hotline's number: notify texts each work order's news from one of its
        own (contracts/ids.py, reply_code_for), so the customer's answer says which it is about. The
        number may come with the country's code in front."""
        to = self.to.removeprefix("+")
        if hotline_number and to.startswith("86" + hotline_number):
            to = to[2:]
        if not hotline_number or not to.startswith(hotline_number) or to == hotline_number:
            return None
        return to[len(hotline_number) :]


class KannelReport(BaseModel):
    """A delivery report of one of notify's texts (the dlr-url notify gave it)."""

    model_config = ConfigDict(extra="ignore")

    reference: str = Field(pattern=r"^[0-9a-f]{24}$")
    status: int = Field(description="Kannel's DLR type: 1, 2, 4, 8 or 16.")
    answer: str | None = Field(default=None, max_length=500)
    at: UnixTime | None = None

    @field_validator("status", mode="after")
    @classmethod
    def _known_status(cls, status: int) -> int:
        if status not in STATES:
            raise ValueError(f"not one of Kannel's DLR types ({', '.join(map(str, STATES))})")
        return status

    @field_validator("answer", mode="after")
    @classmethod
    def _answer_without_control_characters(cls, answer: str | None) -> str | None:
        return CONTROL.sub("", answer) if answer else None

    def state(self) -> DeliveryState:
        return STATES[self.status]


def query_bytes(request: Request) -> dict[str, bytes]:
    """The query's values as the bytes they encode (the last of a repeated name)."""
    pairs = parse_qsl(request.scope.get("query_string", b"").decode("ascii", "replace"), encoding="latin-1")
    return {name: value.encode("latin-1") for name, value in pairs}


def decoded_text(raw: dict[str, bytes]) -> tuple[str, list[str]]:
    """The text as characters (what cannot be read shown as such, never refused: a text smsbox gets no
    2xx for is lost once its retries are spent), and what is wrong with its coding if anything."""
    data, coding = raw.get("text", b""), raw.get("coding", b"0").decode("latin-1")
    charset = raw.get("charset", b"").decode("latin-1").strip() or "UTF-8"
    if coding not in ("0", "1", "2"):
        return "", [f"coding: {coding!r} is none of Kannel's codings (0, 1, 2)"]
    if coding == "1" and charset.upper() in ("8-BIT", "BINARY"):
        return f"(8-bit data, not text: {data.hex()[:200]})", []
    encoding = "utf-16-be" if coding == "2" else charset
    try:
        return data.decode(encoding, errors="replace"), []
    except LookupError:  # a charset Python does not know: read as UTF-8, what cannot be read replaced
        return data.decode("utf-8", errors="replace"), []


def read_sms(request: Request) -> KannelSms:
    raw = query_bytes(request)
    text, problems = decoded_text(raw)
    if len(text) > LONGEST:  # kept, cut: the rest is in Kannel's log
        text = text[: LONGEST - 1] + "…"
    fields = {name: value.decode("utf-8", "replace") for name, value in raw.items() if value} | {"text": text}
    return _validated(KannelSms, fields, problems)


def read_report(request: Request) -> KannelReport:
    fields = {name: value.decode("utf-8", "replace") for name, value in query_bytes(request).items()}
    return _validated(KannelReport, fields, [])


def _validated(model: type[Form], fields: dict[str, str], problems: list[str]) -> Form:
    errors: list[dict[str, object]] = [
        {"loc": ("query", problem.split(":", 1)[0]), "msg": problem, "type": "value_error"}
        for problem in problems
    ]
    try:
        found = model.model_validate(fields)
    except ValidationError as error:
        errors += [{**e, "loc": ("query", *e["loc"])} for e in error.errors()]
        found = None
    if errors or found is None:
        raise RequestValidationError(errors)
    return found
