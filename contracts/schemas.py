"""The committed JSON Schema of every event version: contracts/schemas/<ce_type>/<major>.<minor>.json.

`python -m contracts.schemas` writes the schema of each event's current version. It refuses to rewrite a
committed version: a changed model needs a new minor (or major) version, which keeps the history checkable.
"""

import json
import sys
from pathlib import Path
from typing import Any

from contracts.envelope import dataschema_uri
from contracts.events import ALL_EVENTS, Event

SCHEMA_DIR = Path(__file__).parent / "schemas"

Schema = dict[str, Any]


def current_schema(event: type[Event]) -> Schema:
    schema = event.model_json_schema()
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": dataschema_uri(event), **schema}


def schema_path(event: type[Event]) -> Path:
    return SCHEMA_DIR / event.ce_type / f"{event.schema_version()}.json"


def history(ce_type: str) -> list[tuple[tuple[int, int], Schema]]:
    """Every committed version of one event type, oldest first."""
    versions = []
    for path in (SCHEMA_DIR / ce_type).glob("*.json"):
        major, minor = (int(part) for part in path.stem.split("."))
        versions.append(((major, minor), json.loads(path.read_text())))
    return sorted(versions, key=lambda item: item[0])


def render(schema: Schema) -> str:
    return json.dumps(schema, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def export() -> list[str]:
    """Write missing schemas; return the events whose committed schema differs from the model."""
    drifted = []
    for event in ALL_EVENTS:
        path = schema_path(event)
        text = render(current_schema(event))
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)
            print(f"wrote {path.relative_to(SCHEMA_DIR.parent.parent)}")
        elif path.read_text() != text:
            drifted.append(event.ce_type)
    return drifted


if __name__ == "__main__":
    changed = export()
    for ce_type in changed:
        print(
            f"{ce_type}: the model no longer matches its committed schema; raise minor_version",
            file=sys.stderr,
        )
    sys.exit(1 if changed else 0)
