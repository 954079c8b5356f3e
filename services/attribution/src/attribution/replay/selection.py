"""Which calls a replay recomputes, and the id that labels its output."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from datetime import UTC, datetime

__all__ = ["InvalidReplayRange", "ReplayRange", "parse_instant", "replay_id_for"]

REPLAY_ID = re.compile(r"^[a-z0-9_]{1,48}$")


class InvalidReplayRange(ValueError):
    """A bound, the range or the output suffix is unusable; the message names which."""


def parse_instant(text: str, name: str) -> datetime:
    """An ISO 8601 date or date-time; one without an offset is UTC."""
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidReplayRange(f"{name}: {text!r} is not an ISO 8601 date or date-time") from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


@dataclass(frozen=True)
class ReplayRange:
    """Calls that started in [start, end), of one tenant or of all."""

    start: datetime
    end: datetime
    tenant_id: str | None = None

    def __post_init__(self) -> None:
        if self.start.tzinfo is None or self.end.tzinfo is None:
            raise InvalidReplayRange("from/to: both bounds need a time zone")
        if self.end <= self.start:
            raise InvalidReplayRange(f"to: {self.end.isoformat()} is not after from {self.start.isoformat()}")

    def covers(self, tenant_id: str, started_at: datetime) -> bool:
        return (self.tenant_id is None or tenant_id == self.tenant_id) and self.start <= started_at < self.end


def replay_id_for(selection: ReplayRange, suffix: str | None = None) -> str:
    """The run's label: `suffix` if given, else derived from the range, so a rerun replaces its own output.

    It names the ClickHouse table (`attributed_calls_replay_<id>`), hence only [a-z0-9_].
    """
    if suffix is not None:
        if not REPLAY_ID.match(suffix):
            raise InvalidReplayRange(f"output-suffix: {suffix!r} must be 1-48 of a-z, 0-9 and _")
        return suffix
    label = f"{selection.start:%Y%m%dt%H%M%S}_{selection.end:%Y%m%dt%H%M%S}"
    if selection.tenant_id is not None:
        # Tenant ids may hold any character; a short digest keeps the label a valid table name.
        label += "_" + hashlib.sha256(selection.tenant_id.encode()).hexdigest()[:8]
    return label
