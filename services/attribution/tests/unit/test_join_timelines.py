"""The join as timelines: events in arrival order, and the attributed-call versions each one emits.

Every test is a table in its docstring (arrival order top to bottom) and the
same table in code. Times are event times on one day; the grace is one hour.
"""

from __future__ import annotations

from datetime import timedelta

from ctrack_common.events import CallStatus, NumberRole

from .timeline import (
    NUMBER,
    Timeline,
    call_started,
    expired,
    granted,
    renewed,
    status_changed,
)


def test_a_call_during_a_lease_is_attributed_to_its_holder() -> None:
    """In order.

    | event                                   | emitted              |
    |-----------------------------------------|----------------------|
    | LeaseGranted L1 10:00-10:30 visitor A   |                      |
    | CallStarted c1 at 10:05                 | c1 v1 dynamic L1     |
    """
    timeline = Timeline()
    timeline.run(
        [
            (granted("L1", "10:00", "10:30"), []),
            (call_started("c1", "10:05"), [("c1", 1, "dynamic", "L1")]),
        ]
    )
    answer = timeline.latest["c1"].attribution
    assert answer.visitor_id == "v-a"
    assert answer.session is not None and answer.session.source == "google"
    assert answer.confidence == 1.0
    assert answer.confidence_reasons == ("number held by exactly one visitor at call start",)


def test_a_lease_arriving_after_its_call_within_grace_revises_the_call() -> None:
    """Out of order within grace.

    | event                                   | emitted                            |
    |-----------------------------------------|------------------------------------|
    | CallStarted c1 at 10:05                 | c1 v1 unattributed never leased    |
    | LeaseGranted L1 10:00-10:30 (late)      | c1 v2 dynamic L1                   |
    """
    Timeline().run(
        [
            (call_started("c1", "10:05"), [("c1", 1, "unattributed", "number_never_leased")]),
            (granted("L1", "10:00", "10:30"), [("c1", 2, "dynamic", "L1")]),
        ]
    )


def test_a_lease_arriving_beyond_grace_does_not_reopen_the_call() -> None:
    """Beyond grace: stream time moved to 11:30, so the 10:05 call is closed (10:05 < 11:30 - 1h).

    | event                                   | emitted                            |
    |-----------------------------------------|------------------------------------|
    | CallStarted c1 at 10:05                 | c1 v1 unattributed never leased    |
    | LeaseGranted L2 11:30-12:00 visitor B   |                                    |
    | LeaseGranted L1 10:00-10:30 (late)      |                                    |
    """
    Timeline().run(
        [
            (call_started("c1", "10:05"), [("c1", 1, "unattributed", "number_never_leased")]),
            (granted("L2", "11:30", "12:00", visitor="v-b"), []),
            (granted("L1", "10:00", "10:30"), []),
        ]
    )


def test_a_closed_call_still_gets_status_versions_with_its_frozen_attribution() -> None:
    """Beyond grace, then a status update.

    | event                                   | emitted                            |
    |-----------------------------------------|------------------------------------|
    | CallStarted c1 at 10:05                 | c1 v1 unattributed never leased    |
    | LeaseGranted L2 11:30-12:00 visitor B   |                                    |
    | LeaseGranted L1 10:00-10:30 (late)      |                                    |
    | CallStatusChanged c1 completed at 11:40 | c1 v2 unattributed never leased    |
    """
    Timeline().run(
        [
            (call_started("c1", "10:05"), [("c1", 1, "unattributed", "number_never_leased")]),
            (granted("L2", "11:30", "12:00", visitor="v-b"), []),
            (granted("L1", "10:00", "10:30"), []),
            (
                status_changed("c1", "10:05", "11:40", status=CallStatus.COMPLETED, seq=2, duration=90),
                [("c1", 2, "unattributed", "number_never_leased")],
            ),
        ]
    )


def test_a_call_exactly_at_the_grant_is_in_and_exactly_at_the_end_is_out() -> None:
    """Boundaries: the interval is [granted_at, end).

    | event                                   | emitted                             |
    |-----------------------------------------|-------------------------------------|
    | LeaseGranted L1 10:00-10:30             |                                     |
    | CallStarted c1 at 10:00                 | c1 v1 dynamic L1                    |
    | CallStarted c2 at 10:30                 | c2 v1 unattributed no lease at time |
    """
    Timeline().run(
        [
            (granted("L1", "10:00", "10:30"), []),
            (call_started("c1", "10:00", caller="+14155550001"), [("c1", 1, "dynamic", "L1")]),
            (
                call_started("c2", "10:30", caller="+14155550002"),
                [("c2", 1, "unattributed", "no_lease_at_call_time")],
            ),
        ]
    )


