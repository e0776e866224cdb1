"""The local stack's gateway credentials: one API key per principal, made on first start.

For every province: a web channel adapter, and each department the local routing table dispatches to.
The gateway reads only the hashes (`principals.json`); the keys themselves (`keys.json`, readable by the
owner alone) are for the demo, the tests and the bench, and for trying the API by hand. Standard library
only: the stack's command line writes them before any virtualenv exists.
"""

from __future__ import annotations

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


def ensure_local_credentials() -> Path:
    """Make the principals and their keys unless they exist; the principals file's path."""
    if PRINCIPALS.exists() and KEYS.exists():
        return PRINCIPALS
    CREDENTIALS.mkdir(parents=True, exist_ok=True)
    principals, keys = [], {}
    for province in PROVINCES:
        entries = [{"id": channel_id(province), "role": "channel_adapter", "channel": "web"}]
        entries += [
            {"id": department_id(province, name), "role": "department", "department": name}
            for name in _departments()
        ]
        for entry in entries:
            key = secrets.token_urlsafe(32)
            keys[entry["id"]] = key
            principals.append(entry | {"province": province, "key_sha256": key_hash(key)})
    descriptor = os.open(KEYS, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w") as file:
        json.dump(keys, file, indent=1)
    PRINCIPALS.write_text(json.dumps({"principals": principals}, indent=1) + "\n")
    return PRINCIPALS


def local_keys() -> dict[str, str]:
    """Principal id -> API key, for local tools (read once per process: every signed request asks)."""
    global _keys
    if _keys is None:
        ensure_local_credentials()
        _keys = json.loads(KEYS.read_text())
    return _keys


_keys: dict[str, str] | None = None
