"""Which personal fields of a work order a reader sees, and how the others are masked: the rules are data
(field_access.json), read and checked at start.

Only what a role needs is shown in clear: an agent calls the customer back, a department's crew goes to
the address, a supervisor oversees and needs neither. An anonymous report's reporter is sealed: hidden
from every role; a reader whose credential carries `sealed:read` may ask for it to be unsealed, and such
a read is marked in the trail. The reporter's number is not even in the case file in clear: it is
unsealed (services/gateway/seal.py) for that read alone.
"""

import json
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Literal

import phonenumbers
from pydantic import BaseModel, ConfigDict, ValidationError, model_validator

from contracts.events import WorkOrderType
from services.common.rule_files import problems_of
from services.gateway.case_files import CaseFacts
from services.gateway.principals import Role
from services.gateway.seal import Seal

DEFAULT_RULES = Path(__file__).with_name("field_access.json")
PersonalField = Literal[
    "customer.name", "customer.phone", "customer.home_region", "address", "account_number"
]
PERSONAL_FIELDS: tuple[PersonalField, ...] = (
    "customer.name",
    "customer.phone",
    "customer.home_region",  # from the number: it narrows a sealed reporter down
    "address",
    "account_number",
)
# The roles that read work orders: each must say how it sees every personal field.
READERS = (Role.AGENT, Role.DEPARTMENT, Role.SUPERVISOR, Role.INSPECTOR)


class Visibility(StrEnum):
    CLEAR = "clear"
    MASKED = "masked"
    HIDDEN = "hidden"


class FieldAccess(BaseModel):
    model_config = ConfigDict(extra="forbid")

    roles: dict[Role, dict[PersonalField, Visibility]]
    sealed: list[PersonalField]

    @model_validator(mode="after")
    def _complete(self) -> "FieldAccess":
        problems = [f"{role.value} is not listed" for role in READERS if role not in self.roles]
        problems += [
            f"{role.value} does not say how it sees {name}"
            for role, fields in self.roles.items()
            for name in PERSONAL_FIELDS
            if name not in fields
        ]
        if problems:
            raise ValueError("; ".join(problems))
        return self

    @classmethod
    def load(cls, path: Path = DEFAULT_RULES) -> "FieldAccess":
        """The rules in a file, or ValueError listing every problem in them."""
        try:
            document = json.loads(path.read_text())
            document.pop("_comment", None)
            return cls.model_validate(document)
        except (OSError, json.JSONDecodeError) as error:
            raise ValueError(f"{path}: not a table of field access: {error!r}") from error
        except ValidationError as error:
            raise ValueError(f"{path}: " + "; ".join(problems_of(error))) from error


def mask_phone(e164: str) -> str:
    """138****8000: the first three and last four digits of the national number."""
    try:
        national = str(phonenumbers.parse(e164).national_number)
    except phonenumbers.NumberParseException:
        national = "".join(ch for ch in e164 if ch.isdigit())
    if len(national) <= 7:
        return "*" * len(national)
    return f"{national[:3]}{'*' * (len(national) - 7)}{national[-4:]}"


def mask_name(name: str) -> str:
    """张**: the family name (the first character) and a star for each other one."""
    return name[:1] + "*" * max(1, len(name) - 1)


def mask_address(address: str) -> str:
    """The first third (city and district, in a Chinese address), the rest starred."""
    kept = max(1, len(address) // 3)
    return address[:kept] + "****"


def mask_region(region: str) -> str:
    """'Guangzhou, Guangdong' -> 'Guangdong': the province, not the city."""
    return region.rsplit(",", 1)[-1].strip()


def mask_account(account: str) -> str:
    return "****" + account[-4:] if len(account) > 4 else "****"


MASKS = {
    "customer.name": mask_name,
    "customer.phone": mask_phone,
    "customer.home_region": mask_region,
    "address": mask_address,
    "account_number": mask_account,
}


@dataclass(frozen=True)
class Shown:
    values: dict[PersonalField, str | None]
    clear: list[PersonalField]  # shown as they are: what the audit record lists
    sealed: bool  # the work order's reporter is sealed (shown or not)
    unsealed: bool  # and this reader saw what the seal hides, in clear or masked


def _value(facts: CaseFacts, name: PersonalField, unsealing: Seal | None) -> str | None:
    if name == "customer.phone" and facts.anonymous is not False:
        # Any read but an unsealing one shows none; one before intake's event has nothing to unseal yet.
        sealed = facts.sealed_reporter
        return unsealing.unseal(sealed) if unsealing is not None and sealed is not None else None
    return {
        "customer.name": facts.customer_name,
        "customer.phone": facts.phone,
        "customer.home_region": facts.home_region,
        "address": facts.address,
        "account_number": facts.account_number,
    }[name]


def show(facts: CaseFacts, role: Role, unsealing: Seal | None, rules: FieldAccess) -> Shown:
    """`unsealing`: the gateway's seal, for a read an authorised reader asked to unseal; else None."""
    sealed = facts.anonymous is not False  # not known yet counts as sealed
    may_unseal = unsealing is not None
    values: dict[PersonalField, str | None] = {}
    clear: list[PersonalField] = []
    unsealed = False
    for name in PERSONAL_FIELDS:
        value = _value(facts, name, unsealing)
        seen = rules.roles[role][name]
        if sealed and name in rules.sealed and not may_unseal:
            seen = Visibility.HIDDEN
        if value is None or seen is Visibility.HIDDEN:
            values[name] = None
            continue
        unsealed = unsealed or (sealed and name in rules.sealed)
        if seen is Visibility.MASKED:
            values[name] = MASKS[name](value)
            continue
        values[name] = value
        clear.append(name)
    return Shown(values, clear, sealed, unsealed)


def shown_in_public(facts: CaseFacts) -> bool:
    """Whether Open311's public reads (no credential) may show the work order at all. Never an anonymous
    report's or one whose anonymity is not known yet (that it exists, where and when, points at its
    reporter), never a report (discipline reports are the inspector's alone). What they show of the
    others is in services/gateway/open311_requests.py: no name, phone, account, street or description."""
    return facts.anonymous is False and facts.type is not WorkOrderType.REPORT
