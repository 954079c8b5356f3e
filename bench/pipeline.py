"""End-to-end rates of the pipeline: events in on one topic, answers out on another."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Sequence

from ctrack_common.events import Envelope
from ctrack_common.messaging import EventProducer, LogFollower
from ctrack_common.topics import Topic

__all__ = ["events_through"]


def events_through(
    bootstrap: str,
    *,
    source: Topic,
    keyed_events: Sequence[tuple[str, Envelope]],
    sink: Topic,
    is_answer: Callable[[Envelope], bool],
    timeout: float = 600.0,
) -> float:
    """Events per second: publish `keyed_events` on `source`, wait for as many answers on `sink`."""
    answers = 0
    lock = threading.Lock()
    all_answered = threading.Event()

    def count(event: Envelope) -> None:
        nonlocal answers
        if is_answer(event):
            with lock:
                answers += 1
                if answers >= len(keyed_events):
                    all_answered.set()

    follower = LogFollower(bootstrap, [sink], count, from_end=True)
    follower.start()
    if not follower.caught_up.wait(60):
        raise TimeoutError(f"could not position on {sink.name}")
    producer = EventProducer(bootstrap, "bench")
    started = time.perf_counter()
    producer.publish_many(source, keyed_events)
    producer.flush(120)
    finished = all_answered.wait(timeout)
    elapsed = time.perf_counter() - started
    follower.stop()
    producer.close()
    if not finished:
        raise TimeoutError(f"only {answers} of {len(keyed_events)} answers on {sink.name} within {timeout}s")
    return len(keyed_events) / elapsed
