"""The join's internal topics are this service's own: it makes sure they exist, co-partitioned with `calls`."""

from __future__ import annotations

from collections.abc import Sequence

from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from ctrack_common.topics import (
    ATTRIBUTION_BY_CALLER,
    ATTRIBUTION_TICKS,
    CALLS,
    LEASE_HISTORY_BY_NUMBER,
    Topic,
)

__all__ = ["CoPartitioningError", "ensure_internal_topics"]

INTERNAL = (LEASE_HISTORY_BY_NUMBER, ATTRIBUTION_BY_CALLER, ATTRIBUTION_TICKS)


class CoPartitioningError(RuntimeError):
    """An internal topic and `calls` differ in partition count: the join would miss matches."""


def ensure_internal_topics(
    bootstrap_servers: str, changelogs: Sequence[str] = (), timeout: float = 15.0
) -> int:
    """Create the internal topics with the partition count of CALLS, or check existing ones; the count.

    `changelogs` are the faust tables' changelog topics: created here, compacted, before faust starts,
    because faust checks their partitions as soon as it is assigned and may not have created them yet.
    """
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    topics = admin.list_topics(timeout=timeout).topics
    calls = topics.get(CALLS.name)
    partitions = len(calls.partitions) if calls is not None and calls.partitions else CALLS.partitions
    changelog_topics = [
        Topic(
            name, key="table key", description="faust table changelog", partitions=partitions, compacted=True
        )
        for name in changelogs
    ]
    missing: list[Topic] = []
    for topic in (*INTERNAL, *changelog_topics):
        existing = topics.get(topic.name)
        if existing is None or not existing.partitions:
            missing.append(topic)
        elif len(existing.partitions) != partitions:
            raise CoPartitioningError(
                f"{topic.name} has {len(existing.partitions)} partitions, {CALLS.name} has {partitions}"
            )
    if missing:
        new = [
            NewTopic(t.name, num_partitions=partitions, replication_factor=-1, config=t.config())
            for t in missing
        ]
        for future in admin.create_topics(new, request_timeout=timeout).values():
            try:
                future.result(timeout)
            except Exception as exc:
                if "TOPIC_ALREADY_EXISTS" not in str(exc):  # another replica created it first
                    raise
    return partitions
