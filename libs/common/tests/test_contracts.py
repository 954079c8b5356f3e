"""The schema files in `schemas/` are the models' contract, and never break an existing consumer."""

import json
from pathlib import Path
from typing import Any

import pytest

from ctrack_common.contracts import breaking_changes, event_schemas, rendered

SCHEMAS = Path(__file__).resolve().parents[3] / "schemas"


def test_the_schema_files_match_the_models() -> None:
    stale = [
        path
        for path, text in rendered().items()
        if not (SCHEMAS / path).exists() or (SCHEMAS / path).read_text() != text
    ]
    assert stale == [], (
        f"schemas/ is out of date for {stale}: run `python -m ctrack_common.contracts write schemas`"
    )


BASELINE = sorted((SCHEMAS / "baseline" / "events").glob("*.json"))


@pytest.mark.parametrize("baseline", BASELINE, ids=lambda p: p.stem)
def test_no_change_breaks_a_consumer_of_the_published_baseline(baseline: Path) -> None:
    current = event_schemas()
    assert baseline.stem in current, f"event type {baseline.stem} was removed"
    assert breaking_changes(json.loads(baseline.read_text()), current[baseline.stem], baseline.stem) == []


def test_there_is_a_baseline_for_the_four_public_topics() -> None:
    names = {p.stem for p in BASELINE}
    assert {"VisitStarted", "LeaseGranted", "CallStarted", "CallAttributed"} <= names


def obj(properties: dict[str, Any], required: list[str] | None = None) -> dict[str, Any]:
    return {"type": "object", "properties": properties, "required": required or list(properties)}


STRING = {"type": "string"}
OLD = obj(
    {"a": STRING, "status": {"enum": ["x", "y"]}, "n": {"anyOf": [{"type": "integer"}, {"type": "null"}]}}
)


@pytest.mark.parametrize(
    ("new", "problem"),
    [
        (obj({"status": {"enum": ["x", "y"]}, "n": {"type": "integer"}}), "$.a: field removed"),
        (
            obj({"a": {"type": "integer"}, "status": {"enum": ["x", "y"]}, "n": {"type": "integer"}}),
            "$.a: type",
        ),
        (
            obj({"a": STRING, "status": {"enum": ["x"]}, "n": {"type": "integer"}}),
            "$.status: allowed values removed",
        ),
        (
            obj({"a": STRING, "status": {"enum": ["x", "y"]}, "n": {"type": "integer"}}, ["a", "status"]),
            "$.n: field no",
        ),
    ],
)
def test_breaking_changes_are_detected(new: dict[str, Any], problem: str) -> None:
    assert any(p.startswith(problem) for p in breaking_changes(OLD, new)), breaking_changes(OLD, new)


def test_adding_fields_and_enum_values_is_compatible() -> None:
    new = obj(
        {
            "a": STRING,
            "status": {"enum": ["x", "y", "z"]},
            "n": {"anyOf": [{"type": "integer"}, {"type": "null"}]},
            "added": STRING,
        }
    )
    assert breaking_changes(OLD, new) == []


def test_a_nested_model_reached_through_a_reference_is_checked_too() -> None:
    old = {"$defs": {"P": obj({"x": STRING})}, **obj({"payload": {"$ref": "#/$defs/P"}})}
    new = {"$defs": {"P": obj({})}, **obj({"payload": {"$ref": "#/$defs/P"}})}
    assert breaking_changes(old, new) == ["$.payload.x: field removed"]
