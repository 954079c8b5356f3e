"""The block list read model every service keeps (ConfigView): latest change per tenant and caller."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from ctrack_common.config_view import ConfigView
from ctrack_common.events import CallerBlockConfigured, CallerBlockConfiguredPayload, event_id_for

T0 = datetime(2025, 6, 10, 12, 0, tzinfo=UTC)
CALLER = "+14158675399"


def change(
    tenant: str, caller: str, *, active: bool, at: datetime, reason: str = "spam"
) -> CallerBlockConfigured:
    return CallerBlockConfigured(
        event_id=event_id_for(tenant, caller, at, active),
        occurred_at=at,
        recorded_at=at,
        tenant_id=tenant,
        payload=CallerBlockConfiguredPayload(caller_number=caller, reason=reason, active=active),
    )


def test_a_blocked_caller_is_blocked_for_its_tenant_only() -> None:
    view = ConfigView()
    view.apply(change("tenant-a", CALLER, active=True, at=T0, reason="robocall"))
    found = view.blocked_caller("tenant-a", CALLER)
    assert found is not None and found.payload.reason == "robocall"
    assert view.blocked_caller("tenant-b", CALLER) is None
    assert view.blocked_caller("tenant-a", "+14158675300") is None


def test_an_unblocked_caller_is_no_longer_blocked_nor_listed() -> None:
    view = ConfigView()
    view.apply(change("tenant-a", CALLER, active=True, at=T0))
    view.apply(change("tenant-a", CALLER, active=False, at=T0 + timedelta(seconds=1)))
    assert view.blocked_caller("tenant-a", CALLER) is None
    assert view.blocked_callers("tenant-a") == []


def test_an_older_change_read_back_after_a_newer_one_does_not_undo_it() -> None:
    """A writer applies its own change at once; the log then replays the older one it already replaced."""
    view = ConfigView()
    blocked = change("tenant-a", CALLER, active=True, at=T0)
    unblocked = change("tenant-a", CALLER, active=False, at=T0 + timedelta(milliseconds=1))
    view.apply(blocked)
    view.apply(unblocked)
    view.apply(blocked)
    assert view.blocked_caller("tenant-a", CALLER) is None
    view.apply(unblocked)  # the log's copy of the newest change: idempotent
    assert view.blocked_caller("tenant-a", CALLER) is None


def test_the_tenants_list_is_sorted_by_number_and_holds_only_active_entries() -> None:
    view = ConfigView()
    for caller in ("+14158675302", "+14158675301", "+14158675303"):
        view.apply(change("tenant-a", caller, active=True, at=T0))
    view.apply(change("tenant-a", "+14158675303", active=False, at=T0 + timedelta(seconds=1)))
    view.apply(change("tenant-b", "+14158675300", active=True, at=T0))
    assert [e.payload.caller_number for e in view.blocked_callers("tenant-a")] == [
        "+14158675301",
        "+14158675302",
    ]
