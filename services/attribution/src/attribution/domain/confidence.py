"""How sure a dynamic match is: a pure function of named evidence and named parameters.

The parameters live in `ConfidenceModel` so a simulator can calibrate them
against ground truth (`python -m ctrack_sim.calibration`); nothing here is a
literal hidden in the join.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["ConfidenceModel", "MatchEvidence", "confidence", "last_holder_in_reach"]


@dataclass(frozen=True)
class ConfidenceModel:
    """Parameters of the confidence of a dynamic match (all shares in 0..1, times in seconds).

    Fitted on 2026-11-26 by `python -m ctrack_sim.calibration` (default traffic model, 1 day, 2,000
    sessions, call rates x10, seed 1, default pool policy at 1x / 1.2x / 1.5x the Little's-law pool,
    with the allocator core as it stood that day: 1,780 named answers) so that a confidence of about c
    is right about c of the time; the reliability table is in docs/accuracy.md.

    - `live` (0.97): the call started while the lease itself was in force (96.9 % right).
    - `hold_start` (0.97) and `hold_end` (0.7): a call in the hold after the lease ended, at its first
      and at its last moment; linear in between (93 % right in the first half, 82 % in the second; the
      fitted line is capped at `live`: a hold is never surer than the lease).
    - `per_extra_visitor` (0.0) and `shared_floor` (1.0): each distinct visitor beyond the first who held
      the number that day (up to the call) takes this much off, never below the floor. The simulator
      found no such effect, so it is off.
    - `concurrent_factor` (0.98): the number was in several visitors' intervals at the call's start (a
      live lease and others' holds, or overlapping holds) and the latest grant is named; the confidence
      is multiplied by this once per extra holder (the latest grant was right 89 % of the time).
    - `last_holder` (0.15), `last_holder_half_life_seconds` (86400) and `last_holder_max_seconds` (0):
      nobody held the number between the end of the last hold and the call, so the last holder is the
      candidate, with `last_holder` halved every half-life since the hold ended, named only within the
      maximum. Measured: the last holder made 10 % of such calls, 13 % in the first 5 minutes (most are
      late callers dialling a number written down while someone earlier held it), so by default the
      call stays unattributed.
    - `returning_visitor_bonus` (0.0): added when the lease's visitor is the one the caller's previous
      attributed call was matched to (the result is capped at 1); no measurable effect.
    - `repeat_caller_keeps_session` (True) and `repeat_caller` (0.89): a caller whose earlier call on
      the same number was attributed to a session, calling that number again while it names another
      visitor or nobody, is given the earlier session (people dial again the number they were shown);
      89 % right, where the number alone named the right session for none of them.
    - `static` (1.0): a call to a static channel number: the channel is certain, the session unknown.
    """

    live: float = 0.97
    hold_start: float = 0.97
    hold_end: float = 0.7
    per_extra_visitor: float = 0.0
    shared_floor: float = 1.0
    concurrent_factor: float = 0.98
    last_holder: float = 0.15
    last_holder_half_life_seconds: float = 86400.0
    last_holder_max_seconds: float = 0.0
    returning_visitor_bonus: float = 0.0
    repeat_caller_keeps_session: bool = True
    repeat_caller: float = 0.89
    static: float = 1.0


@dataclass(frozen=True)
class MatchEvidence:
    """What the number's history says about one dynamic match, as of the call's start.

    `after_hold` marks a last-holder match: no lease covered the call, `since_hold_end_seconds` had
    passed since the last holder's hold ended, and nobody held the number in between.
    """

    in_hold: bool
    hold_elapsed_seconds: float = 0.0
    hold_seconds: float = 0.0
    visitors_that_day: int = 1
    concurrent_holders: int = 1
    after_hold: bool = False
    since_hold_end_seconds: float = 0.0


def _minutes(seconds: float) -> str:
    return f"{seconds / 60:.1f} min"


def _base(model: ConfidenceModel, evidence: MatchEvidence) -> tuple[float, str]:
    if evidence.after_hold:
        decay = 0.5 ** (evidence.since_hold_end_seconds / model.last_holder_half_life_seconds)
        return model.last_holder * decay, (
            f"nobody held the number since the last holder's hold ended "
            f"{_minutes(evidence.since_hold_end_seconds)} before the call: the last holder is named"
        )
    if evidence.in_hold:
        fraction = evidence.hold_elapsed_seconds / evidence.hold_seconds if evidence.hold_seconds > 0 else 1.0
        value = model.hold_start + (model.hold_end - model.hold_start) * min(max(fraction, 0.0), 1.0)
        return value, (
            f"call {_minutes(evidence.hold_elapsed_seconds)} into the "
            f"{_minutes(evidence.hold_seconds)} hold after the lease ended"
        )
    return model.live, "call started while the lease was live"


def last_holder_in_reach(model: ConfidenceModel, evidence: MatchEvidence) -> bool:
    """Whether a last-holder match may name its visitor this long after the hold ended."""
    return evidence.since_hold_end_seconds < model.last_holder_max_seconds and model.last_holder > 0.0


def confidence(
    model: ConfidenceModel, evidence: MatchEvidence, *, returning_visitor: bool
) -> tuple[float, tuple[str, ...]]:
    """The confidence of a dynamic match in 0..1, rounded to 4 places, and its reasons in plain words."""
    value, reason = _base(model, evidence)
    reasons = [reason]
    if evidence.visitors_that_day > 1:
        factor = max(model.shared_floor, 1.0 - model.per_extra_visitor * (evidence.visitors_that_day - 1))
        value *= factor
        reasons.append(f"{evidence.visitors_that_day} visitors held the number that day")
    else:
        reasons.append("one visitor held the number that day")
    if evidence.concurrent_holders > 1:
        value *= model.concurrent_factor ** (evidence.concurrent_holders - 1)
        reasons.append(
            f"number held by {evidence.concurrent_holders} visitors at call start; the latest grant was chosen"
        )
    if returning_visitor:
        value += model.returning_visitor_bonus
        reasons.append("the caller's previous attributed call came from the same visitor")
    return round(min(max(value, 0.0), 1.0), 4), tuple(reasons)
