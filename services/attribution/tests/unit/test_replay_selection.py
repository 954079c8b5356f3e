"""Which calls a replay covers, how its bounds are read, and the id that labels its output."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest

from attribution.replay import ReplayRange, replay_id_for
from attribution.replay.selection import InvalidReplayRange, parse_instant

START = datetime(2026, 11, 1, tzinfo=UTC)
END = datetime(2026, 11, 8, tzinfo=UTC)


def test_a_date_without_a_time_zone_is_midnight_utc() -> None:
    assert parse_instant("2026-11-01", "from") == START


def test_an_offset_is_converted_to_utc() -> None:
    moment = parse_instant("2026-11-01T03:00:00+03:00", "from")
    assert moment == START
    assert moment.tzinfo == UTC


def test_an_unreadable_bound_names_the_option() -> None:
    with pytest.raises(InvalidReplayRange, match=r"^to: 'last week'"):
        parse_instant("last week", "to")


def test_a_range_must_end_after_it_starts() -> None:
    with pytest.raises(InvalidReplayRange, match=r"^to:"):
        ReplayRange(END, START)


@pytest.mark.parametrize(
    ("started_at", "covered"),
    [
        (START - timedelta(milliseconds=1), False),
        (START, True),
        (END - timedelta(milliseconds=1), True),
        (END, False),
    ],
)
def test_the_range_is_half_open(started_at: datetime, covered: bool) -> None:
    assert ReplayRange(START, END).covers("acme", started_at) is covered


def test_a_tenant_range_leaves_out_other_tenants() -> None:
    selection = ReplayRange(START, END, tenant_id="acme")
    assert selection.covers("acme", START)
    assert not selection.covers("globex", START)


def test_the_default_replay_id_is_derived_from_the_range_so_a_rerun_replaces_its_output() -> None:
    selection = ReplayRange(START, END)
    assert replay_id_for(selection) == "20261101t000000_20261108t000000"
    assert replay_id_for(ReplayRange(START, END, "acme")) == replay_id_for(ReplayRange(START, END, "acme"))
    assert replay_id_for(ReplayRange(START, END, "acme")) != replay_id_for(ReplayRange(START, END, "globex"))


def test_an_output_suffix_becomes_the_replay_id() -> None:
    assert replay_id_for(ReplayRange(START, END), "hold_fix") == "hold_fix"


@pytest.mark.parametrize("suffix", ["", "Has-Dash", "x" * 49, "drop table"])
def test_an_output_suffix_that_cannot_name_a_table_is_refused(suffix: str) -> None:
    with pytest.raises(InvalidReplayRange, match=r"^output-suffix:"):
        replay_id_for(ReplayRange(START, END), suffix)


def test_bounds_without_a_time_zone_are_refused() -> None:
    naive = datetime(2026, 11, 1)
    with pytest.raises(InvalidReplayRange):
        ReplayRange(naive, END)
    assert ReplayRange(START, END.astimezone(timezone(timedelta(hours=2)))).end == END
