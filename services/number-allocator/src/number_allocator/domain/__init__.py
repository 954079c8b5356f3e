"""The allocator's pure core: pool state folded from lease events, and the lease policies.

Nothing here does I/O or reads the clock: time is always an argument.
"""

from number_allocator.domain.allocation import (
    Command,
    PoolPolicy,
    RenewLease,
    RequestNumber,
    choose_number,
    decide,
    expire_due,
    renew,
)
from number_allocator.domain.pool_state import Lease, LeaseEvent, PoolState, evolve

__all__ = [
    "Command",
    "Lease",
    "LeaseEvent",
    "PoolPolicy",
    "PoolState",
    "RenewLease",
    "RequestNumber",
    "choose_number",
    "decide",
    "evolve",
    "expire_due",
    "renew",
]
