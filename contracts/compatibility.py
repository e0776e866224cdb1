"""Checks that a newer minor version of an event schema is compatible both ways with the older one.

Backward: a consumer on the new version reads old messages. Forward: a consumer still on the old version
reads new messages (it ignores unknown fields). Both hold when the new version only adds optional
properties and leaves every existing property, the required list and the nested definitions as they were.
"""

from typing import Any

Schema = dict[str, Any]


def incompatibilities(old: Schema, new: Schema) -> list[str]:
    problems = _compare_object("", old, new)
    old_defs, new_defs = old.get("$defs", {}), new.get("$defs", {})
    for name, old_def in old_defs.items():
        if name not in new_defs:
            problems.append(f"$defs.{name}: removed")
        else:
            problems.extend(_compare_object(f"$defs.{name}.", old_def, new_defs[name]))
    return problems


def _compare_object(where: str, old: Schema, new: Schema) -> list[str]:
    problems = []
    old_props, new_props = old.get("properties", {}), new.get("properties", {})
    for name, old_prop in old_props.items():
        if name not in new_props:
            problems.append(f"{where}{name}: removed")
        elif _without_docs(new_props[name]) != _without_docs(old_prop):
            problems.append(f"{where}{name}: definition changed")
    old_required, new_required = set(old.get("required", [])), set(new.get("required", []))
    for name in sorted(new_required - old_required):
        problems.append(f"{where}{name}: became required")
    for name in sorted(old_required - new_required):
        problems.append(f"{where}{name}: no longer required")
    if old.get("additionalProperties", True) is not False and new.get("additionalProperties", True) is False:
        problems.append(f"{where}: closed to additional properties")
    return problems


def _without_docs(schema: Any) -> Any:
    """Descriptions and titles may be reworded in a minor version; the shape may not change."""
    if isinstance(schema, dict):
        return {
            k: _without_docs(v) for k, v in schema.items() if k not in {"description", "title", "examples"}
        }
    if isinstance(schema, list):
        return [_without_docs(v) for v in schema]
    return schema
