"""The visitors each client address and network was let ask for a pool number (for the per-address caps).

Only admitted visitors are recorded, and entries that no longer hold a number are dropped whenever
their address is counted, so a key's list stays about as long as its cap. Per replica: behind a load
balancer that spreads one address over N replicas, the effective cap is N times the setting.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from datetime import datetime

__all__ = ["AddressBook"]

Holding = Callable[[str, datetime], bool]  # (visitor_id, admitted_at) -> still holding a number?


class AddressBook:
    def __init__(self, max_keys: int = 100_000) -> None:
        self._lock = threading.Lock()
        self._max_keys = max_keys
        self._admitted: OrderedDict[str, dict[str, datetime]] = OrderedDict()

    def admit(self, key: str, visitor_id: str, at: datetime) -> None:
        with self._lock:
            visitors = self._admitted.pop(key, {})
            visitors[visitor_id] = at
            self._admitted[key] = visitors
            if len(self._admitted) > self._max_keys:
                self._admitted.popitem(last=False)

    def holders(self, key: str, other_than: str, holding: Holding) -> int:
        """How many visitors of `key`, other than `other_than`, still hold a number (the rest are dropped)."""
        with self._lock:
            visitors = self._admitted.get(key, {})
            for visitor_id, at in list(visitors.items()):
                if not holding(visitor_id, at):
                    del visitors[visitor_id]
            return sum(1 for visitor_id in visitors if visitor_id != other_than)
