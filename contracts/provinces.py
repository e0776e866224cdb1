"""Province codes used in topic names and CloudEvents sources.

Codes are the lowercase pinyin initials operators already use for their province subsystems; the
English names are the ones libphonenumber's geocoder returns, so a caller's home region maps to a code.
"""

from typing import Final

HUB: Final = "hub"

PROVINCES: Final[dict[str, str]] = {
    "ah": "Anhui",
    "bj": "Beijing",
    "cq": "Chongqing",
    "fj": "Fujian",
    "gd": "Guangdong",
    "gs": "Gansu",
    "gx": "Guangxi",
    "gz": "Guizhou",
    "ha": "Henan",
    "hb": "Hubei",
    "he": "Hebei",
    "hi": "Hainan",
    "hl": "Heilongjiang",
    "hn": "Hunan",
    "jl": "Jilin",
    "js": "Jiangsu",
    "jx": "Jiangxi",
    "ln": "Liaoning",
    "nm": "Inner Mongolia",
    "nx": "Ningxia",
    "qh": "Qinghai",
    "sc": "Sichuan",
    "sd": "Shandong",
    "sh": "Shanghai",
    "sn": "Shaanxi",
    "sx": "Shanxi",
    "tj": "Tianjin",
    "xj": "Xinjiang",
    "xz": "Tibet",
    "yn": "Yunnan",
    "zj": "Zhejiang",
}

_CODE_BY_NAME: Final = {name.lower(): code for code, name in PROVINCES.items()}


def code_for_name(name: str) -> str | None:
    """The province code for a geocoder province name ("Guangdong" -> "gd"), or None if unknown."""
    return _CODE_BY_NAME.get(name.strip().lower())


def is_province_code(code: str) -> bool:
    return code in PROVINCES
