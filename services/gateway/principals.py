"""Who may call the gateway, and what each may do: principals as data, each bound to one province.

A principal authenticates with an API key (`Authorization: Bearer <key>` or `X-API-Key`); the table holds
only the keys' SHA-256 (they are 32 random bytes, not guessable passwords). OAuth2 client credentials
with short-lived tokens come next, bound to the same principals.
"""

import hashlib
import json
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, model_validator

from contracts.provinces import HUB, is_province_code


class Role(StrEnum):
    CHANNEL_ADAPTER = "channel_adapter"  # posts contacts for its province and channel
    DEPARTMENT = "department"  # only the dispatches sent to it
    AGENT = "agent"
    SUPERVISOR = "supervisor"
    AUDITOR = "auditor"
    HUB = "hub"


class Principal(BaseModel):
    id: str = Field(min_length=1)
    role: Role
    province: str
    channel: str | None = None
    department: str | None = None
    key_sha256: str = Field(pattern=r"^[0-9a-f]{64}$")

    @model_validator(mode="after")
    def _bound(self) -> "Principal":
        if self.province != HUB and not is_province_code(self.province):
            raise ValueError(f"unknown province {self.province!r}")
        if self.role is Role.DEPARTMENT and not self.department:
            raise ValueError("a department principal names its department")
        if self.role is Role.CHANNEL_ADAPTER and not self.channel:
            raise ValueError("a channel adapter names its channel")
        return self


class Forbidden(Exception):
    """The caller is known but may not do this; the message says why."""


class PrincipalTable:
    def __init__(self, principals: list[Principal]) -> None:
        self._by_hash = {principal.key_sha256: principal for principal in principals}
        ids = [principal.id for principal in principals]
        duplicated = sorted({name for name in ids if ids.count(name) > 1})
        if duplicated or len(self._by_hash) != len(principals):
            raise ValueError(f"principals must have distinct ids and keys (ids twice: {duplicated})")

    @classmethod
    def load(cls, path: Path) -> "PrincipalTable":
        """The table in a file, or ValueError listing every problem in it."""
        try:
            entries = json.loads(path.read_text())["principals"]
        except (OSError, KeyError, TypeError, json.JSONDecodeError) as error:
            raise ValueError(f"{path}: not a table of principals: {error!r}") from error
        principals, problems = [], []
        for index, entry in enumerate(entries):
            try:
                principals.append(Principal.model_validate(entry))
            except ValidationError as error:
                problems += [
                    f"principal {index}: {'.'.join(map(str, e['loc'])) or 'entry'}: {e['msg']}"
                    for e in error.errors()
                ]
        if problems:
            raise ValueError(f"{path}: " + "; ".join(problems))
        return cls(principals)

    def authenticate(self, key: str) -> Principal | None:
        return self._by_hash.get(hashlib.sha256(key.encode()).hexdigest())


def may_post_contact(principal: Principal, province: str, channel: str) -> None:
    if principal.role is not Role.CHANNEL_ADAPTER:
        raise Forbidden(f"a {principal.role.value} does not post contacts")
    if principal.province != province or principal.channel != channel:
        raise Forbidden(f"this key posts {principal.channel} contacts for {principal.province} only")


def may_reply_for(principal: Principal, province: str, department: str) -> None:
    if principal.role is not Role.DEPARTMENT:
        raise Forbidden(f"a {principal.role.value} does not reply for a department")
    if principal.province != province or principal.department != department:
        raise Forbidden("a department replies for itself only")
