"""The allocator killed with SIGKILL on the real broker, then started again: the state rebuilt from the
`leases` log continues where the dead process stopped.

- Timers pending at the kill (deferred grants, expiries, hold ends) fire once after the restart, at
  their own moments, exactly as an uninterrupted run fires them (computed by the pure policy).
- Under steady traffic (visits, returns, leaves), no number is ever held by two visitors or granted
  during someone else's hold, an event id always names one fact, and every visit gets its answer,
  those published while the allocator was dead included.
"""

from __future__ import annotations

import os
import random
import signal
import threading
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import httpx

from ctrack_common.events import (
    Envelope,
    LeaseDenied,
    LeaseExpired,
    LeaseGranted,
    LeaseRenewed,
    SessionSnapshot,
    VisitStarted,
    VisitStartedPayload,
    event_id_for,
)
from ctrack_common.events.models import (
    LeaseDeferred,
    LeaseHoldEnded,
    LeaseReleased,
    LeaseRevoked,
    VisitLeft,
    VisitLeftPayload,
)
from ctrack_common.messaging import EventProducer, LogFollower
from ctrack_common.topics import LEASES, VISITS
from ctrack_stack.testing import ServiceProcess, start_service, wait_until
from number_allocator.domain import LEASE_EVENT_TYPES, LeaseEvent, PoolPolicy, PoolState, due_timers, evolve

if TYPE_CHECKING:
    from conftest import Admin

SESSION = SessionSnapshot(source="google", medium="cpc", campaign="fault")


def kill_9(service: ServiceProcess) -> None:
    os.kill(service.handle.pid, signal.SIGKILL)
    wait_until(lambda: not service.handle.is_running(), timeout=10, what="the allocator to die")


def configure(admin: Admin, count: int, timers: dict[str, int]) -> tuple[str, str, str, list[str]]:
    tenant_id, auth = admin.tenant()
    site = admin.site(auth)
    site_id, pool_id = str(site["site_id"]), str(site["pool_id"])
    numbers = admin.add_numbers(auth, site_id, count)
    changed = httpx.patch(f"{admin.url}/v1/sites/{site_id}/pool", json=timers, headers=auth)
    assert changed.status_code == 200, changed.text
    return tenant_id, site_id, pool_id, numbers


def visit(tenant_id: str, site_id: str, pool_id: str, visitor: str) -> VisitStarted:
    now = datetime.now(UTC)
    return VisitStarted(
        event_id=event_id_for("fault-visit", uuid.uuid4()),
        occurred_at=now,
        recorded_at=now,
        tenant_id=tenant_id,
        site_id=site_id,
        payload=VisitStartedPayload(
            visit_id=uuid.uuid4().hex,
            visitor_id=visitor,
            pool_id=pool_id,
            page_url="https://shop.example/",
            session=SESSION,
        ),
    )


def left(tenant_id: str, site_id: str, pool_id: str, visitor: str) -> VisitLeft:
    now = datetime.now(UTC)
    return VisitLeft(
        event_id=event_id_for("fault-leave", uuid.uuid4()),
        occurred_at=now,
        recorded_at=now,
        tenant_id=tenant_id,
        site_id=site_id,
        payload=VisitLeftPayload(visit_id=uuid.uuid4().hex, visitor_id=visitor, pool_id=pool_id),
    )


class PoolLog:
    """The pool's lease events as the log has them, in order (a follower from the end)."""

    def __init__(self, bootstrap: str, pool_id: str) -> None:
        self.pool_id = pool_id
        self._events: list[LeaseEvent] = []
        self._lock = threading.Lock()
        self._follower = LogFollower(bootstrap, [LEASES], self._apply, from_end=True)

    def _apply(self, event: Envelope) -> None:
        if isinstance(event, LEASE_EVENT_TYPES) and event.payload.pool_id == self.pool_id:
            with self._lock:
                self._events.append(event)

    def events(self) -> list[LeaseEvent]:
        with self._lock:
            return list(self._events)

    def of(self, kind: type) -> list[LeaseEvent]:
        return [e for e in self.events() if isinstance(e, kind)]

    def __enter__(self) -> PoolLog:
        self._follower.start()
        assert self._follower.caught_up.wait(30)
        return self

    def __exit__(self, *_: object) -> None:
        self._follower.stop()


