"""A caller's home region, from the number itself (libphonenumber's geocoder)."""

from dataclasses import dataclass

import phonenumbers
from phonenumbers import geocoder

from contracts.provinces import code_for_name


@dataclass(frozen=True)
class HomeRegion:
    description: str | None
    province: str | None


def home_region(phone: str) -> HomeRegion:
    """The number's home region as libphonenumber's geocoder knows it ("Guangzhou, Guangdong" -> gd)."""
    try:
        number = phonenumbers.parse(phone, None)
    except phonenumbers.NumberParseException:
        return HomeRegion(None, None)
    description = geocoder.description_for_number(number, "en") or None
    if description is None:
        return HomeRegion(None, None)
    # Municipalities come back as one name ("Beijing"), other regions as "City, Province".
    return HomeRegion(description, code_for_name(description.rsplit(",", 1)[-1]))
