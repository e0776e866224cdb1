"""Who may call the gateway, and what each may do: principals as data, each bound to one province.

A principal proves who it is with an API key (`Authorization: Bearer <key>` or `X-API-Key`), or with its
OAuth2 client secret at the token endpoint for a short-lived token (services/gateway/tokens.py). The table
holds only the secrets' SHA-256: they are 32 random bytes, not guessable passwords, so a slow password
hash would add cost and no safety.
"""

import hashlib
import hmac
import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from pydantic import BaseModel, Field, ValidationError, model_validator

from contracts.provinces import HUB, is_province_code
from services.common.rule_files import problems_of

SHA256 = r"^[0-9a-f]{64}$"


class Role(StrEnum):
    CHANNEL_ADAPTER = "channel_adapter"  # posts contacts for its province and channel
    DEPARTMENT = "department"  # only the dispatches sent to it
    AGENT = "agent"  # its province's work orders, its own desk's queue
    SUPERVISOR = "supervisor"  # its province
    AUDITOR = "auditor"  # the audit trail
    HUB = "hub"  # aggregates only, never raw customer data
    INSPECTOR = "inspector"  # discipline inspection: its province's reports, the sealed reporter too
    BILLING = "billing"  # the billing or CRM system: its province's customer profiles


class Scope(StrEnum):
    CONTACTS_WRITE = "contacts:write"
    REPLIES_WRITE = "replies:write"
    WORKORDERS_READ = "workorders:read"
    WORKORDERS_WRITE = "workorders:write"
    AUDIT_READ = "audit:read"
    AGGREGATES_READ = "aggregates:read"
    DISPATCHES_READ = "dispatches:read"
    SEALED_READ = "sealed:read"
    CUSTOMERS_LOOKUP = "customers:lookup"
    CUSTOMERS_WRITE = "customers:write"
    OUTAGES_WRITE = "outages:write"


# The most each role may be granted; a principal may be given fewer.
ROLE_SCOPES: dict[Role, frozenset[Scope]] = {
    Role.CHANNEL_ADAPTER: frozenset({Scope.CONTACTS_WRITE, Scope.CUSTOMERS_LOOKUP}),
    Role.DEPARTMENT: frozenset({Scope.REPLIES_WRITE, Scope.DISPATCHES_READ}),
    Role.AGENT: frozenset({Scope.WORKORDERS_READ, Scope.WORKORDERS_WRITE}),
    Role.SUPERVISOR: frozenset({Scope.WORKORDERS_READ, Scope.WORKORDERS_WRITE, Scope.OUTAGES_WRITE}),
    Role.AUDITOR: frozenset({Scope.AUDIT_READ}),
    Role.HUB: frozenset({Scope.AGGREGATES_READ}),
    Role.INSPECTOR: frozenset({Scope.WORKORDERS_READ, Scope.SEALED_READ}),
    Role.BILLING: frozenset({Scope.CUSTOMERS_WRITE}),
}


class Principal(BaseModel):
    id: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._-]+$")
    role: Role
    province: str
    channel: str | None = None
    department: str | None = None
    scopes: frozenset[Scope] | None = Field(default=None, description="Default: all of the role's.")
    key_sha256: str | None = Field(default=None, pattern=SHA256, description="Its API key's hash.")
    secret_sha256: str | None = Field(default=None, pattern=SHA256, description="Its client secret's.")

    @model_validator(mode="after")
    def _bound(self) -> "Principal":
        if self.role is Role.HUB and self.province != HUB:
            raise ValueError(f"a hub principal belongs to the hub ({HUB!r})")
        if self.role is not Role.HUB and not is_province_code(self.province):
            raise ValueError(f"unknown province {self.province!r}")
        if self.role is Role.DEPARTMENT and not self.department:
            raise ValueError("a department principal names its department")
        if self.role is Role.CHANNEL_ADAPTER and not self.channel:
            raise ValueError("a channel adapter names its channel")
        if self.scopes is not None and not self.scopes <= ROLE_SCOPES[self.role]:
            extra = sorted(self.scopes - ROLE_SCOPES[self.role])
            raise ValueError(f"the {self.role.value} role may not hold {', '.join(extra)}")
        if self.key_sha256 is None and self.secret_sha256 is None:
            raise ValueError("a principal has an API key, a client secret or both")
        return self

    @property
    def granted(self) -> frozenset[Scope]:
        return self.scopes if self.scopes is not None else ROLE_SCOPES[self.role]


@dataclass(frozen=True)
class Caller:
    """An authenticated request's principal and the scopes this request carries (a token's may be
    fewer than the principal's)."""

    principal: Principal
    scopes: frozenset[Scope]
    token_id: str | None = None  # the JWT's jti, for the audit trail; None for an API key


