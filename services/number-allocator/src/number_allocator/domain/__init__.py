"""The allocator's pure core: pool state folded from lease events, and the lease policies.

Nothing here does I/O or reads the clock: time is always an argument.
"""

from number_allocator.domain.allocation import (
    Command,
    LeaveSite,
    PoolPolicy,
    RenewLease,
    RequestNumber,
    available,
    choose_number,
    decide,
    due_timers,
    expire_due,
    leave,
    renew,
)
from number_allocator.domain.pool_state import LEASE_EVENT_TYPES, Hold, Lease, LeaseEvent, PoolState, evolve

__all__ = [
    "LEASE_EVENT_TYPES",
    "Command",
    "Hold",
    "Lease",
    "LeaseEvent",
    "LeaveSite",
    "PoolPolicy",
    "PoolState",
    "RenewLease",
    "RequestNumber",
    "available",
    "choose_number",
    "decide",
    "due_timers",
    "evolve",
    "expire_due",
    "leave",
    "renew",
]
