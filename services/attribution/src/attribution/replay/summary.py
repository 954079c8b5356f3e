"""What a replay found: calls and classifications, and how its final answers differ from the live ones."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from attribution.replay.selection import ReplayRange
from ctrack_common.events import CallAttributed

__all__ = ["CallDifference", "ReplaySummary", "final_versions", "summarise"]

# Not part of the answer: the version counts revisions, which a different arrival order may change.
_NOT_COMPARED = {"version"}


@dataclass(frozen=True)
class CallDifference:
    """One call whose replayed final answer is not the live one: which payload fields differ."""

    call_id: str
    live_classification: str
    replay_classification: str
    fields: tuple[str, ...]


@dataclass(frozen=True)
class ReplaySummary:
    """Counts over the replayed calls and their comparison with the live `attributed-calls` finals."""

    replay_id: str
    calls: int
    versions: int
    classifications: Mapping[str, int]
    unattributed_reasons: Mapping[str, int]
    same_as_live: int
    version_count_differs: int
    differences: tuple[CallDifference, ...]
    missing_live: tuple[str, ...]
    missing_replay: tuple[str, ...]
    seconds: Mapping[str, float] = field(default_factory=dict)

    @property
    def differing_fields(self) -> Counter[str]:
        return Counter(name for d in self.differences for name in d.fields)

    @property
    def classification_changes(self) -> Counter[str]:
        return Counter(
            f"{d.live_classification} -> {d.replay_classification}"
            for d in self.differences
            if d.live_classification != d.replay_classification
        )

    @property
    def calls_per_second(self) -> float:
        total = sum(self.seconds.values())
        return self.calls / total if total > 0 else 0.0


def final_versions(events: Iterable[CallAttributed], selection: ReplayRange) -> dict[str, CallAttributed]:
    """The latest version of every call in the range (a log may hold a version more than once)."""
    finals: dict[str, CallAttributed] = {}
    for event in events:
        if not selection.covers(event.tenant_id, event.payload.call.started_at):
            continue
        current = finals.get(event.payload.call_id)
        if current is None or event.payload.version > current.payload.version:
            finals[event.payload.call_id] = event
    return finals


def _answer(event: CallAttributed) -> dict[str, Any]:
    return event.payload.model_dump(mode="json", exclude=_NOT_COMPARED)


def summarise(
    replay_id: str,
    replayed: Iterable[CallAttributed],
    live: Iterable[CallAttributed],
    selection: ReplayRange,
    seconds: Mapping[str, float] | None = None,
) -> ReplaySummary:
    """Compare the replay's final answers with the live ones, call by call."""
    replayed = list(replayed)
    ours = final_versions(replayed, selection)
    theirs = final_versions(live, selection)
    differences = []
    same = version_differs = 0
    for call_id in sorted(ours.keys() & theirs.keys()):
        mine, live_answer = _answer(ours[call_id]), _answer(theirs[call_id])
        fields = tuple(
            sorted(
                name for name in mine.keys() | live_answer.keys() if mine.get(name) != live_answer.get(name)
            )
        )
        if fields:
            differences.append(
                CallDifference(
                    call_id,
                    theirs[call_id].payload.classification.value,
                    ours[call_id].payload.classification.value,
                    fields,
                )
            )
            continue
        same += 1
        version_differs += ours[call_id].payload.version != theirs[call_id].payload.version
    return ReplaySummary(
        replay_id=replay_id,
        calls=len(ours),
        versions=sum(1 for e in replayed if selection.covers(e.tenant_id, e.payload.call.started_at)),
        classifications=dict(sorted(Counter(e.payload.classification.value for e in ours.values()).items())),
        unattributed_reasons=dict(
            sorted(
                Counter(
                    e.payload.unattributed_reason for e in ours.values() if e.payload.unattributed_reason
                ).items()
            )
        ),
        same_as_live=same,
        version_count_differs=version_differs,
        differences=tuple(differences),
        missing_live=tuple(sorted(ours.keys() - theirs.keys())),
        missing_replay=tuple(sorted(theirs.keys() - ours.keys())),
        seconds=dict(seconds or {}),
    )
