"""A tenant whose site, pool and one tracking number are on the config topics of a real broker.

For tests of services that read configuration from the topics (call-ingest's webhooks, say)
without running the admin API that normally writes it.
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, datetime

from ctrack_common.events import (
    NumberConfigured,
    NumberConfiguredPayload,
    NumberRole,
    PoolConfigured,
    PoolConfiguredPayload,
    SiteConfigured,
    SiteConfiguredPayload,
    event_id_for,
)
from ctrack_common.messaging import EventProducer
from ctrack_common.topics import CONFIG_NUMBERS, CONFIG_POOLS, CONFIG_SITES

__all__ = ["ConfiguredTenant", "random_number"]


def random_number() -> str:
    return f"+1415{random.randrange(10**6, 10**7)}"


class ConfiguredTenant:
    """A tenant with one site forwarding to `business`, whose pool holds `number`."""

    def __init__(self) -> None:
        self.id = f"tenant-{uuid.uuid4().hex[:12]}"
        self.site = f"site-{uuid.uuid4().hex[:8]}"
        self.pool = f"pool-{uuid.uuid4().hex[:8]}"
        self.business = random_number()
        self.number = random_number()

    def publish_config(self, producer: EventProducer) -> None:
        now = datetime.now(UTC)
        common = {"occurred_at": now, "recorded_at": now, "tenant_id": self.id, "site_id": self.site}
        site = SiteConfiguredPayload(
            name="Site", site_key=self.site, business_number=self.business, pool_id=self.pool
        )
        producer.publish(
            CONFIG_SITES, self.site, SiteConfigured(event_id=event_id_for(self.site), payload=site, **common)
        )
        pool = PoolConfiguredPayload(pool_id=self.pool, lease_seconds=60)
        producer.publish(
            CONFIG_POOLS, self.pool, PoolConfigured(event_id=event_id_for(self.pool), payload=pool, **common)
        )
        number = NumberConfiguredPayload(
            number=self.number, provider="twilio", role=NumberRole.POOL, pool_id=self.pool
        )
        event = NumberConfigured(event_id=event_id_for(self.number), payload=number, **common)
        producer.publish(CONFIG_NUMBERS, self.number, event, wait=True)