def test_an_expiry_ends_the_lease_at_its_time() -> None:
    """The end is the expiry time once the lease ended, even before `expires_at`.

    | event                                   | emitted                             |
    |-----------------------------------------|-------------------------------------|
    | LeaseGranted L1 10:00-10:30             |                                     |
    | LeaseExpired L1 at 10:10                |                                     |
    | CallStarted c1 at 10:10                 | c1 v1 unattributed no lease at time |
    """
    Timeline().run(
        [
            (granted("L1", "10:00", "10:30"), []),
            (expired("L1", "10:10"), []),
            (call_started("c1", "10:10"), [("c1", 1, "unattributed", "no_lease_at_call_time")]),
        ]
    )


def test_a_late_expiry_within_grace_revises_a_call_after_the_end() -> None:
    """Out of order within grace, shortening a lease.

    | event                                   | emitted                             |
    |-----------------------------------------|-------------------------------------|
    | LeaseGranted L1 10:00-10:30             |                                     |
    | CallStarted c1 at 10:20                 | c1 v1 dynamic L1                    |
    | LeaseExpired L1 at 10:10 (late)         | c1 v2 unattributed no lease at time |
    """
    Timeline().run(
        [
            (granted("L1", "10:00", "10:30"), []),
            (call_started("c1", "10:20"), [("c1", 1, "dynamic", "L1")]),
            (expired("L1", "10:10"), [("c1", 2, "unattributed", "no_lease_at_call_time")]),
        ]
    )


def test_a_renewal_extends_the_lease_and_its_snapshot_applies_from_its_time() -> None:
    """Renewal extends; the snapshot in force at call start is used.

    | event                                       | emitted                   |
    |---------------------------------------------|---------------------------|
    | LeaseGranted L1 10:00-10:10 source google   |                           |
    | LeaseRenewed L1 10:08 -> 10:40 source bing  |                           |
    | CallStarted c1 at 10:05                     | c1 v1 dynamic L1 (google) |
    | CallStarted c2 at 10:20                     | c2 v1 dynamic L1 (bing)   |
    """
    timeline = Timeline()
    timeline.run(
        [
            (granted("L1", "10:00", "10:10", source="google"), []),
            (renewed("L1", "10:08", "10:40", source="bing"), []),
            (call_started("c1", "10:05", caller="+14155550001"), [("c1", 1, "dynamic", "L1")]),
            (call_started("c2", "10:20", caller="+14155550002"), [("c2", 1, "dynamic", "L1")]),
        ]
    )
    sessions = {c: timeline.latest[c].attribution.session for c in ("c1", "c2")}
    assert {c: s.source if s else None for c, s in sessions.items()} == {"c1": "google", "c2": "bing"}


def test_two_consecutive_leases_attribute_each_call_to_the_right_visitor() -> None:
    """Two leases of one number to different visitors.

    | event                                   | emitted           |
    |-----------------------------------------|-------------------|
    | LeaseGranted L1 10:00-10:10 visitor A   |                   |
    | LeaseExpired L1 at 10:10                |                   |
    | LeaseGranted L2 10:15-10:45 visitor B   |                   |
    | CallStarted c1 at 10:09                 | c1 v1 dynamic L1  |
    | CallStarted c2 at 10:15                 | c2 v1 dynamic L2  |
    """
    timeline = Timeline()
    timeline.run(
        [
            (granted("L1", "10:00", "10:10", visitor="v-a"), []),
            (expired("L1", "10:10", visitor="v-a"), []),
            (granted("L2", "10:15", "10:45", visitor="v-b", source="facebook"), []),
            (call_started("c1", "10:09", caller="+14155550001"), [("c1", 1, "dynamic", "L1")]),
            (call_started("c2", "10:15", caller="+14155550002"), [("c2", 1, "dynamic", "L2")]),
        ]
    )
    assert timeline.latest["c1"].attribution.visitor_id == "v-a"
    assert timeline.latest["c2"].attribution.visitor_id == "v-b"


def test_duplicate_events_emit_no_new_version() -> None:
    """Duplicates (a retry or a replay) change nothing.

    | event                                   | emitted           |
    |-----------------------------------------|-------------------|
    | LeaseGranted L1 10:00-10:30             |                   |
    | CallStarted c1 at 10:05                 | c1 v1 dynamic L1  |
    | LeaseGranted L1 10:00-10:30 (again)     |                   |
    | CallStarted c1 at 10:05 (again)         |                   |
    """
    Timeline().run(
        [
            (granted("L1", "10:00", "10:30"), []),
            (call_started("c1", "10:05"), [("c1", 1, "dynamic", "L1")]),
            (granted("L1", "10:00", "10:30"), []),
            (call_started("c1", "10:05"), []),
        ]
    )


