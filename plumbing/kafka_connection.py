"""How a client reaches Kafka and proves who it is: the bootstrap servers and, on a secured cluster, a
SASL user (one per service; the local stack and Strimzi make them)."""

import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from faststream.kafka.security import parse_security
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

Mechanism = Literal["SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN"]
_SECURITY = {"SCRAM-SHA-512": SASLScram512, "SCRAM-SHA-256": SASLScram256, "PLAIN": SASLPlaintext}


@dataclass(frozen=True)
class KafkaConnection:
    bootstrap_servers: str
    username: str | None = None
    password: str | None = field(default=None, repr=False)
    mechanism: Mechanism = "SCRAM-SHA-512"
    tls: bool = False  # SASL_SSL with the system's trusted CAs, as a managed cluster offers

    @classmethod
    def from_env(cls, env: Mapping[str, str], prefix: str = "KAFKA_SASL_") -> "KafkaConnection":
        """From KAFKA_BOOTSTRAP_SERVERS and `prefix`USERNAME/PASSWORD/MECHANISM (tools and tests)."""
        mechanism = env.get(prefix + "MECHANISM") or "SCRAM-SHA-512"
        if mechanism not in _SECURITY:
            raise ValueError(f"{prefix}MECHANISM {mechanism!r} is not one of {sorted(_SECURITY)}")
        return cls(
            env["KAFKA_BOOTSTRAP_SERVERS"],
            env.get(prefix + "USERNAME") or None,
            env.get(prefix + "PASSWORD") or None,
            mechanism,  # type: ignore[arg-type]
        )

    def security(self) -> BaseSecurity | None:
        """FastStream's form, for a KafkaBroker."""
        if self.username is None:
            return None
        context = ssl.create_default_context() if self.tls else None
        return _SECURITY[self.mechanism](self.username, self.password or "", ssl_context=context)

    def client_options(self) -> dict[str, Any]:
        """aiokafka's form, for a producer, consumer or admin client: `AIOKafkaProducer(**options)`."""
        options = {"bootstrap_servers": self.bootstrap_servers}
        return options | parse_security(self.security())
