"""Replay drives the live join's core: the partitions' logs in recording order, deterministic output.

| recorded | log             | event                                | replay emits                  |
|----------|-----------------|--------------------------------------|-------------------------------|
| 10:05    | calls           | CallStarted c1 at 10:05              | (no lease yet: waits, grace)  |
| 10:06    | lease history   | LeaseGranted L1 10:00-10:30 (late)   | c1 v1 dynamic L1              |
| 10:09    | calls           | CallStatusChanged c1 completed       | c1 v2 dynamic L1, completed   |
"""

from __future__ import annotations

from datetime import datetime

from attribution.domain import DEFAULT_RETENTION as RETENTION
from attribution.domain import AttributedCallVersion
from attribution.entrypoints.join import attributed_event
from attribution.replay.join import arrival_order, recompute, replay_event
from ctrack_common.config_view import ConfigView
from ctrack_common.events import (
    CallStatus,
    Envelope,
    NumberConfigured,
    NumberConfiguredPayload,
    NumberRole,
    event_id_for,
)

from .timeline import GRACE, NUMBER, TENANT, at, call_started, granted, status_changed


def late_lease_partition() -> tuple[list[Envelope], list[Envelope]]:
    lease = granted("L1", "10:00", "10:30")
    lease = lease.model_copy(update={"recorded_at": at("10:06")})
    calls: list[Envelope] = [
        call_started("c1", "10:05"),
        status_changed("c1", "10:05", "10:09", status=CallStatus.COMPLETED, seq=2, duration=60),
    ]
    return [lease], calls


SETTLED = at("23:00")


def replayed(
    partitions: dict[int, tuple[list[Envelope], list[Envelope]]], config: ConfigView | None = None
) -> list[tuple[AttributedCallVersion, datetime, datetime]]:
    return list(
        recompute(
            partitions,
            grace=GRACE,
            retention=RETENTION,
            config=config or ConfigView(),
            settle_at=SETTLED,
        )
    )


def emitted(
    leases: list[Envelope], calls: list[Envelope], config: ConfigView | None = None
) -> list[tuple[str, int, str]]:
    return [
        (a.call_id, a.version, a.attribution.classification.value)
        for a, _, _ in replayed({0: (leases, calls)}, config)
    ]


def test_the_two_logs_are_merged_by_recording_time_each_in_its_own_order() -> None:
    leases, calls = late_lease_partition()
    merged = list(arrival_order(leases, calls))
    assert [e.event_type for e in merged] == ["CallStarted", "LeaseGranted", "CallStatusChanged"]


def test_a_lease_recorded_after_the_call_but_within_grace_gives_the_matched_answer_first() -> None:
    assert emitted(*late_lease_partition()) == [("c1", 1, "dynamic"), ("c1", 2, "dynamic")]


def test_a_lease_recorded_beyond_grace_corrects_the_published_answer_with_a_new_version() -> None:
    lease = granted("L1", "10:00", "10:30").model_copy(update={"recorded_at": at("12:00")})
    later_call = call_started("c2", "11:30", number="+14155550199")
    # c2 moves stream time past c1's grace: c1 is published unattributed, then corrected by the lease;
    # c2 waits for a lease until the logs end, then is answered at the settle time.
    assert emitted([lease], [call_started("c1", "10:05"), later_call]) == [
        ("c1", 1, "unattributed"),
        ("c1", 2, "dynamic"),
        ("c2", 1, "unattributed"),
    ]


def test_partitions_keep_their_own_stream_time() -> None:
    lease = granted("L1", "10:00", "10:30").model_copy(update={"recorded_at": at("12:00")})
    other_partition: list[Envelope] = [call_started("c2", "11:30", number="+14155550199")]
    versions = replayed({0: ([lease], [call_started("c1", "10:05")]), 1: ([], other_partition)})
    # c2's 11:30 is another partition's time: c1 still waits for its lease, which matches it first time.
    assert [(a.call_id, a.version, a.attribution.classification.value) for a, _, _ in versions] == [
        ("c1", 1, "dynamic"),
        ("c2", 1, "unattributed"),
    ]


def test_a_call_still_waiting_when_the_logs_end_is_answered_at_the_settle_time() -> None:
    (answer, occurred_at, recorded_at), *_ = replayed({0: ([], [call_started("c1", "10:05")])})
    assert answer.attribution.classification.value == "unattributed"
    assert occurred_at == recorded_at == SETTLED


def test_the_number_role_comes_from_the_configuration() -> None:
    config = ConfigView()
    config.apply(
        NumberConfigured(
            event_id=event_id_for("number", NUMBER),
            occurred_at=at("09:00"),
            recorded_at=at("09:00"),
            tenant_id=TENANT,
            payload=NumberConfiguredPayload(number=NUMBER, provider="twilio", role=NumberRole.DEFAULT),
        )
    )
    assert emitted([], [call_started("c1", "10:05")], config) == [("c1", 1, "default-before-display")]


def test_replayed_events_are_identical_on_every_run_and_carry_their_own_ids() -> None:
    leases, calls = late_lease_partition()

    def run(replay_id: str) -> list[bytes]:
        return [
            replay_event(answer, occurred_at, recorded_at, replay_id).model_dump_json().encode()
            for answer, occurred_at, recorded_at in replayed({0: (leases, calls)})
        ]

    assert run("r1") == run("r1")
    assert run("r1") != run("r2")
    answer, occurred_at, recorded_at = replayed({0: (leases, calls)})[0]
    replay = replay_event(answer, occurred_at, recorded_at, "r1")
    live = attributed_event(answer, occurred_at, recorded_at)
    assert replay.event_id != live.event_id
    assert replay.payload == live.payload
    assert replay.recorded_at == leases[0].recorded_at  # the late lease caused the first version
