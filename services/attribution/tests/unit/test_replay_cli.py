"""`ctrack replay` as the user types it: options read, errors named, the summary and the what-if printed.

The log readers and the simulator are replaced by small fakes here; the integration tests run the real ones.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from typer.testing import CliRunner

import attribution.replay as replay_package
import attribution.replay.what_if as recorded_module
import ctrack_sim.what_if as what_if_module
from attribution.replay import ReplayOutput, ReplayRange, summarise
from attribution.replay.selection import replay_id_for
from ctrack_common.events import Classification, Envelope
from ctrack_sim.what_if import ONE_SESSION, Overrides, WhatIfOutcome, WhatIfReport
from ctrack_stack.cli import app

from .test_replay_summary import answer

runner = CliRunner()
FROM, TO = "2026-11-02", "2026-11-03"


def test_a_range_that_ends_before_it_starts_is_refused_naming_the_option() -> None:
    result = runner.invoke(app, ["replay", "--from", TO, "--to", FROM])
    assert result.exit_code == 2
    assert "to: 2026-11-02T00:00:00+00:00 is not after from" in result.output


def test_both_bounds_are_required() -> None:
    result = runner.invoke(app, ["replay", "--from", FROM])
    assert result.exit_code == 2
    assert "--to" in result.output


def test_an_unusable_what_if_is_refused_before_anything_is_read(monkeypatch: pytest.MonkeyPatch) -> None:
    def never(*_: object) -> list[Envelope]:
        raise AssertionError("the log must not be read")

    monkeypatch.setattr(recorded_module, "recorded_traffic", never)
    result = runner.invoke(app, ["replay", "--from", FROM, "--to", TO, "--what-if", "hold=later"])
    assert result.exit_code == 2
    assert "what-if hold: 'later' is not a duration" in result.output


def test_the_summary_shows_classifications_changes_from_live_and_throughput(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[tuple[ReplayRange, str]] = []

    def fake_run(settings: object, selection: ReplayRange, replay_id: str) -> ReplayOutput:
        asked.append((selection, replay_id))
        live = [answer("c1", 1, first_time=True)]
        replayed = [answer("c1", 1)]
        summary = summarise(replay_id, replayed, live, selection, {"read": 0.5, "join": 0.25, "write": 0.25})
        return ReplayOutput(summary, "attributed-calls-replay", f"ctrack.attributed_calls_replay_{replay_id}")

    monkeypatch.setattr(replay_package, "run_replay", fake_run)
    result = runner.invoke(app, ["replay", "--from", FROM, "--to", TO, "--tenant", "acme"])
    assert result.exit_code == 0, result.output
    selection, replay_id = asked[0]
    assert selection == ReplayRange(
        datetime(2026, 11, 2, tzinfo=UTC), datetime(2026, 11, 2, tzinfo=UTC) + timedelta(days=1), "acme"
    )
    assert replay_id == replay_id_for(selection)
    assert f"table ctrack.attributed_calls_replay_{replay_id}" in result.output
    assert "throughput: 1 calls/s" in result.output
    assert "same answer" in result.output


def test_a_difference_from_live_is_listed_with_its_fields(monkeypatch: pytest.MonkeyPatch) -> None:
    def fake_run(settings: object, selection: ReplayRange, replay_id: str) -> ReplayOutput:
        live = [answer("c1", 1, Classification.UNATTRIBUTED)]
        summary = summarise(replay_id, [answer("c1", 1)], live, selection, {"join": 1.0})
        return ReplayOutput(summary, "attributed-calls-replay", "t")

    monkeypatch.setattr(replay_package, "run_replay", fake_run)
    result = runner.invoke(app, ["replay", "--from", FROM, "--to", TO, "--output-suffix", "after_fix"])
    assert result.exit_code == 0, result.output
    assert "replay after_fix" in result.output
    assert "classification unattributed -> dynamic" in result.output
    assert "c1: unattributed -> dynamic (classification" in result.output


def test_the_what_if_hands_the_recorded_traffic_and_overrides_to_the_simulator(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: dict[str, Any] = {}
    recorded_events: list[Envelope] = [answer("c1", 1)]

    def recorded(bootstrap: str, selection: ReplayRange) -> list[Envelope]:
        seen["selection"] = selection
        return recorded_events

    def estimate(events: list[Envelope], overrides: Overrides) -> WhatIfReport:
        seen["events"], seen["overrides"] = events, overrides
        return WhatIfReport(overrides, WhatIfOutcome(Counter({ONE_SESSION: 3})), WhatIfOutcome(), pools=1)

    monkeypatch.setattr(recorded_module, "recorded_traffic", recorded)
    monkeypatch.setattr(what_if_module, "what_if", estimate)
    result = runner.invoke(app, ["replay", "--from", FROM, "--to", TO, "--what-if", "hold=2m,pool-size=30"])
    assert result.exit_code == 0, result.output
    assert "ESTIMATES" in result.output
    assert ONE_SESSION in result.output
    assert seen["overrides"] == Overrides(hold_seconds=120, pool_size=30)
    assert seen["events"] == recorded_events
    assert seen["selection"].start == datetime(2026, 11, 2, tzinfo=UTC)


def test_a_log_that_cannot_be_read_is_reported_without_a_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    def unreachable(settings: object, selection: ReplayRange, replay_id: str) -> ReplayOutput:
        raise TimeoutError("replay of calls did not reach the end within 120.0s")

    monkeypatch.setattr(replay_package, "run_replay", unreachable)
    result = runner.invoke(app, ["replay", "--from", FROM, "--to", TO])
    assert result.exit_code == 2
    assert "cannot read the log at" in result.output
    assert "did not reach the end" in result.output
