"""Reading a billing system's CSV export of customers: each good row a profile, each bad one reported."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Protocol

from pydantic import ValidationError

from services.common.rule_files import problems_of
from services.gateway.customer_schemas import CustomerProfileIn, RejectedRow

# Every column, so that a cell left empty says "none" or "no" and a missing column is never read as one:
# a profile is whole, and an export without `red_list` would otherwise clear every VIP.
COLUMNS = (
    "account_number",
    "name",
    "phones",
    "kind",
    "address",
    "monthly_spend",
    "customer_since",
    "credit_score",
    "red_list",
    "blacklisted",
    "updated_at",
)
# Not every billing system exports passwords: a file without this column leaves those on file alone.
OPTIONAL = ("service_password",)
NUMBERS: dict[str, type[int] | type[float]] = {"monthly_spend": float, "credit_score": int}
TRUE, FALSE = {"1", "true", "yes", "y"}, {"", "0", "false", "no", "n"}
# No cell of a profile is longer; an unbalanced quote that would swallow the rows after it is caught here.
# The limit is the csv module's, for the whole process: the gateway reads no other CSV.
MAX_CELL = 4096
csv.field_size_limit(MAX_CELL)


class _Reader(Protocol):
    line_num: int

    def __next__(self) -> list[str]: ...


class NotAnExport(ValueError):
    """The file as a whole cannot be read: not UTF-8, no header, columns missing, unknown or twice, or a
    line the CSV reader cannot take."""


@dataclass(frozen=True)
class ReadRows:
    rows: list[CustomerProfileIn]
    rejected: list[RejectedRow]


def read_export(body: bytes) -> ReadRows:
    try:
        text = body.decode("utf-8-sig")  # spreadsheet tools write a byte-order mark
    except UnicodeDecodeError as error:
        raise NotAnExport(f"not UTF-8 text: {error.reason} at byte {error.start}") from error
    return _read(csv.reader(io.StringIO(text, newline="")))


def _read(reader: _Reader) -> ReadRows:
    try:
        header = _header(next(reader, None))
    except csv.Error as error:
        raise NotAnExport(f"line 1: {error}") from error
    at = header.index("account_number")
    rows: list[CustomerProfileIn] = []
    rejected: list[RejectedRow] = []
    first_line: dict[str, int] = {}
    for line, cells in _rows(reader):
        account = (cells[at].strip() or None) if len(cells) > at else None
        problems = _shape(cells, len(header))
        if not problems and account in first_line:
            problems = [f"account_number: {account} is on line {first_line[account]} already"]
        if not problems:
            try:
                rows.append(CustomerProfileIn.model_validate(_fields(dict(zip(header, cells, strict=False)))))
                first_line[account or ""] = line
                continue
            except ValidationError as error:
                problems = problems_of(error, whole="row")
        rejected.append(RejectedRow(line=line, account_number=account, problems=problems))
    return ReadRows(rows, rejected)


def _header(cells: list[str] | None) -> list[str]:
    if not cells:
        raise NotAnExport("no header line")
    names = [cell.strip() for cell in cells]
    missing = [f"missing column {name}" for name in COLUMNS if name not in names]
    unknown = [f"unknown column {name!r}" for name in names if name not in COLUMNS + OPTIONAL]
    twice = [f"column {name} twice" for name in COLUMNS + OPTIONAL if names.count(name) > 1]
    if missing or unknown or twice:
        raise NotAnExport("; ".join(missing + unknown + twice))
    return names


def _rows(reader: _Reader) -> Iterator[tuple[int, list[str]]]:
    """Each non-blank row with the line it starts on (a quoted cell may span lines)."""
    while True:
        start = reader.line_num + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            raise NotAnExport(f"line {start}: {error}") from error
        if any(cell.strip() for cell in cells):
            yield start, cells


def _shape(cells: list[str], columns: int) -> list[str]:
    extra = cells[columns:]
    if any(cell.strip() for cell in extra):
        return [f"{len(cells)} fields where the header has {columns}"]
    return []


def _fields(raw: dict[str, str]) -> dict[str, object]:
    """The row as the profile's fields: empty cells are absent, phones split, yes/no read as flags."""
    fields: dict[str, object] = {}
    for key, value in raw.items():
        cell = value.strip()
        if not cell:
            if key in OPTIONAL:
                fields[key] = None  # the column is there and says "none"
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
    if not cell.isascii():
        return cell  # full-width digits are a typist's slip, left for validation to refuse
    try:
        return kind(cell.replace("_", "!"))  # Python reads 1_000 as 1000; an export never means that
    except ValueError:
        return cell  # left for validation to refuse, with the field's name


def _flag(cell: str) -> object:
    lowered = cell.lower()
    return True if lowered in TRUE else False if lowered in FALSE else cell  # left for validation to refuse
