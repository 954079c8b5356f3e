"""What-if input: the pool-policy overrides asked for, and the recorded traffic of the range.

`parse_overrides` is pure. `recorded_traffic` reads the log: the configuration
as it stands now, then the visits, leases and calls of the range in event-time
order, which is what the simulator re-runs the pool policy over.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from attribution.replay.selection import ReplayRange
from ctrack_common.events import CallStarted, CallStatusChanged, Envelope
from ctrack_common.messaging import replay
from ctrack_common.topics import (
    CALLS,
    CONFIG_NUMBERS,
    CONFIG_POOLS,
    CONFIG_SITES,
    CONFIG_STATIC_RULES,
    LEASES,
    VISITS,
    Topic,
)

__all__ = ["DURATION_OVERRIDES", "InvalidWhatIf", "parse_overrides", "recorded_traffic"]

# Pool-policy settings a what-if may change; the durations are seconds, `pool-size` a count of numbers.
DURATION_OVERRIDES = ("hold", "quarantine", "delay", "reclaim")
COUNT_OVERRIDES = ("pool-size",)
_DURATION = re.compile(r"^(\d+(?:\.\d+)?)([smhd]?)$")
_UNIT_SECONDS = {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}


class InvalidWhatIf(ValueError):
    """The --what-if text is unusable; the message names the setting."""


def _duration(name: str, value: str) -> float:
    match = _DURATION.match(value)
    if match is None:
        raise InvalidWhatIf(f"what-if {name}: {value!r} is not a duration (seconds, or with s/m/h/d)")
    return float(match.group(1)) * _UNIT_SECONDS[match.group(2)]


def parse_overrides(text: str) -> Mapping[str, float]:
    """`hold=120,quarantine=7d,delay=50s,reclaim=1h,pool-size=30` -> seconds per duration, and the count."""
    overrides: dict[str, float] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        name, sep, value = item.partition("=")
        name = name.strip().lower()
        if not sep or not value.strip():
            raise InvalidWhatIf(f"what-if: {item!r} is not name=value")
        if name in overrides:
            raise InvalidWhatIf(f"what-if {name}: given twice")
        if name in DURATION_OVERRIDES:
            overrides[name] = _duration(name, value.strip())
        elif name in COUNT_OVERRIDES:
            if not value.strip().isdigit() or int(value) < 1:
                raise InvalidWhatIf(f"what-if {name}: {value!r} is not a whole number of at least 1")
            overrides[name] = int(value)
        else:
            known = ", ".join((*DURATION_OVERRIDES, *COUNT_OVERRIDES))
            raise InvalidWhatIf(f"what-if {name}: unknown setting (known: {known})")
    if not overrides:
        raise InvalidWhatIf("what-if: name at least one setting to change")
    return overrides


def _in_range(event: Envelope, selection: ReplayRange) -> bool:
    moment = (
        event.payload.started_at if isinstance(event, CallStarted | CallStatusChanged) else event.occurred_at
    )
    return selection.covers(event.tenant_id, moment)


def recorded_traffic(bootstrap_servers: str, selection: ReplayRange) -> list[Envelope]:
    """The current configuration, then the range's visits, leases and calls ordered by event time."""

    def read(*topics: Topic) -> Iterator[Envelope]:
        for topic in topics:
            yield from replay(bootstrap_servers, topic)

    config = [
        e
        for e in read(CONFIG_SITES, CONFIG_POOLS, CONFIG_NUMBERS, CONFIG_STATIC_RULES)
        if selection.tenant_id is None or e.tenant_id == selection.tenant_id
    ]
    traffic = [e for e in read(VISITS, LEASES, CALLS) if _in_range(e, selection)]
    # Event time first, then the id: the same log always gives the same sequence.
    traffic.sort(key=lambda e: (e.occurred_at, str(e.event_id)))
    return [*config, *traffic]
