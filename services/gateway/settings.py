from pathlib import Path

from pydantic import Field

from plumbing.settings import BusSettings


class GatewaySettings(BusSettings):
    # A caller waits at most this long for Kafka to acknowledge its contact; then it is answered 503
    # with Retry-After instead of holding a connection for as long as an outage lasts.
    gateway_accept_timeout_seconds: float = Field(default=2.0, gt=0)
    # Who may call, and what each may do (services/gateway/principals.py); the local stack makes one.
    # Without it nobody may: every call but the probes answers 401.
    gateway_principals_path: Path | None = Field(default=None, description="GATEWAY_PRINCIPALS_PATH")
    # Requests each principal may send (per gateway replica), in `limits`' notation; then 429.
    gateway_rate_limit: str = Field(default="6000/minute", pattern=r"^\d+\s*(/|per)\s*\d*\s*[a-z]+$")
    # The largest request body taken; a larger one is refused with 413 before it is read.
    gateway_max_body_bytes: int = Field(default=65536, ge=1024)
