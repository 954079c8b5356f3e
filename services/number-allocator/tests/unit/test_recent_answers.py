"""`RecentAnswers`: the pool's recent answer ids, an immutable mapping whose updates share structure."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from number_allocator.domain.pool_state import RecentAnswers

T0 = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
IDS = [uuid.UUID(int=n) for n in range(8)]


def test_an_answer_is_kept_until_the_moment_it_goes_stale_and_not_after() -> None:
    recent = RecentAnswers().with_answer(IDS[0], T0 + timedelta(seconds=90))
    assert IDS[0] in recent.pruned(T0 + timedelta(seconds=89))
    assert IDS[0] not in recent.pruned(T0 + timedelta(seconds=90))


def test_adding_an_answer_leaves_the_earlier_mapping_unchanged() -> None:
    earlier = RecentAnswers().with_answer(IDS[0], T0)
    later = earlier.with_answer(IDS[1], T0 + timedelta(hours=1))
    assert dict(earlier) == {IDS[0]: T0}
    assert dict(later) == {IDS[0]: T0, IDS[1]: T0 + timedelta(hours=1)}


def test_a_known_answer_keeps_its_moment_unless_the_later_one_is_asked_for() -> None:
    recent = RecentAnswers().with_answer(IDS[0], T0 + timedelta(minutes=10))
    assert recent.with_answer(IDS[0], T0 + timedelta(hours=2))[IDS[0]] == T0 + timedelta(minutes=10)
    moved = recent.with_answer(IDS[0], T0 + timedelta(hours=2), latest=True)
    assert dict(moved) == {IDS[0]: T0 + timedelta(hours=2)}


def test_the_horizon_never_moves_back() -> None:
    recent = RecentAnswers().with_answer(IDS[0], T0 + timedelta(seconds=30)).pruned(T0 + timedelta(minutes=1))
    assert IDS[0] not in recent.pruned(T0)


operations = st.lists(
    st.tuples(st.sampled_from(["add", "latest", "prune"]), st.integers(0, 7), st.integers(0, 7200)),
    max_size=60,
)


@settings(max_examples=300, deadline=None)
@given(operations)
def test_it_answers_like_a_dict_pruned_by_time_on_every_step(steps: list[tuple[str, int, int]]) -> None:
    recent, model, horizon = RecentAnswers(), dict[uuid.UUID, datetime](), T0
    for kind, key, seconds in steps:
        moment = T0 + timedelta(seconds=seconds)
        if kind == "prune":
            horizon = max(horizon, moment)
            recent = recent.pruned(moment)
            model = {k: v for k, v in model.items() if v > horizon}
        elif moment > horizon:  # the fold only adds answers stale after the latest event
            current = model.get(IDS[key])
            if current is None or (kind == "latest" and moment > current):
                model[IDS[key]] = moment
            recent = recent.with_answer(IDS[key], moment, latest=kind == "latest")
        assert dict(recent) == model
        assert all((i in recent) == (i in model) for i in IDS)
