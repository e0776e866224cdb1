from pathlib import Path

from limits import parse
from pydantic import Field, field_validator

from plumbing.settings import BusSettings


class GatewaySettings(BusSettings):
    # A caller waits at most this long for Kafka to acknowledge its contact; then it is answered 503
    # with Retry-After instead of holding a connection for as long as an outage lasts.
    gateway_accept_timeout_seconds: float = Field(default=2.0, gt=0)
    # Who may call, and what each may do (services/gateway/principals.py); the local stack makes one.
    # Without it nobody may: every call but the probes answers 401.
    gateway_principals_path: Path | None = Field(default=None, description="GATEWAY_PRINCIPALS_PATH")
    # Requests each principal may send (per gateway replica), in `limits`' notation; then 429. One channel
    # adapter may carry a province's whole portal: 500/s is the sizing of a national hotline's peak.
    gateway_rate_limit: str = Field(default="30000/minute")
    # The largest request body taken; a larger one is refused with 413 before it is read.
    gateway_max_body_bytes: int = Field(default=65536, ge=1024)

    @field_validator("gateway_rate_limit")
    @classmethod
    def _a_rate(cls, value: str) -> str:
        try:
            parse(value)
        except ValueError as error:
            raise ValueError(f"not a rate such as 600/minute: {error}") from error
        return value
