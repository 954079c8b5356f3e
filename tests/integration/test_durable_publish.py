"""`publish_durably`: each caller waits for its own record's acknowledgement, many at once, on the real broker."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import pytest

from ctrack_common.events import SessionSnapshot, VisitStarted, VisitStartedPayload, event_id_for
from ctrack_common.messaging import EventProducer, PublishFailed, replay
from ctrack_common.topics import VISITS

pytestmark = pytest.mark.integration


def run_in_own_loop(coroutine: Coroutine[Any, Any, None]) -> None:
    # A thread of its own: other tests in the session (Playwright's sync API) may hold a running loop here.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, coroutine).result()


def a_visit(run: str, index: int) -> VisitStarted:
    now = datetime.now(UTC)
    return VisitStarted(
        event_id=event_id_for("durable-publish", run, index),
        occurred_at=now,
        recorded_at=now,
        tenant_id=f"tenant-{run}",
        site_id="site",
        payload=VisitStartedPayload(
            visit_id=f"{run}-{index}",
            visitor_id=f"visitor-{index}",
            pool_id=f"pool-{run}",
            page_url="https://x.example/",
            session=SessionSnapshot(),
        ),
    )


def test_concurrent_durable_publishes_are_all_on_the_topic_once_each_returns(kafka_bootstrap: str) -> None:
    run = uuid.uuid4().hex[:8]
    producer = EventProducer(kafka_bootstrap, f"durable-{run}")

    async def publish_all() -> None:
        await asyncio.gather(
            *(producer.publish_durably(VISITS, f"pool-{run}", a_visit(run, i)) for i in range(200))
        )

    try:
        run_in_own_loop(publish_all())
        # Every publish returned: all 200 must be readable now, without any flush by the test.
        seen = {
            event.payload.visit_id
            for event in replay(kafka_bootstrap, VISITS)
            if isinstance(event, VisitStarted) and event.tenant_id == f"tenant-{run}"
        }
        assert seen == {f"{run}-{i}" for i in range(200)}
    finally:
        producer.close()


def test_a_durable_publish_that_cannot_be_delivered_raises_publish_failed() -> None:
    producer = EventProducer("127.0.0.1:1", "durable-unreachable", delivery_timeout_ms=1500)
    try:
        with pytest.raises(PublishFailed):
            run_in_own_loop(producer.publish_durably(VISITS, "pool", a_visit("x", 0)))
    finally:
        producer.close()