class Forbidden(Exception):
    """The caller is known but may not do this; the message says why."""


class NotFound(Exception):
    """Not there for this caller: what another province holds is answered so too, never shown.
    `audit_detail` says in the trail what the answer does not (why, never a value)."""

    def __init__(self, detail: str, audit_detail: str | None = None) -> None:
        super().__init__(detail)
        self.audit_detail = audit_detail


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


class PrincipalTable:
    def __init__(self, principals: list[Principal], *, local: bool = False) -> None:
        self.local = local  # made by the local stack for development; refused elsewhere
        self._by_id = {principal.id: principal for principal in principals}
        self._by_key = {p.key_sha256: p for p in principals if p.key_sha256 is not None}
        ids = [principal.id for principal in principals]
        duplicated = sorted({name for name in ids if ids.count(name) > 1})
        keys = [p.key_sha256 for p in principals if p.key_sha256 is not None]
        if duplicated or len(self._by_key) != len(keys):
            raise ValueError(f"principals must have distinct ids and keys (ids twice: {duplicated})")

    @classmethod
    def load(cls, path: Path) -> "PrincipalTable":
        """The table in a file, or ValueError listing every problem in it."""
        try:
            document = json.loads(path.read_text())
            entries = document["principals"]
        except (OSError, KeyError, TypeError, json.JSONDecodeError) as error:
            raise ValueError(f"{path}: not a table of principals: {error!r}") from error
        principals, problems = [], []
        for index, entry in enumerate(entries):
            try:
                principals.append(Principal.model_validate(entry))
            except ValidationError as error:
                problems += [f"principal {index}: {problem}" for problem in problems_of(error, "entry")]
        if problems:
            raise ValueError(f"{path}: " + "; ".join(problems))
        return cls(principals, local=document.get("local") is True)

    def by_api_key(self, key: str) -> Principal | None:
        return self._by_key.get(_hash(key))

    def by_id(self, principal_id: str) -> Principal | None:
        return self._by_id.get(principal_id)

    def by_client_secret(self, client_id: str, secret: str) -> Principal | None:
        principal = self._by_id.get(client_id)
        if principal is None or principal.secret_sha256 is None:
            return None
        return principal if hmac.compare_digest(principal.secret_sha256, _hash(secret)) else None


def acting_as(caller: Caller, role: Role | tuple[Role, ...], scope: Scope, what: str) -> Principal:
    """The caller's principal if it has `role` (one of them) and its credential carries `scope`, else
    Forbidden."""
    principal = caller.principal
    if principal.role not in (role if isinstance(role, tuple) else (role,)):
        raise Forbidden(f"the {principal.role.value} role does not {what}")
    if scope not in caller.scopes:
        raise Forbidden(f"this credential does not carry the {scope.value} scope")
    return principal


def may_post_contact(caller: Caller, province: str, channel: str) -> None:
    principal = acting_as(caller, Role.CHANNEL_ADAPTER, Scope.CONTACTS_WRITE, "post contacts")
    if principal.province != province or principal.channel != channel:
        raise Forbidden(f"this key posts {principal.channel} contacts for {principal.province} only")


def may_read_audit(caller: Caller, province: str) -> None:
    principal = acting_as(caller, Role.AUDITOR, Scope.AUDIT_READ, "read the audit trail")
    if principal.province != province:
        raise Forbidden(f"this auditor reads {principal.province}'s trail only")


def may_update_customers(caller: Caller, province: str) -> None:
    principal = acting_as(caller, Role.BILLING, Scope.CUSTOMERS_WRITE, "update customer profiles")
    if principal.province != province:
        raise Forbidden(f"this key updates {principal.province}'s customers only")


def may_reply_for(caller: Caller, province: str, department: str) -> None:
    principal = acting_as(caller, Role.DEPARTMENT, Scope.REPLIES_WRITE, "reply for a department")
    if principal.province != province or principal.department != department:
        raise Forbidden("a department replies for itself only")


# Channels whose adapter hears the customer's number from the network, not from the customer's typing.
VOUCHING_CHANNELS = {"voice", "sms"}


def may_look_up_for_caller(caller: Caller, province: str) -> None:
    what = "look up for customers"
    principal = acting_as(caller, Role.CHANNEL_ADAPTER, Scope.CUSTOMERS_LOOKUP, what)
    if principal.province != province:
        raise Forbidden(f"this key looks up for {principal.province} only")
    if principal.channel not in VOUCHING_CHANNELS:
        raise Forbidden(f"the {principal.channel} channel cannot vouch for a caller's number")