def wait_for_the_visits_consumer(admin: Admin, producer: EventProducer, bootstrap: str) -> None:
    """A visit to another pool answered: the allocator owns the visits partitions and keeps up, so
    the test's own visits are handled at once (not after a group join that could make them stale)."""
    tenant_id, site_id, pool_id, _ = configure(admin, 1, {})
    with PoolLog(bootstrap, pool_id) as log:
        producer.publish(VISITS, pool_id, visit(tenant_id, site_id, pool_id, "warm-up"), wait=True)
        wait_until(lambda: bool(log.of(LeaseGranted)), timeout=60, what="the warm-up visit's grant")


def fact(event: LeaseEvent) -> tuple[object, ...]:
    """An event without `recorded_at` (when it was written, not what happened)."""
    return (event.event_id, event.event_type, event.occurred_at, event.tenant_id, event.payload)


def test_timers_pending_at_a_kill_fire_once_after_the_restart_as_in_an_uninterrupted_run(
    kafka_bootstrap: str, allocator_env: dict[str, str], service_logs: Path, admin_of: type[Admin]
) -> None:
    service = start_service("number_allocator", allocator_env, service_logs)
    producer = EventProducer(kafka_bootstrap, client_id="it-fault-timers")
    restarted: ServiceProcess | None = None
    try:
        admin = admin_of(service.url)
        wait_for_the_visits_consumer(admin, producer, kafka_bootstrap)
        timers = {"lease_seconds": 2, "hold_seconds": 2, "display_delay_seconds": 3, "quarantine_seconds": 0}
        tenant_id, site_id, pool_id, numbers = configure(admin, 2, timers)
        policy = PoolPolicy(
            numbers=tuple(sorted(numbers)),
            lease_seconds=2,
            hold_seconds=2,
            display_delay_seconds=3,
            idle_reclaim_seconds=3600,
        )
        with PoolLog(kafka_bootstrap, pool_id) as log:
            visits = [visit(tenant_id, site_id, pool_id, f"visitor-{i}") for i in range(2)]
            producer.publish_many(VISITS, [(pool_id, v) for v in visits], wait=True)
            wait_until(lambda: len(log.of(LeaseDeferred)) == 2, timeout=30, what="both grants deferred")
            kill_9(service)  # three timers per visitor pending: deferred grant, expiry, hold end
            before = log.events()
            assert [type(e) for e in before] == [LeaseDeferred, LeaseDeferred]
            state = PoolState(pool_id)
            for event in before:
                state = evolve(state, event)
            uninterrupted = due_timers(state, policy, datetime.now(UTC) + timedelta(days=1))
            assert [type(e) for e in uninterrupted].count(LeaseHoldEnded) == 2
            # Visits redelivered to the new process are then older than a lease: stale, no answer.
            last_visit = max(v.occurred_at for v in visits) + timedelta(seconds=policy.lease_seconds)
            wait_until(lambda: datetime.now(UTC) > last_visit, timeout=10, what="the visits to be stale")
            restarted = start_service("number_allocator", allocator_env, service_logs)
            wait_until(lambda: len(log.of(LeaseHoldEnded)) == 2, timeout=90, what="both holds to end")
            # A marker visit answered after the holds ended: any timer firing twice would precede it.
            marker = visit(tenant_id, site_id, pool_id, "marker")
            producer.publish(VISITS, pool_id, marker, wait=True)
            wait_until(
                lambda: any(
                    isinstance(e, LeaseDeferred) and e.payload.visit_id == marker.payload.visit_id
                    for e in log.events()
                ),
                timeout=30,
                what="the marker visit's answer",
            )
            after = [e for e in log.events()[len(before) :] if e.payload.visitor_id != "marker"]  # type: ignore[union-attr]
    finally:
        for process in (service, restarted):
            if process is not None:
                process.stop()
        producer.close()
    assert [fact(e) for e in after] == [fact(e) for e in uninterrupted]
    assert [type(e) for e in after] == [LeaseGranted] * 2 + [LeaseExpired] * 2 + [LeaseHoldEnded] * 2
    rebuilt, expected = PoolState(pool_id), PoolState(pool_id)
    for event in [*before, *after]:
        rebuilt = evolve(rebuilt, event)
    for event in [*before, *uninterrupted]:
        expected = evolve(expected, event)
    assert rebuilt == expected


