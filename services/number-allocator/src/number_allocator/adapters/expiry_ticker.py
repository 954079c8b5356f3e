"""A background ticker: every `interval` seconds it runs `tick` (the allocator's expiry sweep).

A failing tick is logged and retried on the next one; the ticker never dies of it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from ctrack_common.logging import get_logger

__all__ = ["Ticker"]

log = get_logger(__name__)


class Ticker:
    def __init__(self, interval: float, tick: Callable[[], None], name: str) -> None:
        self._interval = interval
        self._tick = tick
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stop.set()
        self._thread.join(timeout)

    @property
    def running(self) -> bool:
        return self._thread.is_alive()

    def _run(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self._tick()
            except Exception:  # the next tick retries: a timer must outlive a broker hiccup
                log.exception("tick_failed", ticker=self._thread.name)
