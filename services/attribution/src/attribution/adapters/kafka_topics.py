"""The internal re-keyed topic is this service's own: it makes sure the topic exists, co-partitioned."""

from __future__ import annotations

from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from ctrack_common.topics import CALLS, LEASE_HISTORY_BY_NUMBER

__all__ = ["CoPartitioningError", "ensure_lease_history_topic"]


class CoPartitioningError(RuntimeError):
    """The re-keyed topic and `calls` differ in partition count: the join would miss matches."""


def ensure_lease_history_topic(bootstrap_servers: str, timeout: float = 15.0) -> None:
    """Create LEASE_HISTORY_BY_NUMBER with the partition count of CALLS, or check an existing one."""
    admin = AdminClient({"bootstrap.servers": bootstrap_servers})
    topics = admin.list_topics(timeout=timeout).topics
    calls = topics.get(CALLS.name)
    partitions = len(calls.partitions) if calls is not None and calls.partitions else CALLS.partitions
    existing = topics.get(LEASE_HISTORY_BY_NUMBER.name)
    if existing is None or not existing.partitions:
        new = NewTopic(
            LEASE_HISTORY_BY_NUMBER.name,
            num_partitions=partitions,
            replication_factor=-1,
            config=LEASE_HISTORY_BY_NUMBER.config(),
        )
        for future in admin.create_topics([new], request_timeout=timeout).values():
            try:
                future.result(timeout)
            except Exception as exc:
                if "TOPIC_ALREADY_EXISTS" not in str(exc):  # another replica created it first
                    raise
        return
    if len(existing.partitions) != partitions:
        raise CoPartitioningError(
            f"{LEASE_HISTORY_BY_NUMBER.name} has {len(existing.partitions)} partitions, {CALLS.name} has {partitions}"
        )
