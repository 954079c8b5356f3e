"""The open WebSockets of this replica by (pool, visitor): the lease board's listener fans changes out.

The board calls `deliver` from the `leases` follower thread; each socket has an asyncio queue on its
event loop that the socket's sender drains, so a slow tab never blocks the follower or other tabs.
"""

from __future__ import annotations

import asyncio
import threading
from collections import defaultdict

from session_tracker.domain import Shown

__all__ = ["PushHub"]

Inbox = tuple[asyncio.AbstractEventLoop, "asyncio.Queue[Shown]"]
MAX_QUEUED = 16  # a tab that cannot keep up only needs the newest number


class PushHub:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._inboxes: defaultdict[tuple[str, str], list[Inbox]] = defaultdict(list)

    def open(self, pool_id: str, visitor_id: str) -> asyncio.Queue[Shown]:
        """A queue that receives every visible change of the visitor (call from the socket's loop)."""
        queue: asyncio.Queue[Shown] = asyncio.Queue(MAX_QUEUED)
        with self._lock:
            self._inboxes[(pool_id, visitor_id)].append((asyncio.get_running_loop(), queue))
        return queue

    def close(self, pool_id: str, visitor_id: str, queue: asyncio.Queue[Shown]) -> None:
        key = (pool_id, visitor_id)
        with self._lock:
            inboxes = [inbox for inbox in self._inboxes.get(key, []) if inbox[1] is not queue]
            if inboxes:
                self._inboxes[key] = inboxes
            else:
                self._inboxes.pop(key, None)

    def sockets(self) -> int:
        with self._lock:
            return sum(len(inboxes) for inboxes in self._inboxes.values())

    def deliver(self, pool_id: str, visitor_id: str, shown: Shown) -> None:
        """The board's listener (follower thread): queue `shown` for every tab of the visitor here."""
        with self._lock:
            inboxes = list(self._inboxes.get((pool_id, visitor_id), ()))
        for loop, queue in inboxes:
            loop.call_soon_threadsafe(_put_newest, queue, shown)


def _put_newest(queue: asyncio.Queue[Shown], shown: Shown) -> None:
    if queue.full():
        queue.get_nowait()
    queue.put_nowait(shown)
