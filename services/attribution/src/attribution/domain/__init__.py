"""The pure core of the join: lease history per number, the attribution policy, the versioned join state.

Nothing here touches Kafka, ClickHouse, HTTP or the clock: time arrives as event times.
"""

from attribution.domain.attribute import Attribution, KnownCall, attribute
from attribution.domain.join import AttributedCallVersion, PartitionJoin
from attribution.domain.lease_history import LeaseEvent, LeaseHistory, LeaseInterval

__all__ = [
    "AttributedCallVersion",
    "Attribution",
    "KnownCall",
    "LeaseEvent",
    "LeaseHistory",
    "LeaseInterval",
    "PartitionJoin",
    "attribute",
]