class Checker:
    """Reads the pool's events alone: no number held twice, none granted in another's hold, one fact per id."""

    def __init__(self) -> None:
        self.holder: dict[str, str] = {}
        self.holds: dict[str, str] = {}
        self.facts: dict[uuid.UUID, tuple[object, ...]] = {}

    def check(self, event: LeaseEvent) -> None:
        if event.event_id in self.facts:
            assert self.facts[event.event_id] == fact(event), f"one id, two facts: {event!r}"
            return
        self.facts[event.event_id] = fact(event)
        match event:
            case LeaseGranted():
                number, visitor = event.payload.number, event.payload.visitor_id
                assert number not in self.holder, (
                    f"{number} granted to {visitor}, held by {self.holder[number]}"
                )
                assert self.holds.get(number, visitor) == visitor, f"{number} granted in another's hold"
                assert visitor not in self.holder.values(), f"{visitor} holds two numbers"
                self.holder[number] = visitor
                self.holds.pop(number, None)
            case LeaseRenewed():
                assert self.holder.get(event.payload.number) == event.payload.visitor_id
            case LeaseExpired() | LeaseReleased() | LeaseRevoked():
                assert self.holder.pop(event.payload.number) == event.payload.visitor_id
                if event.payload.hold_until is not None:
                    self.holds[event.payload.number] = event.payload.visitor_id
            case LeaseHoldEnded():
                assert self.holds.pop(event.payload.number) == event.payload.visitor_id


def test_a_kill_9_during_steady_traffic_never_double_assigns_and_pending_visits_are_served(
    kafka_bootstrap: str, allocator_env: dict[str, str], service_logs: Path, admin_of: type[Admin]
) -> None:
    service = start_service("number_allocator", allocator_env, service_logs)
    producer = EventProducer(kafka_bootstrap, client_id="it-fault-traffic")
    restarted: ServiceProcess | None = None
    published: list[VisitStarted] = []
    stop = threading.Event()
    rng = random.Random(7)
    try:
        admin = admin_of(service.url)
        timers = {"lease_seconds": 120, "hold_seconds": 1, "display_delay_seconds": 0}
        tenant_id, site_id, pool_id, _ = configure(admin, 4, timers)
        visitors = [f"visitor-{i}" for i in range(10)]

        def traffic() -> None:
            while not stop.wait(0.03):  # pacing the load, not synchronising the test
                who = rng.choice(visitors)
                if rng.random() < 0.3:
                    producer.publish(VISITS, pool_id, left(tenant_id, site_id, pool_id, who), wait=True)
                else:
                    started = visit(tenant_id, site_id, pool_id, who)
                    producer.publish(VISITS, pool_id, started, wait=True)
                    published.append(started)

        def answered() -> set[str]:
            return {
                e.payload.visit_id
                for e in log.events()
                if isinstance(e, LeaseGranted | LeaseRenewed | LeaseDenied | LeaseDeferred)
            }

        with PoolLog(kafka_bootstrap, pool_id) as log:
            sender = threading.Thread(target=traffic, name="traffic", daemon=True)
            sender.start()
            wait_until(lambda: len(answered()) >= 40, timeout=60, what="steady traffic answered")
            kill_9(service)
            sent_at_kill = len(published)
            wait_until(lambda: len(published) >= sent_at_kill + 30, timeout=30, what="visits sent while dead")
            restarted = start_service("number_allocator", allocator_env, service_logs)
            wait_until(lambda: len(published) >= sent_at_kill + 90, timeout=60, what="traffic after restart")
            stop.set()
            sender.join(10)
            wanted = {v.payload.visit_id for v in published}
            wait_until(lambda: wanted <= answered(), timeout=90, what="every visit answered")
            events = log.events()
    finally:
        stop.set()
        for process in (service, restarted):
            if process is not None:
                process.stop()
        producer.close()
    checker = Checker()
    for event in events:
        checker.check(event)
    assert any(isinstance(e, LeaseReleased) for e in events) and any(
        isinstance(e, LeaseGranted) for e in events
    )
