"""The attributed-calls consumer: each call version goes to every active endpoint of its tenant.

Records of one partition are handled in order, one endpoint after another, so a delivery that
is being retried holds back the records behind it (head-of-line blocking, bounded by
WEBHOOK_MAX_RETRY_SECONDS). An outcome is on the webhook-deliveries log before the consumer
moves on; a version an endpoint could not take is dead-lettered with the reason.

A call from a blocked caller (classification `blocked`, or the call flagged `blocked` by
call-ingest) is never delivered: it is counted and logged, and the record is done with.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

from confluent_kafka import TopicPartition

from crm_sync.adapters.delivery_log import DeliveryLog
from crm_sync.adapters.webhook_sender import Delivered, WebhookSender
from crm_sync.domain.blocked_callers import from_blocked_caller
from crm_sync.domain.ledger import Decision, DeliveryLedger, abandoned, delivered
from crm_sync.domain.signing import webhook_id_for
from crm_sync.metrics import BLOCKED_CALLS_SKIPPED, WEBHOOK_DECISIONS, WEBHOOK_DELIVERY_ATTEMPTS
from ctrack_common.config_view import ConfigView
from ctrack_common.events import CallAttributed, WebhookEndpointConfigured, encode
from ctrack_common.logging import get_logger
from ctrack_common.messaging import Record, RejectedEvent

__all__ = ["AttributedCallsHandler"]

log = get_logger(__name__)


class AttributedCallsHandler:
    """`EventConsumer` handler; also owns the delivery ledger it decides with."""

    def __init__(self, *, config: ConfigView, sender: WebhookSender, delivery_log: DeliveryLog) -> None:
        self._config = config
        self._sender = sender
        self._log = delivery_log
        self._ledger = DeliveryLedger()
        self._assignments = 0
        self.ledger_ready = threading.Event()

    def rebuild_ledger(self) -> None:
        self._ledger = self._log.rebuild()
        self.ledger_ready.set()

    def on_assign(self, partitions: list[TopicPartition]) -> None:
        """After a rebalance another instance may have delivered more: re-read the log first."""
        if self._assignments and partitions:
            self.rebuild_ledger()
        self._assignments += 1

    def __call__(self, records: list[Record]) -> None:
        for record in records:
            if isinstance(record.event, CallAttributed):
                self._deliver(record.event)

    def _deliver(self, call: CallAttributed) -> None:
        if from_blocked_caller(call):
            BLOCKED_CALLS_SKIPPED.inc()
            log.info(
                "webhook_skipped_blocked_caller",
                call_id=call.payload.call_id,
                version=call.payload.version,
                tenant_id=call.tenant_id,
                reason=call.payload.call.block_reason,
            )
            return
        body = encode(call)
        failures = []
        endpoints = sorted(
            self._config.webhook_endpoints(call.tenant_id), key=lambda e: e.payload.endpoint_id
        )
        for endpoint in endpoints:
            failure = self._deliver_to(endpoint, call, body)
            if failure is not None:
                failures.append(f"endpoint {endpoint.payload.endpoint_id}: {failure}")
        if failures:
            raise RejectedEvent("; ".join(failures))

    def _deliver_to(
        self, endpoint: WebhookEndpointConfigured, call: CallAttributed, body: bytes
    ) -> str | None:
        """Deliver unless the ledger says otherwise; the reason when this version is abandoned."""
        endpoint_id, call_id, version = (
            endpoint.payload.endpoint_id,
            call.payload.call_id,
            call.payload.version,
        )
        webhook_id = webhook_id_for(endpoint_id, call_id, version)
        context = {
            "webhook_id": webhook_id,
            "endpoint_id": endpoint_id,
            "call_id": call_id,
            "version": version,
        }
        decision = self._ledger.decide(endpoint_id, call_id, version)
        if decision is Decision.ALREADY_ABANDONED:
            WEBHOOK_DECISIONS.labels(decision.value).inc()
            return self._ledger.abandon_reason(webhook_id)
        if decision is not Decision.DELIVER:
            log.info("webhook_skipped", decision=decision.value, **context)
            WEBHOOK_DECISIONS.labels(decision.value).inc()
            return None
        result = self._sender.deliver(endpoint.payload.url, endpoint.payload.secret, webhook_id, body)
        now = datetime.now(UTC)
        WEBHOOK_DELIVERY_ATTEMPTS.inc(result.attempts)
        if isinstance(result, Delivered):
            outcome = delivered(
                call, endpoint_id, attempts=result.attempts, status_code=result.status_code, at=now
            )
            self._log.append(outcome)
            self._ledger.record(outcome)
            log.info("webhook_delivered", attempts=result.attempts, **context)
            WEBHOOK_DECISIONS.labels("delivered").inc()
            return None
        gave_up = abandoned(
            call,
            endpoint_id,
            attempts=result.attempts,
            status_code=result.status_code,
            reason=result.reason,
            at=now,
        )
        self._log.append(gave_up)
        self._ledger.record(gave_up)
        log.warning("webhook_abandoned", attempts=result.attempts, reason=result.reason, **context)
        WEBHOOK_DECISIONS.labels("abandoned").inc()
        return result.reason
