"""The allocator on the real broker: visits get leases, and a visit redelivered after a restart
(state rebuilt from the `leases` log) gets the same lease, never a second number."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from ctrack_common.events import (
    Envelope,
    LeaseGranted,
    SessionSnapshot,
    VisitStarted,
    VisitStartedPayload,
    event_id_for,
)
from ctrack_common.messaging import EventProducer, LogFollower
from ctrack_common.topics import LEASES, VISITS
from ctrack_stack.testing import ServiceProcess, start_service, wait_until

if TYPE_CHECKING:
    from conftest import Admin


def test_a_visit_redelivered_after_a_restart_gets_the_same_lease(
    kafka_bootstrap: str,
    allocator: ServiceProcess,
    allocator_env: dict[str, str],
    admin: Admin,
    service_logs: Path,
) -> None:
    tenant_id, auth = admin.tenant()
    site = admin.site(auth)
    pool_id = str(site["pool_id"])
    admin.add_numbers(auth, str(site["site_id"]), 2)
    seen: list[Envelope] = []
    follower = LogFollower(kafka_bootstrap, [LEASES], seen.append, from_end=True)
    follower.start()
    producer = EventProducer(kafka_bootstrap, client_id="it-visits")
    now = datetime.now(UTC)
    visit = VisitStarted(
        event_id=event_id_for("it-visit", uuid.uuid4()),
        occurred_at=now,
        recorded_at=now,
        tenant_id=tenant_id,
        site_id=str(site["site_id"]),
        payload=VisitStartedPayload(
            visit_id=uuid.uuid4().hex,
            visitor_id="visitor-1",
            pool_id=pool_id,
            page_url="https://shop.example/",
            session=SessionSnapshot(source="(direct)", medium="(none)"),
        ),
    )

    def answers() -> list[LeaseGranted]:
        return [e for e in seen if isinstance(e, LeaseGranted) and e.payload.pool_id == pool_id]

    try:
        assert follower.caught_up.wait(30)
        producer.publish(VISITS, pool_id, visit, wait=True)
        wait_until(lambda: len(answers()) == 1, timeout=30, what="the lease granted for the visit")
        allocator.stop()
        restarted = start_service("number_allocator", allocator_env, service_logs)
        try:
            producer.publish(VISITS, pool_id, visit, wait=True)  # as if the crash came before the commit
            wait_until(lambda: len(answers()) == 2, timeout=60, what="the answer to the redelivered visit")
        finally:
            restarted.stop()
    finally:
        follower.stop()
        producer.close()
    first, again = answers()
    assert again == first  # the very same event: same id, same lease, same number
