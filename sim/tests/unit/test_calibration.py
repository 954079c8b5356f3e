"""The confidence fit: parameters that match the share right of each kind of answer."""

from __future__ import annotations

import math

from ctrack_sim.calibration import Named, fit


def rows(basis: str, right: int, wrong: int, *, elapsed: float = 0.0, holders: int = 1) -> list[Named]:
    return [Named(basis, elapsed, holders, 0.5, True)] * right + [
        Named(basis, elapsed, holders, 0.5, False)
    ] * wrong


def test_each_kind_of_answer_gets_the_share_it_was_right() -> None:
    model = fit(
        rows("live", 90, 10)
        + rows("hold", 10, 0, elapsed=0.0)
        + rows("hold", 6, 4, elapsed=1.0)
        + rows("repeat_caller", 8, 2)
        + rows("live", 45, 5, holders=2)
    )
    assert (model.live, model.repeat_caller) == (0.9, 0.8)
    # The hold's line starts at 100 % right but is capped at the live share; it ends at 60 %.
    assert (model.hold_start, model.hold_end) == (0.9, 0.6)
    assert model.concurrent_factor == 1.0


def test_a_last_holder_rarely_right_is_never_named() -> None:
    model = fit(rows("live", 9, 1) + rows("last_holder", 1, 9, elapsed=120.0))
    assert model.last_holder_max_seconds == 0.0


def test_a_last_holder_right_soon_after_the_hold_is_named_until_it_falls_below_half() -> None:
    model = fit(
        rows("live", 9, 1)
        + rows("last_holder", 9, 1, elapsed=60.0)
        + rows("last_holder", 4, 6, elapsed=2000.0)
    )
    assert model.last_holder_max_seconds == 1800.0
    assert not math.isinf(model.last_holder_half_life_seconds)
