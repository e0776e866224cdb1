"""The local stack's gateway credentials: per principal an API key and an OAuth2 client secret, made
on first start.

For every province: a web channel adapter, and each department the local routing table dispatches to.
The gateway reads only the hashes (`principals.json`, marked local so that no other environment takes
it); the secrets themselves (`keys.json`, readable by the owner alone) are for the demo, the tests and
the bench, and for trying the API by hand. The gateway makes its token signing keys (`signing_keys.json`)
itself, as it does the key that seals anonymous reporters (`seal_keys.json`) and the one service
passwords are hashed with (`password_keys.json`). Standard library only: the
stack's command line writes these before any virtualenv exists.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
from pathlib import Path

from contracts.bus_access import SERVICES
from contracts.provinces import HUB, PROVINCES

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS = ROOT / ".run" / "credentials"
PRINCIPALS = CREDENTIALS / "principals.json"
KEYS = CREDENTIALS / "keys.json"
SIGNING_KEYS = CREDENTIALS / "signing_keys.json"
SEAL_KEYS = CREDENTIALS / "seal_keys.json"
PASSWORD_KEYS = CREDENTIALS / "password_keys.json"  # the gateway makes it on first start, as the seal's
KAFKA_USERS = CREDENTIALS / "kafka_users.json"
KAFKA_ADMIN = "admin"
STORE_USERS = CREDENTIALS / "store_users.json"
STORE_ANONYMOUS = "hotline_anonymous"
SECRETS = ("api_key", "client_secret")
ROUTING_RULES = ROOT / "services" / "dispatch" / "routing_rules.json"
DUTY_ROSTERS = ROOT / "services" / "intake" / "duty"


def key_hash(key: str) -> str:
    """Keys are 32 random bytes, so one SHA-256 suffices: a slow password hash guards guessable secrets."""
    return hashlib.sha256(key.encode()).hexdigest()


def channel_id(province: str, channel: str = "web") -> str:
    return f"{province}.channel.{channel}"


def department_id(province: str, department: str) -> str:
    return f"{province}.department.{department}"


def _departments() -> list[str]:
    rules = json.loads(ROUTING_RULES.read_text())
    return sorted({rule["department"] for rule in rules["rules"]})


def _desk_agents(province: str) -> list[str]:
    """The agents of the duty roster intake ships for the province, who own the web and SMS contacts."""
    roster = DUTY_ROSTERS / f"{province}.json"
    return [agent["id"] for agent in json.loads(roster.read_text())["agents"]] if roster.exists() else []


def role_id(province: str, role: str) -> str:
    """The local principal of a role with one per province: agent, supervisor, auditor, inspector (or
    the hub)."""
    return f"{province}.{role}"


def _wanted() -> list[dict[str, str]]:
    """Every principal the local stack keeps: per province its web, SMS and voice channels, each
    department, an agent (and each agent of its duty roster), a supervisor, an auditor, a discipline
    inspector and the billing system; and the hub."""
    departments = _departments()
    wanted = [{"id": role_id(HUB, "hub"), "role": "hub", "province": HUB}]
    for province in PROVINCES:
        wanted += [
            {"id": role_id(province, role), "role": role, "province": province}
            for role in ("agent", "supervisor", "auditor", "inspector", "billing")
        ]
        wanted += [{"id": agent, "role": "agent", "province": province} for agent in _desk_agents(province)]
        wanted += [
            {
                "id": channel_id(province, channel),
                "role": "channel_adapter",
                "channel": channel,
                "province": province,
            }
            for channel in ("web", "sms", "voice")
        ]
        wanted += [
            {
                "id": department_id(province, name),
                "role": "department",
                "department": name,
                "province": province,
            }
            for name in departments
        ]
    return wanted


def _write(path: Path, text: str, mode: int) -> None:
    """Whole or not at all (a temporary file renamed), with its permissions set even if it existed."""
    temporary = path.with_suffix(".tmp")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, mode)
    with os.fdopen(descriptor, "w") as file:
        os.fchmod(file.fileno(), mode)
        file.write(text)
    os.replace(temporary, path)


def _covers(known: dict[str, object], wanted: list[dict[str, str]]) -> bool:
    """Every principal wanted has both its secrets (an older file held API keys alone)."""
    for entry in wanted:
        held = known.get(entry["id"])
        if not isinstance(held, dict) or not set(SECRETS) <= set(held):
            return False
    return True


def ensure_local_credentials() -> Path:
    """Make the principals and their secrets unless both exist and cover every principal wanted; a
    principal added since (a department added to the routing table) gets its secrets and the others keep
    theirs. The principals file's path. Checked once per process: the tests' harness asks for every
    subsystem it starts."""
    global _ensured
    if _ensured:
        return PRINCIPALS
    CREDENTIALS.mkdir(parents=True, exist_ok=True)
    wanted = _wanted()
    with (CREDENTIALS / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two first runs at once (demo and tests) make one set
        known = json.loads(KEYS.read_text()) if PRINCIPALS.exists() and KEYS.exists() else {}
        if _covers(known, wanted):
            _ensured = True
            return PRINCIPALS
        keys = {
            entry["id"]: known[entry["id"]]
            if _covers(known, [entry])
            else {name: secrets.token_urlsafe(32) for name in SECRETS}
            for entry in wanted
        }
        principals = [
            entry
            | {
                "key_sha256": key_hash(keys[entry["id"]]["api_key"]),
                "secret_sha256": key_hash(keys[entry["id"]]["client_secret"]),
            }
            for entry in wanted
        ]
        _write(KEYS, json.dumps(keys, indent=1), 0o600)
        document = {"local": True, "principals": principals}
        _write(PRINCIPALS, json.dumps(document, indent=1) + "\n", 0o644)
    _ensured = True
    return PRINCIPALS


def local_secrets() -> dict[str, dict[str, str]]:
    """Principal id -> its api_key and client_secret, for local tools (read once per process: every
    signed request asks)."""
    global _secrets
    if _secrets is None:
        ensure_local_credentials()
        _secrets = json.loads(KEYS.read_text())
    return _secrets


def local_keys() -> dict[str, str]:
    """Principal id -> API key."""
    global _keys
    if _keys is None:
        _keys = {principal: pair["api_key"] for principal, pair in local_secrets().items()}
    return _keys


_secrets: dict[str, dict[str, str]] | None = None
_keys: dict[str, str] | None = None
_ensured = False


def _passwords(path: Path, wanted: list[str]) -> dict[str, str]:
    """User -> password, made once; a user added later gets its password added. Hex: the passwords are
    written into Kafka's JAAS settings and psql variables, inside quotes."""
    CREDENTIALS.mkdir(parents=True, exist_ok=True)
    with (CREDENTIALS / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        users: dict[str, str] = json.loads(path.read_text()) if path.exists() else {}
        if not set(wanted) <= set(users):
            users |= {user: secrets.token_hex(16) for user in wanted if user not in users}
            _write(path, json.dumps(users, indent=1), 0o600)
    return users


def kafka_users() -> dict[str, str]:
    """User -> password of the local Kafka: the admin (the stack, the tests' taps, the bench) and one
    user per service."""
    return _passwords(KAFKA_USERS, [KAFKA_ADMIN, *SERVICES])


def store_users() -> dict[str, str]:
    """Role -> password of the local store: one per service, and the anonymous role FerretDB gives a
    client that sends no credentials (it may connect and see names, never documents)."""
    return _passwords(STORE_USERS, [STORE_ANONYMOUS, *SERVICES])


def with_login(uri: str, user: str, password: str) -> str:
    """`uri` (mongodb://host:port/...) logging in as `user`; FerretDB 1.x takes PLAIN and hands the
    login to PostgreSQL."""
    scheme, _, rest = uri.partition("://")
    hosts, slash, tail = rest.rpartition("@")[2].partition("/")
    path, _, query = tail.partition("?")
    options = "&".join(filter(None, [query, "authMechanism=PLAIN"]))
    return f"{scheme}://{user}:{password}@{hosts}{slash or '/'}{path}?{options}"


def service_env(service: str, *, kafka: bool, store_uri: str | None) -> dict[str, str]:
    """What a service started on the local stack is given to log in to Kafka (if `kafka` is the stack's)
    and the store (`store_uri`: the stack's store; None for an external one, left as configured) as
    itself."""
    env = {"KAFKA_SASL_USERNAME": service, "KAFKA_SASL_PASSWORD": kafka_users()[service]} if kafka else {}
    if store_uri is not None:
        env["MONGODB_URI"] = with_login(store_uri, service, store_users()[service])
    return env
