"""Creating the platform's topics, from the one registry in `ctrack_common.topics`.

Idempotent: a topic that already exists is left as it is (its partition count and config are
not changed), so `ctrack up` can run against a broker that kept its data.
"""

from __future__ import annotations

from collections.abc import Iterable

import structlog
from confluent_kafka import KafkaError, KafkaException
from confluent_kafka.admin import AdminClient

# Where the typed class lives; `confluent_kafka.admin` re-exports it without saying so to mypy.
from confluent_kafka.cimpl import NewTopic

from ctrack_common.topics import ALL_TOPICS, Topic
from ctrack_stack.errors import StackError

__all__ = ["create_topics"]

log = structlog.get_logger(__name__)

REPLICATION_FACTOR = 1


def create_topics(bootstrap: str, topics: Iterable[Topic] = ALL_TOPICS, timeout: float = 30.0) -> list[str]:
    """Create each topic that does not exist yet; return the names actually created."""
    wanted = list(topics)
    if not wanted:
        return []
    admin = AdminClient({"bootstrap.servers": bootstrap, "log.connection.close": False})
    new_topics = [
        NewTopic(topic.name, topic.partitions, REPLICATION_FACTOR, config=topic.config()) for topic in wanted
    ]
    futures = admin.create_topics(new_topics, operation_timeout=timeout, request_timeout=timeout)
    created: list[str] = []
    for name, future in futures.items():
        try:
            future.result(timeout=timeout)
        except KafkaException as error:
            kafka_error = error.args[0]
            if isinstance(kafka_error, KafkaError) and kafka_error.code() == KafkaError.TOPIC_ALREADY_EXISTS:
                continue
            raise StackError(f"could not create topic {name!r}: {kafka_error}") from error
        created.append(name)
    log.info("topics.ready", created=sorted(created), existing=len(wanted) - len(created))
    return created
