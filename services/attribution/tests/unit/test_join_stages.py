"""The two stages as the faust agents drive them: states through JSON stores, repeats re-sent."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from dataclasses import replace
from datetime import timedelta
from typing import Generic, TypeVar

from attribution.domain import (
    CallerStage,
    CallerState,
    ConfidenceModel,
    NumberStage,
    NumberState,
    PartitionClock,
)
from ctrack_common.events import CallStarted

from .timeline import GRACE, at, call_started, configured, granted

T = TypeVar("T")


class JsonStore(MutableMapping[str, T], Generic[T]):
    """Keeps only JSON text, as a faust table does: every read parses a fresh state."""

    def __init__(self, dump: object, load: object) -> None:
        self._data: dict[str, str] = {}
        self._dump = dump
        self._load = load

    def __getitem__(self, key: str) -> T:
        return self._load(self._data[key])  # type: ignore[operator,no-any-return]

    def __setitem__(self, key: str, value: T) -> None:
        self._data[key] = self._dump(value)  # type: ignore[operator]

    def __delitem__(self, key: str) -> None:
        del self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)


def stages() -> tuple[NumberStage, CallerStage]:
    numbers: JsonStore[NumberState] = JsonStore(NumberState.to_json, NumberState.from_json)
    clocks: JsonStore[PartitionClock] = JsonStore(
        PartitionClock.model_dump_json, PartitionClock.model_validate_json
    )
    callers: JsonStore[CallerState] = JsonStore(CallerState.model_dump_json, CallerState.model_validate_json)
    return (
        NumberStage(grace=GRACE, retention=timedelta(days=30), numbers=numbers, clocks=clocks),
        CallerStage(model=ConfidenceModel(), callers=callers),
    )


def on_call(stage: NumberStage, event: CallStarted) -> list:  # type: ignore[type-arg]
    return stage.on_call(
        tenant_id=event.tenant_id,
        site_id=event.site_id,
        occurred_at=event.occurred_at,
        facts=event.payload,
        number_config=configured(),
    )


def test_states_kept_as_json_give_the_same_answers_as_states_kept_in_memory() -> None:
    numbers, callers = stages()
    numbers.on_lease(granted("L1", "10:00", "10:30"))
    [answer] = on_call(numbers, call_started("c1", "10:05"))
    [output] = callers.on_answer(answer)
    assert (answer.revision, answer.match.lease_id) == (1, "L1")
    assert (output.version.version, output.fresh) == (1, True)
    assert output.version.attribution.session is not None


def test_a_redelivered_fact_re_sends_the_current_answer_under_the_same_revision_and_version() -> None:
    """After a crash the inputs since the last commit come again: their outputs may have been lost."""
    numbers, callers = stages()
    numbers.on_lease(granted("L1", "10:00", "10:30"))
    [answer] = on_call(numbers, call_started("c1", "10:05"))
    [first] = callers.on_answer(answer)

    [again] = on_call(numbers, call_started("c1", "10:05"))
    assert again == answer
    [repeat] = callers.on_answer(again)
    assert repeat.version == first.version
    assert repeat.fresh is False


def test_a_stale_revision_reaching_the_caller_stage_changes_nothing() -> None:
    numbers, callers = stages()
    assert on_call(numbers, call_started("c1", "10:05")) == []  # unmatched: waits for grace
    [matched] = numbers.on_lease(granted("L1", "10:00", "10:30"))
    callers.on_answer(matched)
    stale = replace(matched, match=replace(matched.match, lease_id="L0"))
    [output] = callers.on_answer(stale)
    assert output.fresh is False
    assert output.version.attribution.lease_id == "L1"


def test_a_call_nobody_leased_on_an_idle_partition_is_answered_once_the_idle_time_covers_grace() -> None:
    numbers, _ = stages()
    assert on_call(numbers, call_started("c-1", "10:00")) == []  # unmatched: waits for grace
    assert numbers.on_idle("0", at("10:00") + GRACE - timedelta(seconds=1)) == []
    (answer,) = numbers.on_idle("0", at("10:00") + GRACE)
    assert answer.call_id == "c-1"
    assert answer.match.classification.value == "unattributed"
    assert numbers.on_idle("0", at("10:00") + 2 * GRACE) == []  # answered once


def test_idle_time_never_moves_stream_time_backwards() -> None:
    numbers, _ = stages()
    on_call(numbers, call_started("c-1", "10:00"))
    assert numbers.on_idle("0", at("09:00")) == []
    assert numbers.stream_time("0") == at("10:00")
