"""How sure a dynamic match is: a pure function of named evidence and named parameters.

The parameters live in `ConfidenceModel` so a simulator can calibrate them
against ground truth; nothing here is a literal hidden in the join.
"""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict

__all__ = ["ConfidenceModel", "MatchEvidence", "confidence"]


@dataclass(frozen=True)
class ConfidenceModel:
    """Parameters of the confidence of a dynamic match (all in 0..1).

    - `live` (1.0): the call started while the lease itself was in force.
    - `hold_start` (0.8) and `hold_end` (0.4): a call in the hold after the lease ended, at its first
      and at its last moment; linear in between (people call later from a written-down number, but the
      longer after, the likelier someone else dialled it).
    - `per_extra_visitor` (0.1) and `shared_floor` (0.5): each distinct visitor beyond the first who held
      the number that day (up to the call) takes this much off the factor, which never falls below the floor.
    - `returning_visitor_bonus` (0.1): added when the lease's visitor is the one the caller's previous
      attributed call was matched to (the result is capped at 1).
    - `static` (1.0): a call to a static channel number: the channel is certain, the session unknown.
    """

    live: float = 1.0
    hold_start: float = 0.8
    hold_end: float = 0.4
    per_extra_visitor: float = 0.1
    shared_floor: float = 0.5
    returning_visitor_bonus: float = 0.1
    static: float = 1.0


class MatchEvidence(BaseModel):
    """What the number's history says about one dynamic match, as of the call's start."""

    model_config = ConfigDict(frozen=True)

    in_hold: bool
    hold_elapsed_seconds: float = 0.0
    hold_seconds: float = 0.0
    visitors_that_day: int = 1
    concurrent_holders: int = 1


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def confidence(
    model: ConfidenceModel, evidence: MatchEvidence, *, returning_visitor: bool
) -> tuple[float, tuple[str, ...]]:
    """The confidence of a dynamic match in 0..1, rounded to 4 places, and its reasons in plain words."""
    reasons: list[str] = []
    if evidence.in_hold:
        fraction = evidence.hold_elapsed_seconds / evidence.hold_seconds if evidence.hold_seconds > 0 else 1.0
        value = model.hold_start + (model.hold_end - model.hold_start) * min(max(fraction, 0.0), 1.0)
        reasons.append(
            f"call {_minutes(evidence.hold_elapsed_seconds)} into the "
            f"{_minutes(evidence.hold_seconds)} hold after the lease ended"
        )
    else:
        value = model.live
        reasons.append("call started while the lease was live")
    if evidence.visitors_that_day > 1:
        factor = max(model.shared_floor, 1.0 - model.per_extra_visitor * (evidence.visitors_that_day - 1))
        value *= factor
        reasons.append(f"{evidence.visitors_that_day} visitors held the number that day")
    else:
        reasons.append("one visitor held the number that day")
    if evidence.concurrent_holders > 1:
        value /= evidence.concurrent_holders
        reasons.append(
            f"number held by {evidence.concurrent_holders} visitors at call start; the latest grant was chosen"
        )
    if returning_visitor:
        value += model.returning_visitor_bonus
        reasons.append("the caller's previous attributed call came from the same visitor")
    return round(min(max(value, 0.0), 1.0), 4), tuple(reasons)
