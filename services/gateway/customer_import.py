"""Reading a billing system's CSV export of customers: each good row a profile, each bad one reported."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pydantic import ValidationError

from services.gateway.customer_schemas import CustomerRow, RejectedRow

REQUIRED_COLUMNS = ("account_number", "phones", "monthly_spend", "customer_since", "credit_score")
OPTIONAL_COLUMNS = ("name", "kind", "address", "red_list", "blacklisted", "updated_at")
NUMBERS: dict[str, type[int] | type[float]] = {"monthly_spend": float, "credit_score": int}
TRUE, FALSE = {"1", "true", "yes", "y"}, {"", "0", "false", "no", "n"}


class NotAnExport(ValueError):
    """The file as a whole cannot be read: not UTF-8, no header, columns missing or unknown."""


@dataclass(frozen=True)
class ReadRows:
    rows: list[tuple[int, CustomerRow]]
    rejected: list[RejectedRow]


def read_export(body: bytes) -> ReadRows:
    try:
        text = body.decode("utf-8-sig")  # spreadsheet tools write a byte-order mark
    except UnicodeDecodeError as error:
        raise NotAnExport(f"not UTF-8 text: {error.reason} at byte {error.start}") from error
    reader = csv.DictReader(io.StringIO(text, newline=""))
    _check_header(reader.fieldnames)
    rows, rejected = [], []
    for line, raw in _lines(reader):
        account = (raw.get("account_number") or "").strip() or None
        if None in raw:
            rejected.append(
                RejectedRow(line=line, account_number=account, problems=["more fields than columns"])
            )
            continue
        try:
            rows.append((line, CustomerRow.model_validate(_fields(raw))))
        except ValidationError as error:
            problems = [f"{'.'.join(map(str, e['loc'])) or 'row'}: {e['msg']}" for e in error.errors()]
            rejected.append(RejectedRow(line=line, account_number=account, problems=problems))
    return ReadRows(rows, rejected)


def _check_header(columns: Sequence[str] | None) -> None:
    if not columns:
        raise NotAnExport("no header line")
    names = [column.strip() for column in columns]
    missing = [name for name in REQUIRED_COLUMNS if name not in names]
    unknown = [name for name in names if name not in REQUIRED_COLUMNS + OPTIONAL_COLUMNS]
    problems = [f"missing column {name}" for name in missing] + [
        f"unknown column {name!r}" for name in unknown
    ]
    if problems:
        raise NotAnExport("; ".join(problems))


def _lines(reader: csv.DictReader[str]) -> Iterator[tuple[int, dict[str | None, str]]]:
    for raw in reader:
        if any((value or "").strip() for key, value in raw.items() if key is not None):
            yield reader.line_num, {k.strip() if k else k: v for k, v in raw.items()}


def _fields(raw: dict[str | None, str]) -> dict[str, object]:
    """The row as the profile's fields: empty cells are absent, phones split, yes/no read as flags."""
    fields: dict[str, object] = {}
    for key, value in raw.items():
        cell = (value or "").strip()
        if key is None or not cell:
            continue
        if key == "phones":
            fields[key] = [phone.strip() for phone in cell.split(";") if phone.strip()]
        elif key in ("red_list", "blacklisted"):
            fields[key] = _flag(cell)
        elif key in NUMBERS:
            fields[key] = _number(cell, NUMBERS[key])
        else:
            fields[key] = cell
    return fields


def _number(cell: str, kind: type[int] | type[float]) -> object:
    try:
        return kind(cell)
    except ValueError:
        return cell  # left for validation to refuse, with the field's name


def _flag(cell: str) -> object:
    lowered = cell.lower()
    return True if lowered in TRUE else False if lowered in FALSE else cell  # left for validation to refuse
