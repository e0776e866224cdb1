"""Where a call goes, by the operators' rules (../shared/domain.md, "Voice call distribution"):

- to the group of the caller's home city, from the number's home region;
- to the public group when that group has every agent busy, when the number belongs outside the
  province, says no city, or the city has no group of its own, or the caller ID is withheld;
- at the queue position intake's tier rules give the caller: VIP and high at the head, blacklisted at
  the end; a mid-tier caller who hangs up waiting is owed a callback within 24 hours.
"""

import re
from dataclasses import dataclass
from functools import lru_cache

import phonenumbers
from phonenumbers import geocoder

from contracts.events import CustomerTier
from contracts.provinces import code_for_name
from services.gateway.voice_routing.occupancy import Occupancy
from services.gateway.voice_routing.standings import Standing, StandingTable
from services.gateway.voice_routing.table import VoiceRoutingTable

PREFIX_DIGITS = 7  # a Chinese mobile number's home region is told by its first seven digits
MOBILE = re.compile(r"\+861[3-9][0-9]{9}")


@dataclass(frozen=True)
class HomeRegion:
    city: str | None
    province: str | None


@dataclass(frozen=True)
class Decision:
    group_id: str
    queue_priority: int
    reason: str
    overflowed: bool
    home_city: str | None
    home_province: str | None
    standing: Standing

    @property
    def callback_if_abandoned(self) -> bool:
        return owed_callback_if_abandoned(self.standing)


def owed_callback_if_abandoned(standing: Standing) -> bool:
    """A mid-tier customer who hangs up queueing is called back (notify puts it on the CTI's list)."""
    return standing.tier is CustomerTier.MID and not standing.blacklisted


def home_region(e164: str) -> HomeRegion:
    """The number's city and province as libphonenumber's geocoder has them ("Guangzhou, Guangdong"), a
    municipality's as itself ("Beijing"); a mobile's looked up once per prefix (its first seven digits
    tell its region), a landline's by the number itself (its area code is two to four digits)."""
    if MOBILE.fullmatch(e164):
        return _region_of(e164[: 3 + PREFIX_DIGITS] + "0000")
    return _region_of(e164)


@lru_cache(maxsize=1 << 18)
def _region_of(e164: str) -> HomeRegion:
    try:
        number = phonenumbers.parse(e164, None)
    except phonenumbers.NumberParseException:
        return HomeRegion(None, None)
    description = geocoder.description_for_number(number, "en")
    if not description:
        return HomeRegion(None, None)
    city, _, province = description.rpartition(",")
    return HomeRegion((city or province).strip(), code_for_name(province))


def decide(
    caller: str | None, table: VoiceRoutingTable, occupancy: Occupancy, standings: StandingTable
) -> Decision:
    """`caller`: the caller's number in E.164, None when withheld."""
    standing = standings.of(caller) if caller else standings.unknown
    region = home_region(caller) if caller else HomeRegion(None, None)

    def to(group: str, reason: str, overflowed: bool = False) -> Decision:
        return Decision(group, standing.priority, reason, overflowed, region.city, region.province, standing)

    public = table.public.group_id
    if caller is None:
        return to(public, "caller ID withheld")
    if region.province != table.province:
        return to(public, "a number from outside the province")
    group = table.group_of(region.city)
    if group is None:
        where = f"{region.city}'s city" if region.city else "a number that names no city"
        return to(public, f"no group for {where}")
    if occupancy.busy(group.group_id) >= group.agents:
        return to(public, f"every agent of {group.group_id} is busy", overflowed=True)
    return to(group.group_id, f"the caller's city, {region.city}")
