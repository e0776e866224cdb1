"""The real stack the integration and end-to-end tests run against.

Uses KAFKA_BOOTSTRAP_SERVERS / MONGODB_URI / KANNEL_* from the environment when they are set; otherwise
starts the project's local stack (deploy/local/stack/) if it is not already up, and stops it afterwards
only if it started it.
"""

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from deploy.local.credentials import (
    PASSWORD_KEYS,
    SEAL_KEYS,
    SIGNING_KEYS,
    ensure_local_credentials,
    service_env,
)
from plumbing.kafka_connection import KafkaConnection

ROOT = Path(__file__).resolve().parents[2]
STACK_ENV = ROOT / ".run" / "stack.env"
KEYS = ("KAFKA_BOOTSTRAP_SERVERS", "MONGODB_URI", "KANNEL_SENDSMS_URL", "KANNEL_USERNAME", "KANNEL_PASSWORD")
# With an external Kafka these may name a user the tests' taps and admin calls log in as.
OPTIONAL_KEYS = ("KAFKA_ADMIN_USERNAME", "KAFKA_ADMIN_PASSWORD", "MONGODB_ADMIN_URI")


@dataclass(frozen=True)
class Stack:
    kafka: KafkaConnection  # as the stack's admin: for the tests' taps, topics and forged records
    mongodb_uri: str  # as the store's admin: for the tests' own reads, fixtures and clean-up
    kannel_sendsms_url: str
    kannel_username: str
    kannel_password: str
    fakesmsc_log: Path | None
    # The local store's address without credentials, where services log in as themselves; None when the
    # store is external (then every service uses `mongodb_uri` as given).
    store_address: str | None = None

    def env(self, service: str | None = None) -> dict[str, str]:
        """The settings a service of the stack starts with: for `service`, its own Kafka and store user."""
        own = (
            service_env(service, kafka=self.kafka.username is not None, store_uri=self.store_address)
            if service is not None
            else {}
        )
        return {
            "HOTLINE_ENVIRONMENT": "local",
            "GATEWAY_PRINCIPALS_PATH": str(ensure_local_credentials()),
            "GATEWAY_SIGNING_KEYS_PATH": str(SIGNING_KEYS),
            "GATEWAY_SEAL_KEYS_PATH": str(SEAL_KEYS),
            "GATEWAY_PASSWORD_KEYS_PATH": str(PASSWORD_KEYS),
            "KAFKA_BOOTSTRAP_SERVERS": self.kafka.bootstrap_servers,
            # Without a service named, the local store's bare address: no one's login, so nothing works.
            "MONGODB_URI": self.store_address or self.mongodb_uri,
            "KANNEL_SENDSMS_URL": self.kannel_sendsms_url,
            "KANNEL_USERNAME": self.kannel_username,
            "KANNEL_PASSWORD": self.kannel_password,
        } | own


def _read_env_file(path: Path) -> dict[str, str]:
    pairs = (
        line.split("=", 1)
        for line in path.read_text().splitlines()
        if "=" in line and not line.startswith("#")
    )
    return {key.strip(): value.strip() for key, value in pairs}


def _run(command: str, *components: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "deploy.local.stack", command, *components],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )


def start() -> tuple[Stack, bool]:
    """The stack to test against, and whether this call started it (and so must stop it)."""
    started = False
    if not all(os.environ.get(key) for key in KEYS) and _run("status").returncode != 0:
        result = _run("up")
        if result.returncode != 0:
            raise RuntimeError(f"the local stack did not start:\n{result.stdout}\n{result.stderr}")
        started = True
    values = _read_env_file(STACK_ENV) if STACK_ENV.exists() else {}
    values |= {key: os.environ[key] for key in KEYS + OPTIONAL_KEYS if os.environ.get(key)}
    log = values.get("FAKESMSC_LOG")
    stack = Stack(
        kafka=KafkaConnection.from_env(values, prefix="KAFKA_ADMIN_"),
        mongodb_uri=values.get("MONGODB_ADMIN_URI") or values["MONGODB_URI"],
        kannel_sendsms_url=values["KANNEL_SENDSMS_URL"],
        kannel_username=values["KANNEL_USERNAME"],
        kannel_password=values["KANNEL_PASSWORD"],
        fakesmsc_log=Path(log) if log else None,
        store_address=values["MONGODB_URI"] if values.get("MONGODB_ADMIN_URI") else None,
    )
    return stack, started


def stop() -> None:
    _run("down")


def ours(component: str) -> bool:
    """Whether the component is the local stack's (which a test may stop and start), not an external one."""
    variable = {"kafka": "KAFKA_BOOTSTRAP_SERVERS", "ferretdb": "MONGODB_URI"}[component]
    return not os.environ.get(variable)


def stop_component(component: str) -> None:
    result = _run("down", component)
    if result.returncode != 0:
        raise RuntimeError(f"could not stop {component}:\n{result.stdout}\n{result.stderr}")


def start_component(component: str) -> None:
    result = _run("up", component)
    if result.returncode != 0:
        raise RuntimeError(f"could not start {component}:\n{result.stdout}\n{result.stderr}")
