"""Typed settings every service shares; a missing or malformed value stops the service at start."""

from typing import Literal, Self, TypeVar
from urllib.parse import urlsplit

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from contracts.envelope import source_uri
from contracts.provinces import HUB, is_province_code
from contracts.topics import Topics
from plumbing.kafka_connection import KafkaConnection, Mechanism


class SettingsError(SystemExit):
    """Raised at start-up with every problem listed, so an operator fixes them in one go."""


# What a sample configuration or a tutorial ships with; outside local development each is refused.
PLACEHOLDER_SECRETS = frozenset(
    {"changeme", "change-me", "change_me", "password", "secret", "admin", "default", "example"}
    | {"test", "placeholder", "foobar", "hotline", "kannel", "letmein", "123456", "xxx"}
)
SHORTEST_SECRET = 12


def placeholder_problem(name: str, secret: str | None) -> str | None:
    """Why `secret` would not do outside local development, or None if it would."""
    if secret is None:
        return None
    if secret.strip().lower() in PLACEHOLDER_SECRETS:
        return f"{name} is a placeholder; set a real secret"
    if len(secret) < SHORTEST_SECRET:
        return f"{name} is shorter than {SHORTEST_SECRET} characters"
    return None


class BusSettings(BaseSettings):
    """What every service needs: the bus and which subsystem it serves."""

    model_config = SettingsConfigDict(env_prefix="", extra="ignore", frozen=True)

    kafka_bootstrap_servers: str = Field(
        min_length=1, description="KAFKA_BOOTSTRAP_SERVERS, e.g. 127.0.0.1:9092"
    )
    # The service's own Kafka user (its ACLs: contracts/bus_access.py); none only in local development.
    kafka_sasl_username: str | None = Field(default=None, description="KAFKA_SASL_USERNAME")
    kafka_sasl_password: SecretStr | None = Field(default=None, description="KAFKA_SASL_PASSWORD")
    kafka_sasl_mechanism: Mechanism = "SCRAM-SHA-512"
    kafka_tls: bool = Field(default=False, description="SASL_SSL, checked against the system's CAs")
    # Used when a consumer creates a topic that does not exist yet; a managed cluster declares its own.
    kafka_topic_partitions: int = Field(default=3, ge=1)
    kafka_topic_replication: int = Field(default=1, ge=1)
    hotline_tier: Literal["province", "hub"] = "province"
    hotline_province: str = Field(default="gd", description="Province code; 'hub' for the hub tier.")
    # Where replicas of a service run, each needs its own client id but shares the consumer group.
    hotline_instance: str = "0"
    # Databases are <prefix>_<province>_<service>; a test run takes a prefix of its own.
    hotline_database_prefix: str = Field(default="hotline", pattern=r"^[a-z][a-z0-9]*$")
    # The safety-net sweep of undelivered outbox entries (plumbing/outbox.py); no hot path waits on it.
    outbox_sweep_seconds: float = Field(default=30.0, gt=0)
    # Probes and HTTP APIs; 0.0.0.0 in a pod, loopback on a workstation.
    hotline_http_host: str = "127.0.0.1"
    hotline_http_port: int | None = Field(default=None, ge=1, le=65535)
    # "local" lets a workstation run on the stack's own made-up secrets; anything else refuses them.
    hotline_environment: Literal["local", "production"] = Field(
        default="production", description="HOTLINE_ENVIRONMENT"
    )

    @property
    def local(self) -> bool:
        return self.hotline_environment == "local"

    def refuse_placeholders(self, **secrets: str | None) -> None:
        """Outside local development, a placeholder or short secret stops the service at start."""
        if self.local:
            return
        problems = [p for name, value in secrets.items() if (p := placeholder_problem(name, value))]
        if problems:
            raise ValueError("; ".join(problems))

    @model_validator(mode="after")
    def _province_matches_tier(self) -> Self:
        if self.hotline_tier == "hub" and self.hotline_province != HUB:
            raise ValueError(f"the hub tier runs with HOTLINE_PROVINCE={HUB}")
        if self.hotline_tier == "province" and not is_province_code(self.hotline_province):
            raise ValueError(f"HOTLINE_PROVINCE {self.hotline_province!r} is not a province code")
        return self

    @model_validator(mode="after")
    def _a_kafka_user_outside_development(self) -> Self:
        if self.local:
            return self
        if self.kafka_sasl_username is None:
            raise ValueError("KAFKA_SASL_USERNAME is required outside local development")
        password = self.kafka_sasl_password
        self.refuse_placeholders(KAFKA_SASL_PASSWORD=password.get_secret_value() if password else "")
        return self

    @property
    def kafka(self) -> KafkaConnection:
        password = self.kafka_sasl_password
        return KafkaConnection(
            self.kafka_bootstrap_servers,
            self.kafka_sasl_username,
            password.get_secret_value() if password is not None else None,
            self.kafka_sasl_mechanism,
            self.kafka_tls,
        )

    @property
    def topics(self) -> Topics:
        return Topics.for_subsystem(self.hotline_tier, self.hotline_province)

    def database_name(self, service: str) -> str:
        """Each service owns one database per subsystem; no service writes another's."""
        return f"{self.hotline_database_prefix}_{self.hotline_province}_{service}"

    def source(self, service: str) -> str:
        return source_uri(self.hotline_tier, self.hotline_province, service)

    def consumer_group(self, service: str) -> str:
        return f"{self.topics.prefix}.{service}"


S = TypeVar("S", bound=BaseSettings)


class ServiceSettings(BusSettings):
    """A service that owns data: the bus plus its store."""

    mongodb_uri: str = Field(pattern=r"^mongodb(\+srv)?://", description="MONGODB_URI")
    # Commands a service sends to the store at once; more wait for a connection. Bounded so that every
    # service of a subsystem together stays within what the store can take (the local FerretDB: see
    # deploy/local/stack/postgres.py).
    mongodb_max_pool_size: int = Field(default=25, ge=1, le=500)

    @model_validator(mode="after")
    def _no_placeholder_store_password(self) -> Self:
        parts = urlsplit(self.mongodb_uri)
        # A mechanism without a password in the URI (X.509, AWS IAM, Kerberos) names itself.
        if not self.local and parts.password is None and "authmechanism=" not in parts.query.lower():
            raise ValueError("MONGODB_URI has no login outside local development: each service logs in")
        self.refuse_placeholders(MONGODB_URI_password=parts.password)
        return self


def load(settings_type: type[S]) -> S:
    try:
        return settings_type()
    except ValidationError as error:
        lines = [
            f"  {'.'.join(str(p) for p in e['loc']).upper() or 'settings'}: {e['msg']}"
            for e in error.errors()
        ]
        raise SettingsError(f"{settings_type.__name__} is not valid:\n" + "\n".join(lines)) from error
