"""Answers from the allocator, matched to the visits waiting for them; each visitor's current lease.

A `LogFollower` over `leases`, started at the end of the topic, calls `apply` from its thread.
A request registers its waiter (`expect`) BEFORE publishing its visit, so the answer cannot slip
by between publishing and waiting. Each process reads every lease event: the answer to a visit
arrives on the partition of its pool, whichever replica published the visit.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict

from ctrack_common.events import Envelope, LeaseDenied, LeaseExpired, LeaseGranted, LeaseRenewed

__all__ = ["Answer", "LeaseBoard"]

Answer = LeaseGranted | LeaseRenewed | LeaseDenied
Waiter = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Answer]"]


class LeaseBoard:
    """Waiters by visit id, resolved from the follower thread; the latest live lease per (visitor, pool)."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiters: defaultdict[str, list[Waiter]] = defaultdict(list)
        self._current: dict[tuple[str, str], LeaseGranted | LeaseRenewed] = {}

    def expect(self, visit_id: str) -> asyncio.Future[Answer]:
        """A future resolved with the allocator's answer to `visit_id` (call from the event loop)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Answer] = loop.create_future()
        with self._lock:
            self._waiters[visit_id].append((loop, future))
        return future

    def forget(self, visit_id: str, future: asyncio.Future[Answer]) -> None:
        with self._lock:
            waiters = [w for w in self._waiters.get(visit_id, []) if w[1] is not future]
            if waiters:
                self._waiters[visit_id] = waiters
            else:
                self._waiters.pop(visit_id, None)

    def current_lease(self, visitor_id: str, pool_id: str) -> LeaseGranted | LeaseRenewed | None:
        with self._lock:
            return self._current.get((visitor_id, pool_id))

    def apply(self, event: Envelope) -> None:
        """The follower callback: remember leases, forget ended ones, wake whoever waits for this visit."""
        match event:
            case LeaseGranted() | LeaseRenewed():
                with self._lock:
                    self._current[(event.payload.visitor_id, event.payload.pool_id)] = event
                self._resolve(event.payload.visit_id, event)
            case LeaseDenied():
                self._resolve(event.payload.visit_id, event)
            case LeaseExpired():
                key = (event.payload.visitor_id, event.payload.pool_id)
                with self._lock:
                    current = self._current.get(key)
                    if current is not None and current.payload.lease_id == event.payload.lease_id:
                        del self._current[key]

    def _resolve(self, visit_id: str, answer: Answer) -> None:
        with self._lock:
            waiters = self._waiters.pop(visit_id, [])
        for loop, future in waiters:
            loop.call_soon_threadsafe(_settle, future, answer)


def _settle(future: asyncio.Future[Answer], answer: Answer) -> None:
    if not future.done():
        future.set_result(answer)
