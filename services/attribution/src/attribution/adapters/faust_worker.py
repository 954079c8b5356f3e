"""Runs a faust app in a thread of the service process, on its own event loop.

The service stays one process (`python -m attribution`): uvicorn owns the main
thread and the signals; faust runs beside it and is stopped by the lifespan.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

import faust

from ctrack_common.logging import get_logger

__all__ = ["FaustThread"]

log = get_logger(__name__)


class _Worker(faust.Worker):
    def install_signal_handlers(self) -> None:
        """Signals belong to the service's main thread, which stops this worker itself."""


class FaustThread:
    """Builds the app inside the thread (faust binds to the loop it is created on) and runs a worker."""

    def __init__(self, build: Callable[[], Any], name: str = "faust") -> None:
        self._build = build
        self._name = name
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._worker: Any = None
        self.app: Any = None
        self._ready = threading.Event()
        self.failed: BaseException | None = None

    def start(self, timeout: float = 60.0) -> None:
        self._thread = threading.Thread(target=self._run, name=self._name, daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError(f"{self._name} did not start within {timeout}s")
        if self.failed is not None:
            raise RuntimeError(f"{self._name} failed to start") from self.failed

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive() and self.failed is None

    @property
    def recovered(self) -> bool:
        """The tables are rebuilt from their changelogs and the agents process events."""
        app = self.app
        return bool(self.running and app is not None and app.tables.recovery.completed.is_set())

    def stop(self, timeout: float = 30.0) -> None:
        if self._loop is None or self._worker is None or self._thread is None:
            return
        if self._loop.is_running():
            future = asyncio.run_coroutine_threadsafe(self._worker.stop(), self._loop)
            try:
                future.result(timeout)
            except Exception as exc:  # noqa: BLE001 - a failed stop must not hide the shutdown of the rest
                log.warning("faust_stop_failed", error=repr(exc))
        self._thread.join(timeout)

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            self.app = self._build()
            self._worker = _Worker(
                self.app, loop=loop, override_logging=False, redirect_stdouts=False, quiet=True
            )
            self._ready.set()
            loop.run_until_complete(self._worker.start())
        except BaseException as exc:  # noqa: BLE001 - reported through `failed` and readiness
            self.failed = exc
            log.error("faust_worker_failed", error=repr(exc))
        finally:
            self._ready.set()
            pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()
