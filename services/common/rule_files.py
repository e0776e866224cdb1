"""Reading the operators' rule tables (JSON files checked when a service starts): every problem listed."""

import json
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

M = TypeVar("M", bound=BaseModel)


def problems_of(error: ValidationError, whole: str = "file") -> list[str]:
    """'<where>: <what is wrong>' for each problem; `whole` names the place when it is the whole input."""
    return [f"{'.'.join(map(str, e['loc'])) or whole}: {e['msg']}" for e in error.errors()]


def read_table(model: type[M], path: Path, what: str) -> M:
    """The table in the file as `model`, or ValueError naming the file and listing every problem."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError) as error:
        raise ValueError(f"{path}: not {what}: {error}") from error
    try:
        return model.model_validate(document)
    except ValidationError as error:
        raise ValueError(f"{path}: " + "; ".join(problems_of(error))) from error
