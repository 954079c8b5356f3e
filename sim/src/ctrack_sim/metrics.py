"""Accuracy against ground truth, with the definitions of docs/accuracy.md.

- accuracy = calls attributed to the session that really made them / all calls from visitors of
  the tracked site;
- misattribution rate = calls attributed to a wrong session / all such calls (the worst outcome:
  a confident wrong answer);
- the rest are unattributed, by reason: the join's reason (`no_lease_at_call_time`,
  `number_never_leased`), the special number called (`default-before-display`, `overflow`...), or
  `business_number` when the caller dialled the site's own number (no tracking number was shown), and
  `no_answer_from_join` should the join give no answer at all for a call it was given.

A session is every page load of one sitting (each page load has its own visit id), so an answer
naming any page of the right sitting is correct; naming another sitting of the same visitor is not.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from ctrack_sim.engine import EngineCall, EngineResult
from ctrack_sim.join_port import CallAnswer
from ctrack_sim.model import Scenario

__all__ = ["Accuracy", "ReliabilityBin", "engine_calls", "reliability", "score"]

BUSINESS_NUMBER = "business_number"
NO_ANSWER = "no_answer_from_join"


def engine_calls(scenario: Scenario) -> list[EngineCall]:
    """The scenario's calls as the engine places them (ground truth stays behind)."""
    return [
        EngineCall(
            call_id=c.call_id,
            at=c.at,
            caller_number=c.caller_number,
            visitor_id=c.visitor_id,
            seen_at=c.seen_at,
            redial_of=c.redial_of,
        )
        for c in scenario.calls
    ]


@dataclass(frozen=True)
class Accuracy:
    calls: int
    correct: int
    wrong: int
    unattributed: Counter[str] = field(default_factory=Counter)
    by_timing: dict[str, tuple[int, int]] = field(default_factory=dict)  # timing -> (correct, calls)

    @property
    def accuracy(self) -> float:
        return self.correct / self.calls if self.calls else 0.0

    @property
    def misattribution(self) -> float:
        return self.wrong / self.calls if self.calls else 0.0

    @property
    def unattributed_share(self) -> float:
        return sum(self.unattributed.values()) / self.calls if self.calls else 0.0

    def interval(self) -> float:
        """Half-width of the 95 % normal interval of `accuracy` (the sample-size error)."""
        if not self.calls:
            return 0.0
        p = self.accuracy
        return 1.96 * math.sqrt(p * (1 - p) / self.calls)


def _verdict(scenario: Scenario, session_id: str, answer: CallAnswer | None) -> str:
    if answer is None or answer.visit_id is None:
        return "unattributed"
    return "correct" if scenario.session_of_visit.get(answer.visit_id) == session_id else "wrong"


def _reason(dialled: str | None, answer: CallAnswer | None) -> str:
    if dialled is None:
        return BUSINESS_NUMBER
    if answer is None:
        return NO_ANSWER
    return (
        answer.reason if answer.classification == "unattributed" and answer.reason else answer.classification
    )


def score(scenario: Scenario, result: EngineResult) -> Accuracy:
    correct = wrong = 0
    unattributed: Counter[str] = Counter()
    timing: dict[str, list[int]] = {}
    for call in scenario.calls:
        dialled = result.dialled.get(call.call_id)
        answer = result.answers.get(call.call_id) if dialled else None
        verdict = _verdict(scenario, call.session_id, answer)
        tally = timing.setdefault(call.timing, [0, 0])
        tally[1] += 1
        if verdict == "correct":
            correct += 1
            tally[0] += 1
        elif verdict == "wrong":
            wrong += 1
        else:
            unattributed[_reason(dialled, answer)] += 1
    return Accuracy(
        calls=len(scenario.calls),
        correct=correct,
        wrong=wrong,
        unattributed=unattributed,
        by_timing={k: (v[0], v[1]) for k, v in timing.items()},
    )


@dataclass(frozen=True)
class ReliabilityBin:
    low: float
    high: float
    calls: int
    correct: int

    @property
    def share_correct(self) -> float:
        return self.correct / self.calls if self.calls else 0.0


def reliability(scenario: Scenario, result: EngineResult, bins: int = 5) -> list[ReliabilityBin]:
    """Calls the join named a session for, by its confidence: the share that named the right one."""
    counts = [[0, 0] for _ in range(bins)]
    for call in scenario.calls:
        answer = result.answers.get(call.call_id)
        if answer is None or answer.visit_id is None:
            continue
        index = min(int(answer.confidence * bins), bins - 1)
        counts[index][0] += 1
        counts[index][1] += _verdict(scenario, call.session_id, answer) == "correct"
    return [ReliabilityBin(i / bins, (i + 1) / bins, n, ok) for i, (n, ok) in enumerate(counts)]
