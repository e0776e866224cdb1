"""How long a text is as it is sent and billed: GSM 03.38's 7-bit alphabet where every character is in
it (160 to a message; an extension character such as '€' or '[' takes two), otherwise UCS-2 (70, a
character outside the basic plane two); a longer text is sent in concatenated parts of 153 or 67 units,
each part's header taking the rest, split by units as Kannel splits them. The `gsm0338` codec tells
which characters the alphabet holds; notify's Kannel adapter sends in the encoding this names."""

from dataclasses import dataclass
from enum import StrEnum

import gsm0338  # noqa: F401  (registers the "gsm03.38" codec)

SINGLE = {"gsm7": 160, "ucs2": 70}
PART = {"gsm7": 153, "ucs2": 67}


class SmsEncoding(StrEnum):
    GSM7 = "gsm7"
    UCS2 = "ucs2"


@dataclass(frozen=True)
class SmsLength:
    encoding: SmsEncoding
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    parts: int


def sms_length(text: str) -> SmsLength:
    try:
        encoding, units = SmsEncoding.GSM7, len(text.encode("gsm03.38"))
    except UnicodeEncodeError:
        encoding, units = SmsEncoding.UCS2, len(text.encode("utf-16-be")) // 2
    if units <= SINGLE[encoding]:
        return SmsLength(encoding, units, 1)
    return SmsLength(encoding, units, -(-units // PART[encoding]))