def test_a_status_change_makes_a_new_version_with_the_same_attribution() -> None:
    """Status updates carry the latest call facts.

    | event                                      | emitted           |
    |--------------------------------------------|-------------------|
    | LeaseGranted L1 10:00-10:30                |                   |
    | CallStarted c1 at 10:05                    | c1 v1 dynamic L1  |
    | CallStatusChanged c1 completed, 95 s       | c1 v2 dynamic L1  |
    | CallStatusChanged c1 ringing (stale seq)   |                   |
    """
    timeline = Timeline()
    timeline.run(
        [
            (granted("L1", "10:00", "10:30"), []),
            (call_started("c1", "10:05"), [("c1", 1, "dynamic", "L1")]),
            (
                status_changed("c1", "10:05", "10:07", status=CallStatus.COMPLETED, seq=3, duration=95),
                [("c1", 2, "dynamic", "L1")],
            ),
            (status_changed("c1", "10:05", "10:07", status=CallStatus.RINGING, seq=1), []),
        ]
    )
    latest = timeline.latest["c1"]
    assert latest.call.facts.answered is True
    assert latest.call.facts.duration_seconds == 95


def test_a_repeat_caller_is_not_first_time_and_a_late_earlier_call_revises_the_later_one() -> None:
    """First-time caller by start time among the tenant's calls seen so far.

    | event                                   | emitted                              |
    |-----------------------------------------|--------------------------------------|
    | LeaseGranted L1 10:00-10:30             |                                      |
    | CallStarted c2 at 10:20 caller X        | c2 v1 dynamic L1 (first time)        |
    | CallStarted c1 at 10:05 caller X (late) | c1 v1 (first time), c2 v2 (repeat)   |
    """
    timeline = Timeline()
    timeline.run(
        [
            (granted("L1", "10:00", "10:30"), []),
            (call_started("c2", "10:20"), [("c2", 1, "dynamic", "L1")]),
            (call_started("c1", "10:05"), [("c1", 1, "dynamic", "L1"), ("c2", 2, "dynamic", "L1")]),
        ]
    )
    assert timeline.latest["c1"].attribution.first_time_caller is True
    assert timeline.latest["c2"].attribution.first_time_caller is False


def test_withheld_caller_numbers_are_never_repeat_callers() -> None:
    timeline = Timeline()
    timeline.feed(call_started("c1", "10:05", caller="anonymous"))
    timeline.feed(call_started("c2", "10:06", caller="anonymous"))
    assert timeline.latest["c2"].attribution.first_time_caller is True


def test_a_call_to_a_default_number_is_classified_default_before_display() -> None:
    """| CallStarted c1 at 10:05 on a default number | c1 v1 default-before-display |"""
    Timeline(roles={NUMBER: NumberRole.DEFAULT}).run(
        [(call_started("c1", "10:05"), [("c1", 1, "default-before-display", "default_number")])]
    )


def test_with_no_grace_a_late_lease_only_revises_calls_at_or_after_stream_time() -> None:
    """WithNoGrace: once stream time passes a call, late leases no longer change it.

    | event                                   | emitted                            |
    |-----------------------------------------|------------------------------------|
    | CallStarted c1 at 10:05 caller X        | c1 v1 unattributed never leased    |
    | CallStarted c2 at 10:06 caller Y        | c2 v1 unattributed never leased    |
    | LeaseGranted L1 10:00-10:30 (late)      | c2 v2 dynamic L1                   |
    """
    Timeline(grace=timedelta(0)).run(
        [
            (
                call_started("c1", "10:05", caller="+14155550001"),
                [("c1", 1, "unattributed", "number_never_leased")],
            ),
            (
                call_started("c2", "10:06", caller="+14155550002"),
                [("c2", 1, "unattributed", "number_never_leased")],
            ),
            (granted("L1", "10:00", "10:30"), [("c2", 2, "dynamic", "L1")]),
        ]
    )


def test_a_rollback_puts_back_the_answers_so_the_same_versions_are_computed_again() -> None:
    """A publish failure: the versions are computed again with the same numbers (hence the same ids)."""
    timeline = Timeline()
    timeline.feed(granted("L1", "10:00", "10:30"))
    timeline.join.checkpoint()
    first = timeline.feed(call_started("c1", "10:05"))
    timeline.join.rollback()
    assert timeline.feed(call_started("c1", "10:05")) == first == [("c1", 1, "dynamic", "L1")]
