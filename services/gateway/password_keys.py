"""The keys service passwords are hashed with (services/gateway/service_passwords.py says why a keyed
hash): a file of keys, like the seal's. The first hashes; a password hashed under another key still in
the file is checked with that one and hashed again under the first when it is keyed in right. With
several replicas a key is rotated in three steps, as the signing keys are: add the new one second on
every replica, then put it first, then drop the old one once the accounts have been sent again or verified.
Locally the gateway makes the file on first start; elsewhere it is a mounted Secret and is required.
"""

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from services.gateway.key_set import create_once


class PasswordKeys:
    def __init__(self, keys: list[str], *, local: bool = False) -> None:
        if not keys:
            raise ValueError("service passwords need at least one key")
        try:
            decoded = [base64.urlsafe_b64decode(key) for key in keys]
        except ValueError as error:
            raise ValueError(f"not a base64 key: {error}") from error
        if any(len(key) < 32 for key in decoded):
            raise ValueError("a service-password key is 32 bytes or more")
        self._keys = {hashlib.sha256(key).hexdigest()[:12]: key for key in decoded}
        self.current = next(iter(self._keys))
        self.local = local

    @classmethod
    def in_memory(cls) -> "PasswordKeys":
        """For a lone gateway in local development without a key file."""
        return cls([new_password_key()], local=True)

    @classmethod
    def load(cls, path: Path) -> "PasswordKeys":
        try:
            document = json.loads(path.read_text())
            return cls(list(document["keys"]), local=bool(document.get("local", False)))
        except (OSError, json.JSONDecodeError, KeyError, TypeError) as error:
            raise ValueError(f"{path}: not a service-password key file: {error!r}") from error

    def digest(self, account: str, password: str, kid: str | None = None) -> "Digest | None":
        """The password's hash under key `kid` (the current one if None); None if that key is gone."""
        kid = kid or self.current
        key = self._keys.get(kid)
        if key is None:
            return None
        # The account is in the hash, so two accounts with the same digits keep different hashes.
        mac = hmac.new(key, f"{account}\0{password}".encode(), hashlib.sha256).hexdigest()
        return Digest(kid, mac)


@dataclass(frozen=True)
class Digest:
    kid: str
    mac: str

    def matches(self, other: "Digest | None") -> bool:
        return other is not None and self.kid == other.kid and hmac.compare_digest(self.mac, other.mac)


def new_password_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode()


def load_password_keys(path: Path | None, local: bool) -> PasswordKeys:
    if path is None:
        return PasswordKeys.in_memory()  # settings allow this only in local development
    if local:

        def write_to(temporary: Path) -> None:
            descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as file:
                json.dump({"keys": [new_password_key()], "local": True}, file)

        create_once(path, write_to)
    keys = PasswordKeys.load(path)
    if keys.local and not local:
        raise ValueError(f"{path}: a service-password key made for local development is refused here")
    return keys
