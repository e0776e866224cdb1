"""The local stack's gateway credentials: one API key per principal, made on first start.

For every province: a web channel adapter, and each department the local routing table dispatches to.
The gateway reads only the hashes (`principals.json`); the keys themselves (`keys.json`, readable by the
owner alone) are for the demo, the tests and the bench, and for trying the API by hand. Standard library
only: the stack's command line writes them before any virtualenv exists.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import secrets
from pathlib import Path

from contracts.provinces import PROVINCES

ROOT = Path(__file__).resolve().parents[2]
CREDENTIALS = ROOT / ".run" / "credentials"
PRINCIPALS = CREDENTIALS / "principals.json"
KEYS = CREDENTIALS / "keys.json"
ROUTING_RULES = ROOT / "services" / "dispatch" / "routing_rules.json"


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


def _wanted() -> list[dict[str, str]]:
    """Every principal the local stack keeps: per province, its web channel and each department."""
    departments = _departments()
    wanted = []
    for province in PROVINCES:
        channel = {"id": channel_id(province), "role": "channel_adapter", "channel": "web"}
        wanted += [channel | {"province": province}]
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


def ensure_local_credentials() -> Path:
    """Make the principals and their keys unless both exist and cover every principal wanted (a
    department added to the routing table gets its key); the principals file's path. Checked once per
    process: the tests' harness asks for every subsystem it starts."""
    global _ensured
    if _ensured:
        return PRINCIPALS
    CREDENTIALS.mkdir(parents=True, exist_ok=True)
    wanted = _wanted()
    with (CREDENTIALS / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two first runs at once (demo and tests) make one set
        if PRINCIPALS.exists() and KEYS.exists():
            known = json.loads(KEYS.read_text())
            if {entry["id"] for entry in wanted} <= set(known):
                _ensured = True
                return PRINCIPALS
        keys = {entry["id"]: secrets.token_urlsafe(32) for entry in wanted}
        principals = [entry | {"key_sha256": key_hash(keys[entry["id"]])} for entry in wanted]
        _write(KEYS, json.dumps(keys, indent=1), 0o600)
        _write(PRINCIPALS, json.dumps({"principals": principals}, indent=1) + "\n", 0o644)
    _ensured = True
    return PRINCIPALS


def local_keys() -> dict[str, str]:
    """Principal id -> API key, for local tools (read once per process: every signed request asks)."""
    global _keys
    if _keys is None:
        ensure_local_credentials()
        _keys = json.loads(KEYS.read_text())
    return _keys


_keys: dict[str, str] | None = None
_ensured = False
