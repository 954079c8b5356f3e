"""The published contract: JSON Schemas of every event and the topic catalogue.

`python -m ctrack_common.contracts write schemas/` regenerates the files in
`schemas/`; tests check that the files match the models and that no change
breaks a consumer written against the frozen baseline in `schemas/baseline/`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from ctrack_common.events import EVENT_CLASSES
from ctrack_common.topics import ALL_TOPICS

__all__ = ["breaking_changes", "event_schemas", "topic_catalogue", "write"]

Schema = dict[str, Any]


def event_schemas() -> dict[str, Schema]:
    """Event type -> JSON Schema (draft 2020-12) of the whole event, envelope included."""
    schemas = {}
    for event_type, cls in sorted(EVENT_CLASSES.items()):
        schema = cls.model_json_schema(mode="serialization")
        schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
        schema["$id"] = f"https://ctrack.dev/schemas/events/{event_type}.json"
        schemas[event_type] = schema
    return schemas


def topic_catalogue() -> dict[str, Any]:
    return {
        "topics": [
            {
                "name": t.name,
                "key": t.key,
                "partitions": t.partitions,
                "cleanup_policy": "compact" if t.compacted else "delete",
                "internal": t.internal,
                "event_types": list(t.event_types),
                "description": t.description,
            }
            for t in ALL_TOPICS
        ]
    }


def _dump(data: Any) -> str:
    return json.dumps(data, indent=2, sort_keys=True) + "\n"


def write(directory: Path) -> list[Path]:
    """Write `events/<EventType>.json` and `topics.json` under `directory`."""
    (directory / "events").mkdir(parents=True, exist_ok=True)
    written = []
    for event_type, schema in event_schemas().items():
        path = directory / "events" / f"{event_type}.json"
        path.write_text(_dump(schema))
        written.append(path)
    catalogue = directory / "topics.json"
    catalogue.write_text(_dump(topic_catalogue()))
    written.append(catalogue)
    return written


def rendered() -> dict[str, str]:
    """What `write` would put in each file, by path relative to the schemas directory."""
    files = {f"events/{name}.json": _dump(schema) for name, schema in event_schemas().items()}
    files["topics.json"] = _dump(topic_catalogue())
    return files


# --- compatibility --------------------------------------------------------------------------------


def _resolve(node: Schema, root: Schema) -> Schema:
    while "$ref" in node:
        name = node["$ref"].rsplit("/", 1)[-1]
        node = root.get("$defs", {})[name]
    return node


def _variants(node: Schema, root: Schema) -> list[Schema]:
    node = _resolve(node, root)
    if "anyOf" in node:
        return [v for option in node["anyOf"] for v in _variants(option, root)]
    return [node]


def _types(node: Schema, root: Schema) -> set[str]:
    found = set()
    for variant in _variants(node, root):
        kind = variant.get("type")
        if isinstance(kind, list):
            found.update(kind)
        elif kind:
            found.add(kind)
        elif "enum" in variant or "const" in variant:
            found.add("string")
        else:
            found.add("any")
    return found


def _enum_values(node: Schema, root: Schema) -> set[Any] | None:
    values: set[Any] = set()
    for variant in _variants(node, root):
        if "enum" in variant:
            values.update(variant["enum"])
        elif "const" in variant:
            values.add(variant["const"])
        elif variant.get("type") != "null":
            return None  # not constrained to a set of values
    return values


def _object_of(node: Schema, root: Schema) -> Schema | None:
    for variant in _variants(node, root):
        if variant.get("type") == "object" and "properties" in variant:
            return variant
    return None


def _compare(old: Schema, old_root: Schema, new: Schema, new_root: Schema, where: str) -> list[str]:
    problems = []
    old_types, new_types = _types(old, old_root), _types(new, new_root)
    if "any" not in new_types and not old_types <= new_types:
        problems.append(f"{where}: type changed from {sorted(old_types)} to {sorted(new_types)}")
    old_enum, new_enum = _enum_values(old, old_root), _enum_values(new, new_root)
    if old_enum is not None and new_enum is not None and not old_enum <= new_enum:
        problems.append(f"{where}: allowed values removed: {sorted(map(str, old_enum - new_enum))}")
    old_obj, new_obj = _object_of(old, old_root), _object_of(new, new_root)
    if old_obj is not None and new_obj is not None:
        old_required = set(old_obj.get("required", ()))
        new_required = set(new_obj.get("required", ()))
        for name, old_prop in old_obj["properties"].items():
            field = f"{where}.{name}"
            if name not in new_obj["properties"]:
                problems.append(f"{field}: field removed")
                continue
            if name in old_required and name not in new_required:
                problems.append(f"{field}: field no longer always present")
            problems += _compare(old_prop, old_root, new_obj["properties"][name], new_root, field)
    old_items, new_items = old.get("items"), new.get("items")
    if isinstance(old_items, dict) and isinstance(new_items, dict):
        problems += _compare(old_items, old_root, new_items, new_root, f"{where}[]")
    return problems


def breaking_changes(old: Schema, new: Schema, name: str = "$") -> list[str]:
    """Changes from `old` to `new` that would break a consumer written against `old`.

    Breaking: a field removed or no longer always present, a type narrowed or
    changed, an enum value removed. Adding fields or enum values is not.
    """
    return _compare(old, old, new, new, name)


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "write":
        sys.exit("usage: python -m ctrack_common.contracts write <schemas dir>")
    for path in write(Path(sys.argv[2])):
        print(path)
