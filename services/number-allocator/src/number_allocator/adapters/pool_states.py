"""Lease state of the pools this process allocates for, rebuilt from the `leases` log on assignment.

`visits` and `leases` are co-partitioned (same key, the pool id; same partition count), so the
owner of visits partition p rebuilds its pools by replaying leases partition p. There is no
database: the log is the state.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable

from ctrack_common.logging import get_logger
from ctrack_common.messaging import replay
from ctrack_common.topics import LEASES
from number_allocator.domain import LEASE_EVENT_TYPES, PoolState, evolve

__all__ = ["PoolStates"]

log = get_logger(__name__)

Slot = tuple[int, str]  # (partition, pool id)


class PoolStates:
    """Pool states by (partition, pool id); `lock` makes compute-publish-store one step per writer."""

    def __init__(self, bootstrap_servers: str) -> None:
        self._bootstrap = bootstrap_servers
        self._states: dict[Slot, PoolState] = {}
        self.lock = threading.RLock()

    def rebuild(self, partitions: Iterable[int]) -> None:
        with self.lock:
            for partition in partitions:
                states: dict[Slot, PoolState] = {}
                count = 0
                for event in replay(self._bootstrap, LEASES, partitions=[partition]):
                    if isinstance(event, LEASE_EVENT_TYPES):
                        slot = (partition, event.payload.pool_id)
                        states[slot] = evolve(states.get(slot) or PoolState(slot[1]), event)
                        count += 1
                self._drop([partition])
                self._states.update(states)
                log.info("pool_states_rebuilt", partition=partition, pools=len(states), events=count)

    def drop(self, partitions: Iterable[int]) -> None:
        with self.lock:
            self._drop(partitions)

    def _drop(self, partitions: Iterable[int]) -> None:
        gone = set(partitions)
        for slot in [s for s in self._states if s[0] in gone]:
            del self._states[slot]

    def get(self, slot: Slot) -> PoolState:
        return self._states.get(slot) or PoolState(slot[1])

    def store(self, states: dict[Slot, PoolState]) -> None:
        self._states.update(states)

    def snapshot(self) -> dict[Slot, PoolState]:
        return dict(self._states)
