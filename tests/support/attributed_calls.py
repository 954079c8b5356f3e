"""Everything published on `attributed-calls` while a test runs, by call id."""

from __future__ import annotations

import threading
from types import TracebackType

from ctrack_common.events import CallAttributed, Envelope
from ctrack_common.messaging import LogFollower
from ctrack_common.topics import ATTRIBUTED_CALLS

__all__ = ["AttributedCallsLog"]


class AttributedCallsLog:
    """Follows the topic from its beginning; keeps every record, repeats included."""

    def __init__(self, bootstrap: str) -> None:
        self._lock = threading.Lock()
        self._events: list[CallAttributed] = []
        self._follower = LogFollower(bootstrap, [ATTRIBUTED_CALLS], self._collect)

    def _collect(self, event: Envelope) -> None:
        if isinstance(event, CallAttributed):
            with self._lock:
                self._events.append(event)

    def records(self, call_id: str) -> list[CallAttributed]:
        with self._lock:
            return [e for e in self._events if e.payload.call_id == call_id]

    def versions(self, call_id: str) -> list[int]:
        """The distinct versions of a call, ascending."""
        return sorted({e.payload.version for e in self.records(call_id)})

    def latest(self, call_id: str) -> CallAttributed | None:
        records = self.records(call_id)
        return max(records, key=lambda e: e.payload.version) if records else None

    def conflicts(self, call_id: str) -> list[int]:
        """Versions published with two different answers: a version must mean one answer, whoever computed it."""
        seen: dict[int, set[str]] = {}
        for event in self.records(call_id):
            seen.setdefault(event.payload.version, set()).add(event.payload.model_dump_json())
        return sorted(version for version, payloads in seen.items() if len(payloads) > 1)

    def __enter__(self) -> AttributedCallsLog:
        self._follower.start()
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self._follower.stop()
