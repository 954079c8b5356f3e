"""The pure core of the join: lease history per number, the attribution policy, the two join stages.

Nothing here touches Kafka, ClickHouse, HTTP or the clock: time arrives as event times.
"""

from attribution.domain.attribute import (
    Attribution,
    CallerContext,
    KnownCall,
    NumberMatch,
    attribute,
    finish,
    match,
)
from attribution.domain.confidence import ConfidenceModel, MatchEvidence, confidence
from attribution.domain.join import PartitionJoin
from attribution.domain.lease_history import LeaseEvent, LeaseHistory, LeaseInterval
from attribution.domain.stages import (
    DEFAULT_RETENTION,
    AttributedCallVersion,
    CallerOutput,
    CallerStage,
    CallerState,
    NumberAnswer,
    NumberStage,
    NumberState,
    PartitionClock,
)

__all__ = [
    "DEFAULT_RETENTION",
    "AttributedCallVersion",
    "Attribution",
    "CallerContext",
    "CallerOutput",
    "CallerStage",
    "CallerState",
    "ConfidenceModel",
    "KnownCall",
    "LeaseEvent",
    "LeaseHistory",
    "LeaseInterval",
    "MatchEvidence",
    "NumberAnswer",
    "NumberMatch",
    "NumberStage",
    "NumberState",
    "PartitionClock",
    "PartitionJoin",
    "attribute",
    "confidence",
    "finish",
    "match",
]
