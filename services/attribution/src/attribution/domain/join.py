"""The join state of one partition: lease histories and calls of its numbers, and the answers given.

Each call or lease event may change the answer for some known calls; only a
changed answer produces a new version, so duplicates and replays emit nothing
new. Lateness follows Kafka Streams' stream time: the latest event time seen
on the partition. A call that started more than `grace` before stream time is
closed: lease facts no longer change its attribution (status updates still
produce a version carrying the latest call facts).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from attribution.domain.attribute import Attribution, KnownCall, attribute
from attribution.domain.lease_history import LeaseEvent, LeaseHistory
from ctrack_common.events import CallFacts, NumberRole

__all__ = ["AttributedCallVersion", "PartitionJoin"]


@dataclass(frozen=True)
class AttributedCallVersion:
    """One revision of the answer for a call: the call as known then, and its attribution."""

    call_id: str
    call: KnownCall
    version: int
    attribution: Attribution


def _caller_identity(call: KnownCall) -> tuple[str, str] | None:
    # Withheld numbers ("anonymous", "") are not one caller: they never make each other repeat callers.
    if not any(ch.isdigit() for ch in call.facts.caller_number):
        return None
    return (call.tenant_id, call.facts.caller_number)


class PartitionJoin:
    """Joins the calls of one partition with the lease histories of the same partition."""

    def __init__(self, grace: timedelta) -> None:
        self._grace = grace
        self._histories: dict[str, LeaseHistory] = {}
        self._calls: dict[str, KnownCall] = {}
        self._calls_by_number: dict[str, set[str]] = {}
        self._calls_by_caller: dict[tuple[str, str], set[str]] = {}
        self._answers: dict[str, AttributedCallVersion] = {}
        self._replaced: dict[str, AttributedCallVersion | None] = {}
        self.stream_time: datetime | None = None

    def on_lease(self, event: LeaseEvent) -> list[AttributedCallVersion]:
        """Fold a lease event into its number's history and revise the calls it may concern."""
        self._advance(event.occurred_at)
        number = event.payload.number
        self._histories.setdefault(number, LeaseHistory()).apply(event)
        return self._revise(self._calls_by_number.get(number, set()))

    def on_call(
        self,
        *,
        tenant_id: str,
        site_id: str | None,
        occurred_at: datetime,
        facts: CallFacts,
        number_role: NumberRole | None,
    ) -> list[AttributedCallVersion]:
        """Take the latest facts of a call (by provider sequence number) and revise what they touch."""
        self._advance(occurred_at)
        known = self._calls.get(facts.call_id)
        if known is None or facts.sequence_number >= known.facts.sequence_number:
            # The role is the one the number had when the call was first seen, so replays agree.
            role = known.number_role if known is not None else number_role
            self._remember(KnownCall(tenant_id, known.site_id if known else site_id, facts, role), known)
        call = self._calls[facts.call_id]
        affected = {facts.call_id}
        identity = _caller_identity(call)
        if identity is not None:
            affected |= self._calls_by_caller[identity]  # their first-time-caller flag may flip
        return self._revise(affected)

    def checkpoint(self) -> None:
        """Start recording the answers replaced from now on, so they can be put back."""
        self._replaced = {}

    def rollback(self) -> None:
        """Put back the answers replaced since the checkpoint: their new versions could not be published.

        The facts stay folded in (folding is idempotent), so reprocessing the same
        events computes the same versions again, with the same event ids.
        """
        for call_id, answer in self._replaced.items():
            if answer is None:
                self._answers.pop(call_id, None)
            else:
                self._answers[call_id] = answer
        self._replaced = {}

    def _advance(self, moment: datetime) -> None:
        if self.stream_time is None or moment > self.stream_time:
            self.stream_time = moment

    def _closed(self, call: KnownCall) -> bool:
        return self.stream_time is not None and call.started_at < self.stream_time - self._grace

    def _remember(self, call: KnownCall, previous: KnownCall | None) -> None:
        call_id = call.facts.call_id
        if previous is not None:
            self._calls_by_number[previous.facts.tracking_number].discard(call_id)
            old_identity = _caller_identity(previous)
            if old_identity is not None:
                self._calls_by_caller[old_identity].discard(call_id)
        self._calls[call_id] = call
        self._calls_by_number.setdefault(call.facts.tracking_number, set()).add(call_id)
        identity = _caller_identity(call)
        if identity is not None:
            self._calls_by_caller.setdefault(identity, set()).add(call_id)

    def _caller_history(self, call: KnownCall) -> list[tuple[datetime, str]]:
        identity = _caller_identity(call)
        if identity is None:
            return []
        return [self._calls[c].order_key for c in self._calls_by_caller[identity] if c != call.facts.call_id]

    def _revise(self, call_ids: Iterable[str]) -> list[AttributedCallVersion]:
        revised = []
        for call_id in sorted(call_ids, key=lambda c: self._calls[c].order_key):
            call = self._calls[call_id]
            previous = self._answers.get(call_id)
            if previous is not None and self._closed(call):
                attribution = previous.attribution
            else:
                history = self._histories.get(call.facts.tracking_number) or LeaseHistory()
                attribution = attribute(call, history, self._caller_history(call))
            if previous is not None and previous.call == call and previous.attribution == attribution:
                continue
            answer = AttributedCallVersion(
                call_id, call, previous.version + 1 if previous else 1, attribution
            )
            self._replaced.setdefault(call_id, previous)
            self._answers[call_id] = answer
            revised.append(answer)
        return revised
