"""What each visitor shows, folded from `leases`, and the visits waiting for their answer.

A `LogFollower` over `leases`, started at the end of the topic, calls `apply` from its thread.
A request registers its waiter (`expect`) BEFORE publishing its visit, so the answer cannot slip
by between publishing and waiting. Each process reads every lease event: the answer to a visit
arrives on the partition of its pool, whichever replica published the visit, and so does every
change a WebSocket of this replica must push (listeners are told of visible changes only: a
heartbeat's renewal of the same number is not one).
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict, defaultdict
from collections.abc import Callable

from ctrack_common.events import (
    Envelope,
    LeaseDeferred,
    LeaseDenied,
    LeaseGranted,
    LeaseRenewed,
    PoolConfiguredPayload,
    StaticNumberAssigned,
)
from session_tracker.domain import Shown, shown_after

__all__ = ["LeaseBoard", "Listener"]

Waiter = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Shown]"]
Listener = Callable[[str, str, Shown], None]  # (pool_id, visitor_id, shown), called from the follower thread
ANSWERS = (LeaseGranted, LeaseRenewed, LeaseDenied, LeaseDeferred, StaticNumberAssigned)


def _visible(shown: Shown) -> tuple[str | None, str, str | None]:
    return shown.number, shown.kind, shown.reason


class LeaseBoard:
    """Waiters by visit id, resolved from the follower thread; what each (pool, visitor) shows."""

    def __init__(
        self, pool_of: Callable[[str], PoolConfiguredPayload | None], max_visitors: int = 200_000
    ) -> None:
        self._pool_of = pool_of
        self._max_visitors = max_visitors
        self._lock = threading.Lock()
        self._waiters: defaultdict[str, list[Waiter]] = defaultdict(list)
        self._shown: OrderedDict[tuple[str, str], Shown] = OrderedDict()
        self._listeners: list[Listener] = []

    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def expect(self, visit_id: str) -> asyncio.Future[Shown]:
        """A future resolved with what the allocator's answer to `visit_id` shows (call from the loop)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Shown] = loop.create_future()
        with self._lock:
            self._waiters[visit_id].append((loop, future))
        return future

    def forget(self, visit_id: str, future: asyncio.Future[Shown]) -> None:
        with self._lock:
            waiters = [w for w in self._waiters.get(visit_id, []) if w[1] is not future]
            if waiters:
                self._waiters[visit_id] = waiters
            else:
                self._waiters.pop(visit_id, None)

    def shown(self, pool_id: str, visitor_id: str) -> Shown | None:
        with self._lock:
            return self._shown.get((pool_id, visitor_id))

    def note(self, pool_id: str, visitor_id: str, shown: Shown) -> None:
        """Remember an answer the tracker gave itself (a filtered visit), so polling repeats it."""
        with self._lock:
            self._store((pool_id, visitor_id), shown)

    def apply(self, event: Envelope) -> None:
        """The follower callback: fold the event into what its visitor shows, wake its waiter, tell listeners."""
        payload = getattr(event, "payload", None)
        pool_id, visitor_id = getattr(payload, "pool_id", None), getattr(payload, "visitor_id", None)
        if pool_id is None or visitor_id is None:
            return
        key = (pool_id, visitor_id)
        with self._lock:
            before = self._shown.get(key)
            after = shown_after(event, self._pool_of(pool_id), before)
            if after is not None:
                self._store(key, after)
        if after is None:
            return
        if isinstance(event, ANSWERS):
            self._resolve(event.payload.visit_id, after)
        if before is None or _visible(before) != _visible(after):
            for listener in self._listeners:
                listener(pool_id, visitor_id, after)

    def _store(self, key: tuple[str, str], shown: Shown) -> None:
        self._shown.pop(key, None)
        self._shown[key] = shown
        if len(self._shown) > self._max_visitors:
            self._shown.popitem(last=False)

    def _resolve(self, visit_id: str, answer: Shown) -> None:
        with self._lock:
            waiters = self._waiters.pop(visit_id, [])
        for loop, future in waiters:
            loop.call_soon_threadsafe(_settle, future, answer)


def _settle(future: asyncio.Future[Shown], answer: Shown) -> None:
    if not future.done():
        future.set_result(answer)
