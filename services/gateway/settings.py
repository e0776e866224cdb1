import ipaddress
import re
from pathlib import Path
from typing import Self

from limits import parse
from pydantic import Field, SecretStr, field_validator, model_validator

from plumbing.settings import ServiceSettings
from services.gateway.privacy import DEFAULT_RULES


class GatewaySettings(ServiceSettings):
    # A caller waits at most this long for Kafka to acknowledge its contact; then it is answered 503
    # with Retry-After instead of holding a connection for as long as an outage lasts.
    gateway_accept_timeout_seconds: float = Field(default=2.0, gt=0)
    # Who may call, and what each may do (services/gateway/principals.py); the local stack makes one.
    # Without it nobody may: every call but the probes answers 401.
    gateway_principals_path: Path | None = Field(default=None, description="GATEWAY_PRINCIPALS_PATH")
    # Requests each principal may send (per gateway replica), in `limits`' notation; then 429. One channel
    # adapter may carry a province's whole portal: 500/s is the sizing of a national hotline's peak.
    gateway_rate_limit: str = Field(default="30000/minute")
    # The keys OAuth2 access tokens are signed with (services/gateway/key_set.py). Locally the gateway
    # makes the file on first start; elsewhere it is a mounted Secret and is required.
    gateway_signing_keys_path: Path | None = Field(default=None, description="GATEWAY_SIGNING_KEYS_PATH")
    # The keys an anonymous reporter's number is sealed with (services/gateway/seal.py). Locally the
    # gateway makes the file on first start; elsewhere it is a mounted Secret and is required.
    gateway_seal_keys_path: Path | None = Field(default=None, description="GATEWAY_SEAL_KEYS_PATH")
    # The keys service passwords are hashed with (services/gateway/service_passwords.py). Locally the
    # gateway makes the file on first start; elsewhere it is a mounted Secret and is required.
    gateway_password_keys_path: Path | None = Field(default=None, description="GATEWAY_PASSWORD_KEYS_PATH")
    # Wrong service passwords in a row before the account's password is locked, and for how long: the
    # operators' rule (a customer who forgot it asks at a counter, with an ID document).
    gateway_password_tries: int = Field(default=5, ge=1, le=100)
    gateway_password_lock_hours: float = Field(default=24.0, gt=0, le=24 * 30)
    # The Twilio account's auth token, which signs its webhooks (services/gateway/twilio_api.py). Without
    # it the Twilio webhooks answer 404: the province takes no calls or texts through Twilio.
    gateway_twilio_auth_token: SecretStr | None = Field(default=None)
    # The province's voice routing table (services/gateway/voice_routing/table.py); none: the one
    # shipped for the province in services/gateway/voice_routing/tables/, else one public group.
    gateway_voice_routing_path: Path | None = Field(default=None)
    # The password Kannel's get-url and dlr-url carry (user `kannel`; services/gateway/kannel_api.py).
    # Without it the Kannel routes answer 404: the province takes no texts through Kannel.
    gateway_kannel_password: SecretStr | None = Field(default=None)

    @field_validator("gateway_kannel_password")
    @classmethod
    def _url_safe(cls, password: SecretStr | None) -> SecretStr | None:
        # It is written into Kannel's URLs, which send it undecoded: '@', ':', '%' or '/' would break it.
        if password is not None and not re.fullmatch(r"[A-Za-z0-9._~-]{12,128}", password.get_secret_value()):
            raise ValueError("12 to 128 letters, digits or ._~- (it is written into Kannel's URLs as it is)")
        return password

    # The hotline's SMS number (notify's sender, NOTIFY_SMS_SENDER): the digits a customer's text was
    # sent to past it are the reply code of the work order it answers.
    gateway_kannel_number: str | None = Field(default=None, pattern=r"^[0-9]{3,16}$")
    # Short, so that a leaked token is of little use; a client asks for a new one well before this.
    gateway_token_lifetime_seconds: int = Field(default=600, ge=60, le=3600)
    # Wrong client secrets tried per client id before 429: guessing is slowed to a crawl.
    gateway_token_failures_rate: str = Field(default="10/minute")
    # Which personal fields each reading role sees (services/gateway/privacy.py); the default is the
    # table shipped beside the code.
    gateway_field_access_path: Path = Field(default=DEFAULT_RULES)
    # Customer lookups (a work order's number and phone), right or wrong, per work order and per asker
    # before every attempt answers 429 for the rest of the window: enough for a customer, too few to
    # find a number by trying.
    gateway_lookup_attempts_rate: str = Field(default="10/15minutes")
    # The largest request body taken; a larger one is refused with 413 before it is read.
    gateway_max_body_bytes: int = Field(default=65536, ge=1024)
    # A customer export (POST /v1/customer-imports) may be larger: 8 MiB is some 60,000 rows, checked in
    # a few seconds and some 200 MiB of memory; a billing system splits a province's millions into files
    # of that size, sent one after another (one file at a time per replica).
    gateway_max_import_bytes: int = Field(default=8 * 1024 * 1024, ge=1024)
    # The proxies in front of the gateway (an ingress, a load balancer), as addresses or networks,
    # comma-separated. From one of them, the client is the nearest address in X-Forwarded-For that no
    # trusted proxy added: it is what the audit records and the customer lookups count. Empty: none is
    # trusted and the peer is the client, whatever a header claims.
    gateway_trusted_proxies: str = Field(default="")

    @field_validator("gateway_trusted_proxies")
    @classmethod
    def _networks(cls, value: str) -> str:
        given = [part.strip() for part in value.split(",") if part.strip()]
        wrong = []
        for part in given:
            try:
                ipaddress.ip_network(part, strict=False)
            except ValueError:
                wrong.append(part)
        if wrong:
            raise ValueError(f"not an address or a network such as 10.0.0.0/8: {', '.join(wrong)}")
        return ",".join(given)

    @property
    def trusted_proxies(self) -> list[str]:
        return [part for part in self.gateway_trusted_proxies.split(",") if part]

    @field_validator("gateway_rate_limit", "gateway_token_failures_rate", "gateway_lookup_attempts_rate")
    @classmethod
    def _a_rate(cls, value: str) -> str:
        try:
            parse(value)
        except ValueError as error:
            raise ValueError(f"not a rate such as 600/minute: {error}") from error
        return value

    @model_validator(mode="after")
    def _keys_outside_development(self) -> Self:
        if not self.local and self.gateway_signing_keys_path is None:
            raise ValueError("GATEWAY_SIGNING_KEYS_PATH is required outside local development")
        if not self.local and self.gateway_seal_keys_path is None:
            raise ValueError("GATEWAY_SEAL_KEYS_PATH is required outside local development")
        if not self.local and self.gateway_password_keys_path is None:
            raise ValueError("GATEWAY_PASSWORD_KEYS_PATH is required outside local development")
        if self.gateway_twilio_auth_token is not None:
            self.refuse_placeholders(
                GATEWAY_TWILIO_AUTH_TOKEN=self.gateway_twilio_auth_token.get_secret_value()
            )
        return self
