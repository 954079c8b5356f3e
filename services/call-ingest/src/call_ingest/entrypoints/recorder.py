"""What every provider's webhook does after its own parsing: route from config, record on `calls`."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

from fastapi import Response
from starlette.concurrency import run_in_threadpool

from call_ingest.adapters.calls_publisher import CallEventSink
from call_ingest.adapters.rejection import SignatureRejected
from call_ingest.domain.lifecycle import CallObservation, LifecycleEvent, event_for, flagged
from call_ingest.domain.routing import CallOwner, NotOurs, Route, owner_of, route_call
from call_ingest.metrics import BLOCKED_CALL_EVENTS, ROUTING_SECONDS, WEBHOOKS
from ctrack_common.config_view import ConfigView
from ctrack_common.events import CallStarted
from ctrack_common.logging import get_logger
from ctrack_common.messaging import PublishFailed
from ctrack_common.web import json_error

__all__ = ["CallRecorder", "rejected"]

log = get_logger(__name__)

LOOKUP_INTERVAL_SECONDS = 0.05


def rejected(provider: str, webhook: str, error: SignatureRejected) -> Response:
    """The 401/403 answer to a request whose signature failed (nothing is produced)."""
    outcome = "missing_signature" if error.status == 401 else "bad_signature"
    WEBHOOKS.labels(provider, webhook, outcome).inc()
    log.warning("webhook_signature_rejected", provider=provider, webhook=webhook, reason=error.message)
    return json_error(error.status, error.message)


class CallRecorder:
    """Routing from the config read model and recording on `calls`, shared by the provider adapters."""

    def __init__(
        self,
        *,
        config: ConfigView,
        publisher: CallEventSink,
        skew: timedelta,
        lookup_grace: float = 0.0,
    ) -> None:
        self._lookup_grace = lookup_grace
        self._config = config
        self._publisher = publisher
        self._skew = skew

    async def route(self, provider: str, tracking_number: str) -> Route:
        """Where a ringing call goes; local read model only, timed per provider.

        A number not known yet is looked up again for `lookup_grace` seconds: one added a moment
        ago may still be on its way through the config topic (a customer's first test call).
        """
        began = time.perf_counter()
        deadline = began + self._lookup_grace
        while True:
            route = route_call(
                self._config.numbers.get(tracking_number), dict(self._config.sites), dict(self._config.pools)
            )
            if not isinstance(route, NotOurs) or time.perf_counter() >= deadline:
                break
            await asyncio.sleep(LOOKUP_INTERVAL_SECONDS)
        ROUTING_SECONDS.labels(provider).observe(time.perf_counter() - began)
        return route

    def records_audio(self, owner: CallOwner) -> bool:
        """Whether the site records its forwarded calls (`SiteConfigured.record_calls`)."""
        site = self._config.site(owner.tenant_id, owner.site_id) if owner.site_id is not None else None
        return site is not None and site.payload.record_calls

    def resolve(self, *candidates: str | None) -> tuple[str, CallOwner] | None:
        """The first candidate that is a number in some tenant's inventory, and who owns its calls."""
        for candidate in candidates:
            if not candidate:
                continue
            number = self._config.numbers.get(candidate)
            if number is not None:
                return candidate, owner_of(number, dict(self._config.sites), dict(self._config.pools))
        return None

    async def record(self, observation: CallObservation, owner: CallOwner) -> bool:
        """True once the broker acknowledged the event; False (logged) when it could not confirm."""
        return await self.publish(event_for(observation, owner, datetime.now(UTC), self._skew))

    async def publish(self, event: LifecycleEvent) -> bool:
        """Flag a blocked caller's event, then publish it; False (logged) when the broker did not confirm."""
        facts = event.payload
        block = self._config.blocked_caller(event.tenant_id, facts.caller_number)
        if block is not None:
            event = flagged(event, block.payload.reason)
            BLOCKED_CALL_EVENTS.labels(facts.provider).inc()
            if isinstance(event, CallStarted):
                log.info(
                    "call_from_blocked_caller",
                    provider=facts.provider,
                    call_id=facts.call_id,
                    tenant_id=event.tenant_id,
                    reason=block.payload.reason,
                )
        try:
            await run_in_threadpool(self._publisher.publish, event)
        except PublishFailed as exc:
            log.error(
                "call_event_not_acknowledged",
                provider=facts.provider,
                event_type=event.event_type,
                error=str(exc),
            )
            return False
        return True
