"""Moments of a call's progress that one webhook alone does not state (Telnyx), kept in memory.

Telnyx sends initiated, answered, bridged and hangup as separate webhooks, each with its own time;
ring and talk seconds need several of them. This process remembers, per call, the earliest time it
was told of each (a redelivery cannot move a moment later), bounded to the last `capacity` calls.
A call whose earlier webhooks reached another replica, or came before a restart, gets no ring or
talk time (unknown, never wrong).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from datetime import datetime

__all__ = ["CallTimeline"]


class CallTimeline:
    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._calls: OrderedDict[str, dict[str, datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def note(self, call_id: str, moment: str, at: datetime | None) -> dict[str, datetime]:
        """Remember that `moment` (e.g. "initiated") happened at `at`; the call's moments so far."""
        with self._lock:
            moments = self._calls.setdefault(call_id, {})
            self._calls.move_to_end(call_id)
            if at is not None and (moment not in moments or at < moments[moment]):
                moments[moment] = at
            while len(self._calls) > self._capacity:
                self._calls.popitem(last=False)
            return dict(moments)
