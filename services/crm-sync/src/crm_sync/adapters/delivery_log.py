"""The webhook-deliveries topic: outcomes are written before moving on, and replayed on start.

Compacted and keyed by webhook id, it keeps the latest outcome of every webhook, so a
restarted (or rebalanced) crm-sync knows what each endpoint already has.
"""

from __future__ import annotations

from crm_sync.domain.ledger import DeliveryLedger
from ctrack_common.events import WebhookAbandoned, WebhookDelivered
from ctrack_common.messaging import EventProducer, replay
from ctrack_common.topics import WEBHOOK_DELIVERIES

__all__ = ["DeliveryLog"]


class DeliveryLog:
    def __init__(self, bootstrap_servers: str, producer: EventProducer) -> None:
        self._bootstrap = bootstrap_servers
        self._producer = producer

    def append(self, outcome: WebhookDelivered | WebhookAbandoned) -> None:
        """Returns once the broker holds the outcome (raises `PublishFailed` otherwise)."""
        self._producer.publish(WEBHOOK_DELIVERIES, outcome.payload.webhook_id, outcome, wait=True)

    def rebuild(self) -> DeliveryLedger:
        ledger = DeliveryLedger()
        for event in replay(self._bootstrap, WEBHOOK_DELIVERIES):
            if isinstance(event, WebhookDelivered | WebhookAbandoned):
                ledger.record(event)
        return ledger
