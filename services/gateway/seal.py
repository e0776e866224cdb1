"""The seal on an anonymous reporter's number: the gateway encrypts it as it accepts the report, so no
topic, store or other service ever holds it in clear, and only an explicit, audited unseal by a credential
carrying `sealed:read` reads it back (services/gateway/work_order_api.py).

The keys are a file of Fernet keys (AES-128-CBC with HMAC-SHA256, from `cryptography`): the first seals,
every one unseals, so a key is rotated by putting a new one first and dropping the old one once nothing
sealed with it is still open. Locally the gateway makes the file on first start; elsewhere it is a mounted
Secret and is required.
"""

import json
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from services.gateway.key_set import create_once


class SealBroken(Exception):
    """The sealed value was not sealed by any of the gateway's keys (or was altered)."""


class Seal:
    def __init__(self, keys: list[str], *, local: bool = False) -> None:
        if not keys:
            raise ValueError("a seal needs at least one key")
        try:
            self._fernet = MultiFernet([Fernet(key) for key in keys])
        except ValueError as error:
            raise ValueError(f"not a Fernet key: {error}") from error
        self.local = local

    @classmethod
    def in_memory(cls) -> "Seal":
        """For a lone gateway in local development without a key file (what it seals dies with it)."""
        return cls([Fernet.generate_key().decode()], local=True)

    @classmethod
    def load(cls, path: Path) -> "Seal":
        """The keys in `path`, or ValueError saying what is wrong with it."""
        try:
            document = json.loads(path.read_text())
            return cls(list(document["keys"]), local=bool(document.get("local", False)))
        except (OSError, json.JSONDecodeError, KeyError, TypeError) as error:
            raise ValueError(f"{path}: not a seal key file: {error!r}") from error

    def seal(self, value: str) -> str:
        return self._fernet.encrypt(value.encode()).decode()

    def unseal(self, sealed: str) -> str:
        try:
            return self._fernet.decrypt(sealed.encode()).decode()
        except InvalidToken as error:
            raise SealBroken("not sealed by this gateway's keys") from error


def ensure_local(path: Path) -> None:
    """The local stack's seal key, made on first start (marked local: refused outside development)."""

    def write_to(temporary: Path) -> None:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            json.dump({"keys": [Fernet.generate_key().decode()], "local": True}, file)

    create_once(path, write_to)


def load_seal(path: Path | None, local: bool) -> Seal:
    if path is None:
        return Seal.in_memory()  # settings allow this only in local development
    if local:
        ensure_local(path)
    seal = Seal.load(path)
    if seal.local and not local:
        raise ValueError(f"{path}: a seal key made for local development is refused here")
    return seal
