"""Re-key: lease events (keyed by pool) republished keyed by number, so they meet the calls of that number.

Events go out unchanged, with the same event id. LeaseDenied names no number
and has no place in a number's history: it is only projected to ClickHouse.
"""

from __future__ import annotations

from attribution.metrics import LEASES_REKEYED
from ctrack_common.events import (
    Envelope,
    LeaseExpired,
    LeaseGranted,
    LeaseReleased,
    LeaseRenewed,
    LeaseRevoked,
)
from ctrack_common.messaging import EventProducer, Record
from ctrack_common.topics import LEASE_HISTORY_BY_NUMBER

__all__ = ["LeaseRekeyer"]


class LeaseRekeyer:
    """Handler of the `<prefix>-rekey` consumer group over LEASES."""

    def __init__(self, producer: EventProducer) -> None:
        self._producer = producer

    def handle(self, records: list[Record]) -> None:
        keyed: list[tuple[str, Envelope]] = [
            (r.event.payload.number, r.event)
            for r in records
            if isinstance(r.event, LeaseGranted | LeaseRenewed | LeaseExpired | LeaseReleased | LeaseRevoked)
        ]
        if keyed:
            # Waiting for the acks before the offsets are stored keeps the re-key at-least-once.
            self._producer.publish_many(LEASE_HISTORY_BY_NUMBER, keyed, wait=True)
            LEASES_REKEYED.inc(len(keyed))
