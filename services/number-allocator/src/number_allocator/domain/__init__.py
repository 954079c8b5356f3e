"""The allocator's pure core: pool state folded from lease events, and the lease policies.

Nothing here does I/O or reads the clock: time is always an argument.
"""

from number_allocator.domain.allocation import (
    Answer,
    Command,
    LeaveSite,
    PoolPolicy,
    RenewLease,
    RequestNumber,
    StaticChoice,
    assign_static,
    available,
    choose_number,
    decide,
    due_timers,
    expire_due,
    leave,
    renew,
)
from number_allocator.domain.pool_state import LEASE_EVENT_TYPES, Hold, Lease, LeaseEvent, PoolState, evolve
from number_allocator.domain.static_rules import matches, static_number_for

__all__ = [
    "LEASE_EVENT_TYPES",
    "Answer",
    "Command",
    "Hold",
    "Lease",
    "LeaseEvent",
    "LeaveSite",
    "PoolPolicy",
    "PoolState",
    "RenewLease",
    "RequestNumber",
    "StaticChoice",
    "assign_static",
    "available",
    "choose_number",
    "decide",
    "due_timers",
    "evolve",
    "expire_due",
    "leave",
    "matches",
    "renew",
    "static_number_for",
]
