from pathlib import Path
from typing import Self

from pydantic import Field, FilePath, HttpUrl, SecretStr, model_validator

from plumbing.settings import ServiceSettings
from services.common.working_calendar import DEFAULT_CALENDAR
from services.notify.domain.quiet_hours import DEFAULT_QUIET_HOURS
from services.notify.domain.templates import DEFAULT_TEMPLATES


class NotifySettings(ServiceSettings):
    kannel_sendsms_url: HttpUrl = Field(description="KANNEL_SENDSMS_URL, smsbox's /cgi-bin/sendsms")
    kannel_username: str = Field(min_length=1)
    kannel_password: SecretStr
    sms_sender: str = Field(default="12345", description="The hotline's short code shown to customers.")
    sms_signature: str = Field(
        default="【客服热线】", description="Signature Chinese SMS rules require up front."
    )
    templates_path: FilePath = Field(
        default=Path(DEFAULT_TEMPLATES), description="TEMPLATES_PATH: what customers read, per moment."
    )
    sms_report_url: HttpUrl | None = Field(
        default=None,
        description="SMS_REPORT_URL, the gateway's Kannel delivery-report route with Kannel's user and "
        "password (http://kannel:<password>@gateway/v1/channels/kannel/dlr); none: no reports asked for.",
    )
    sms_reply_codes: bool = Field(
        default=True,
        description="SMS_REPLY_CODES: each text sent from the sender's number and its work order's reply "
        "code (an extension the operator's SMSC must route back); false where the sender takes none.",
    )
    callback_within_hours: float = Field(
        default=24.0,
        gt=0,
        le=24,  # the operators' rule: within 24 hours
        description="CALLBACK_WITHIN_HOURS: how soon a callback owed (a mid-tier caller who hung up "
        "queueing, a caller who asked) is due on the CTI's list.",
    )
    quiet_hours: bool = Field(
        default=True,
        description="QUIET_HOURS: false sends at any hour (a test system; never customers' phones).",
    )
    quiet_hours_path: FilePath = Field(
        default=Path(DEFAULT_QUIET_HOURS),
        description="QUIET_HOURS_PATH: when each kind of customer is reached.",
    )
    working_calendar_path: FilePath = Path(DEFAULT_CALENDAR)
    sms_retry_seconds: float = Field(default=30.0, gt=0)
    sms_max_attempts: int = Field(default=5, ge=1)

    @model_validator(mode="after")
    def _no_placeholder_password(self) -> Self:
        self.refuse_placeholders(KANNEL_PASSWORD=self.kannel_password.get_secret_value())
        return self

    @model_validator(mode="after")
    def _quiet_hours_kept_with_customers(self) -> Self:
        if not self.quiet_hours and self.hotline_environment != "local":
            raise ValueError("QUIET_HOURS=false is for local and test systems: customers' phones keep them")
        return self
