"""The whole join in one process: stage one (by number) feeding stage two (by caller) in memory.

This is what the unit timelines, `ctrack replay` and any single-process user
drive; the service runs the same two stages as two faust agents with an
internal topic between them (see `stages.py`). Only versions that changed an
answer are returned: re-sent repeats are the runtime's concern.
"""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from datetime import datetime, timedelta
from typing import TypeVar

from attribution.domain.confidence import ConfidenceModel
from attribution.domain.lease_history import LeaseEvent
from attribution.domain.stages import (
    DEFAULT_RETENTION,
    AttributedCallVersion,
    CallerStage,
    CallerState,
    NumberAnswer,
    NumberStage,
    NumberState,
    PartitionClock,
)
from ctrack_common.events import CallFacts, NumberConfiguredPayload, NumberRole

__all__ = ["AttributedCallVersion", "PartitionJoin"]

V = TypeVar("V")
_ABSENT = object()


class _Journal(MutableMapping[str, V]):
    """A dict that, once checkpointed, remembers the first value each key had so it can be put back."""

    def __init__(self) -> None:
        self._data: dict[str, V] = {}
        self._saved: dict[str, object] | None = None

    def checkpoint(self) -> None:
        self._saved = {}

    def rollback(self) -> None:
        for key, value in (self._saved or {}).items():
            if value is _ABSENT:
                self._data.pop(key, None)
            else:
                self._data[key] = value  # type: ignore[assignment]
        self._saved = {}

    def __getitem__(self, key: str) -> V:
        value = self._data[key]
        if self._saved is not None and key not in self._saved:
            # States are mutated in place before they are written back: keep a deep copy of the original.
            self._saved[key] = _copy(value)
        return value

    def __setitem__(self, key: str, value: V) -> None:
        if self._saved is not None and key not in self._saved:
            self._saved[key] = _ABSENT
        self._data[key] = value

    def __delitem__(self, key: str) -> None:
        self[key]
        del self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def _copy(value: object) -> object:
    if isinstance(value, NumberState):
        return NumberState.from_json(value.to_json())
    if isinstance(value, PartitionClock | CallerState):
        return value.model_copy(deep=True)
    return value


class PartitionJoin:
    """Joins calls with the lease histories of their numbers, and callers with their other calls."""

    def __init__(
        self,
        grace: timedelta,
        *,
        retention: timedelta = DEFAULT_RETENTION,
        model: ConfidenceModel | None = None,
        callers: MutableMapping[str, CallerState] | None = None,
    ) -> None:
        """`callers` shares the callers' states with other joins (a simulator that rebuilds the number
        stage keeps its callers, as the service's caller table outlives a number's retention); a
        shared store is not part of `checkpoint`/`rollback`."""
        self._numbers: _Journal[NumberState] = _Journal()
        self._clocks: _Journal[PartitionClock] = _Journal()
        self._callers: _Journal[CallerState] = _Journal()
        self.numbers = NumberStage(
            grace=grace, retention=retention, numbers=self._numbers, clocks=self._clocks
        )
        self.callers = CallerStage(
            model=model or ConfidenceModel(), callers=self._callers if callers is None else callers
        )

    @property
    def stream_time(self) -> datetime | None:
        return self.numbers.stream_time("0")

    def on_lease(self, event: LeaseEvent) -> list[AttributedCallVersion]:
        """Fold a lease event into its number's history; the versions of the calls it changed."""
        return self._finish(self.numbers.on_lease(event))

    def on_call(
        self,
        *,
        tenant_id: str,
        site_id: str | None,
        occurred_at: datetime,
        facts: CallFacts,
        number_role: NumberRole | None = None,
        number_config: NumberConfiguredPayload | None = None,
    ) -> list[AttributedCallVersion]:
        """Take the latest facts of a call; the versions of the calls they changed."""
        return self._finish(
            self.numbers.on_call(
                tenant_id=tenant_id,
                site_id=site_id,
                occurred_at=occurred_at,
                facts=facts,
                number_role=number_role,
                number_config=number_config,
            )
        )

    def checkpoint(self) -> None:
        """Start recording the state replaced from now on, so it can be put back."""
        for journal in (self._numbers, self._clocks, self._callers):
            journal.checkpoint()

    def rollback(self) -> None:
        """Put back the state as it was at the checkpoint: its new versions could not be published.

        Reprocessing the same events then computes the same versions again, with the same event ids.
        """
        for journal in (self._numbers, self._clocks, self._callers):
            journal.rollback()

    def _finish(self, answers: list[NumberAnswer]) -> list[AttributedCallVersion]:
        return [out.version for answer in answers for out in self.callers.on_answer(answer) if out.fresh]
