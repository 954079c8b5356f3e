"""The visits consumer: each `VisitStarted`/`VisitPageViewed`/`VisitHeartbeat`/`VisitLeft` becomes a
domain command; answers go to `leases`.

A visit that matches one of its site's static rules is answered with `StaticNumberAssigned` (no
lease) unless the visitor already holds a lease. A page view is activity (idle reclaim counts from
it) and renews the visitor's lease with the session's new snapshot; without a lease it is ignored,
like a heartbeat: a page view never grants a number (the page's own `VisitStarted` does).

Per batch the handler decides on a working copy of the pool states, publishes every resulting
lease event durably, and only then stores the new states: if publishing fails nothing changes and
the shared consumer delivers the records again (event ids are deterministic, so nothing doubles).
The same path serves the timer ticker (`sweep`: expiry, idle reclaim, hold end, deferred grants),
under the same lock, so the log order of a pool is the order in which its state was folded.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Protocol

from prometheus_client import Counter

from ctrack_common.config_view import ConfigView
from ctrack_common.events import (
    Envelope,
    NumberRevealed,
    NumberRole,
    StaticRuleConfigured,
    VisitHeartbeat,
    VisitLeft,
    VisitPageViewed,
    VisitStarted,
)
from ctrack_common.messaging import EventProducer, Record, RejectedEvent
from ctrack_common.topics import LEASES
from number_allocator.adapters.pool_policies import PolicyDefaults, policy_of
from number_allocator.adapters.pool_states import PoolStates, Slot
from number_allocator.domain import (
    Answer,
    Command,
    LeaveSite,
    PoolPolicy,
    PoolState,
    RenewLease,
    RequestNumber,
    StaticChoice,
    decide,
    due_timers,
    evolve,
    static_number_for,
)

__all__ = ["Allocator"]

LEASE_DECISIONS = Counter(
    "ctrack_allocator_lease_events_total", "Lease events published by the allocator", ["event_type"]
)


class StaticRules(Protocol):
    """Where the allocator reads a site's static rules (the config store)."""

    def static_rules(self, site_id: str) -> list[StaticRuleConfigured]: ...


class Allocator:
    """Answers visits and heartbeats for the pools of the partitions this process owns."""

    def __init__(
        self,
        states: PoolStates,
        config: ConfigView,
        producer: EventProducer,
        clock: Callable[[], datetime],
        defaults: PolicyDefaults | None = None,
        *,
        static_rules: StaticRules | None = None,
    ) -> None:
        self._states = states
        self._config = config
        self._producer = producer
        self._clock = clock
        self._defaults = defaults or PolicyDefaults()
        self._static_rules = static_rules

    def handle(self, records: list[Record]) -> None:
        """The `EventConsumer` handler for `visits`; raises `RejectedEvent` for a record it can never serve."""
        with self._states.lock:
            now = self._clock()
            working: dict[Slot, PoolState] = {}
            out: list[Answer] = []
            # One policy per pool per batch: building it scans the inventory, too slow to do per record.
            policies: dict[str, PoolPolicy | None] = {}
            for record in records:
                if isinstance(record.event, NumberRevealed):
                    continue  # a click-to-reveal is for reports: it asks nothing of the pool
                command = self._command(record, policies)
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
            out: list[Answer] = []
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

    def _commit(self, working: dict[Slot, PoolState], events: list[Answer]) -> None:
        if events:
            self._producer.publish_many(LEASES, [(e.payload.pool_id, e) for e in events], wait=True)
            for event in events:
                LEASE_DECISIONS.labels(event.event_type).inc()
        self._states.store(working)

    def _static(self, event: VisitStarted) -> StaticChoice | None:
        if self._static_rules is None or event.site_id is None:
            return None
        rules = self._static_rules.static_rules(event.site_id)
        if not rules:
            return None
        rule = static_number_for(
            (r.payload for r in rules if r.tenant_id == event.tenant_id),
            event.payload.session,
            event.payload.page_url,
        )
        if rule is None:
            return None
        number = self._config.number(rule.number)
        if (
            number is None
            or number.tenant_id != event.tenant_id
            or number.payload.role is not NumberRole.STATIC
        ):
            return None  # the number was retired or given another role since: the pool answers
        return StaticChoice(rule.rule_id, rule.number, number.payload.channel)

    def _command(self, record: Record, policies: dict[str, PoolPolicy | None]) -> Command:
        event: Envelope = record.event
        if not isinstance(event, VisitStarted | VisitPageViewed | VisitHeartbeat | VisitLeft):
            raise RejectedEvent(f"{event.event_type} is not a visit event")
        pool_id = event.payload.pool_id
        if record.key != pool_id:
            raise RejectedEvent(
                f"record key {record.key!r} is not the pool id {pool_id!r} (visits are keyed by pool)"
            )
        pool = self._config.pools.get(pool_id)
        if pool_id not in policies:
            policies[pool_id] = policy_of(self._config, pool_id, self._defaults)
        policy = policies[pool_id]
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
        if isinstance(event, VisitPageViewed):
            return RenewLease(
                request_id=event.event_id,
                requested_at=event.occurred_at,
                pool_id=pool_id,
                visit_id=event.payload.visit_id,
                visitor_id=event.payload.visitor_id,
                lease_seconds=pool.payload.lease_seconds,
                active=True,
                policy=policy,
                session=event.payload.session,
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
            static=self._static(event),
        )
