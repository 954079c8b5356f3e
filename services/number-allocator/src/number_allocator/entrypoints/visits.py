"""The visits consumer: each `VisitStarted`/`VisitHeartbeat`/`VisitLeft` becomes a domain command;
answers go to `leases`.

Per batch the handler decides on a working copy of the pool states, publishes every resulting
lease event durably, and only then stores the new states: if publishing fails nothing changes and
the shared consumer delivers the records again (event ids are deterministic, so nothing doubles).
The same path serves the timer ticker (`sweep`: expiry, idle reclaim, hold end, deferred grants),
under the same lock, so the log order of a pool is the order in which its state was folded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from prometheus_client import Counter

from ctrack_common.config_view import ConfigView
from ctrack_common.events import Envelope, VisitHeartbeat, VisitLeft, VisitStarted
from ctrack_common.messaging import EventProducer, Record, RejectedEvent
from ctrack_common.topics import LEASES
from number_allocator.adapters.pool_policies import PolicyDefaults, policy_of
from number_allocator.adapters.pool_states import PoolStates, Slot
from number_allocator.domain import (
    Command,
    LeaseEvent,
    LeaveSite,
    PoolState,
    RenewLease,
    RequestNumber,
    decide,
    due_timers,
    evolve,
)

__all__ = ["Allocator"]

LEASE_DECISIONS = Counter(
    "ctrack_allocator_lease_events_total", "Lease events published by the allocator", ["event_type"]
)


class Allocator:
    """Answers visits and heartbeats for the pools of the partitions this process owns."""

    def __init__(
        self,
        states: PoolStates,
        config: ConfigView,
        producer: EventProducer,
        clock: Callable[[], datetime],
        defaults: PolicyDefaults | None = None,
    ) -> None:
        self._states = states
        self._config = config
        self._producer = producer
        self._clock = clock
        self._defaults = defaults or PolicyDefaults()

    def handle(self, records: list[Record]) -> None:
        """The `EventConsumer` handler for `visits`; raises `RejectedEvent` for a record it can never serve."""
        with self._states.lock:
            now = self._clock()
            working: dict[Slot, PoolState] = {}
            out: list[LeaseEvent] = []
            for record in records:
                command = self._command(record)
                slot = (record.partition, command.pool_id)
                state, events = decide(working.get(slot) or self._states.get(slot), command, now)
                working[slot] = state
                out.extend(events)
            self._commit(working, out)

    def sweep(self) -> None:
        """Fire every timer that is due (the ticker's job): timers produce events, so a rebuild sees them."""
        with self._states.lock:
            now = self._clock()
            working: dict[Slot, PoolState] = {}
            out: list[LeaseEvent] = []
            for slot, state in self._states.snapshot().items():
                policy = policy_of(self._config, slot[1], self._defaults)
                if policy is None:
                    continue
                folded = state
                for fired in due_timers(state, policy, now):
                    folded = evolve(folded, fired)
                    working[slot] = folded
                    out.append(fired)
            self._commit(working, out)

    def _commit(self, working: dict[Slot, PoolState], events: list[LeaseEvent]) -> None:
        if events:
            self._producer.publish_many(LEASES, [(e.payload.pool_id, e) for e in events], wait=True)
            for event in events:
                LEASE_DECISIONS.labels(event.event_type).inc()
        self._states.store(working)

    def _command(self, record: Record) -> Command:
        event: Envelope = record.event
        if not isinstance(event, VisitStarted | VisitHeartbeat | VisitLeft):
            raise RejectedEvent(f"{event.event_type} is not a visit event")
        pool_id = event.payload.pool_id
        if record.key != pool_id:
            raise RejectedEvent(
                f"record key {record.key!r} is not the pool id {pool_id!r} (visits are keyed by pool)"
            )
        pool = self._config.pools.get(pool_id)
        policy = policy_of(self._config, pool_id, self._defaults)
        if pool is None or policy is None or pool.tenant_id != event.tenant_id:
            raise RejectedEvent(f"unknown pool {pool_id!r} for tenant {event.tenant_id!r}")
        if isinstance(event, VisitHeartbeat):
            return RenewLease(
                request_id=event.event_id,
                requested_at=event.occurred_at,
                pool_id=pool_id,
                visit_id=event.payload.visit_id,
                visitor_id=event.payload.visitor_id,
                lease_seconds=pool.payload.lease_seconds,
                active=bool(event.payload.active),
                policy=policy,
            )
        if isinstance(event, VisitLeft):
            return LeaveSite(
                request_id=event.event_id,
                requested_at=event.occurred_at,
                pool_id=pool_id,
                visit_id=event.payload.visit_id,
                visitor_id=event.payload.visitor_id,
                policy=policy,
            )
        return RequestNumber(
            request_id=event.event_id,
            requested_at=event.occurred_at,
            tenant_id=event.tenant_id,
            site_id=event.site_id,
            pool_id=pool_id,
            visit_id=event.payload.visit_id,
            visitor_id=event.payload.visitor_id,
            session=event.payload.session,
            policy=policy,
        )
