"""Taking records off a consumer in batches without waiting for a batch to fill."""

from __future__ import annotations

from confluent_kafka import Consumer, Message

__all__ = ["next_batch"]


def next_batch(consumer: Consumer, size: int, wait: float) -> list[Message]:
    """Up to `size` records: wait at most `wait` seconds for the first, then take what is already here.

    `consume(size, timeout)` alone blocks until `size` records arrive or the timeout passes, which
    adds the whole timeout to every hop when traffic is light.
    """
    first = consumer.poll(wait)
    if first is None:
        return []
    return [first, *consumer.consume(num_messages=size - 1, timeout=0)] if size > 1 else [first]
