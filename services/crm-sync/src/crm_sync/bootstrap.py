"""Wiring: settings -> read model, delivery ledger, sender, consumer, REST -> the FastAPI app.

Delivery starts only once the config read model has caught up (a tenant's endpoints decide
who gets a call) and the ledger has been rebuilt from webhook-deliveries (so nothing already
delivered is sent again); /readyz reports each step.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from crm_sync.adapters.delivery_log import DeliveryLog
from crm_sync.adapters.webhook_sender import DeliveryInterrupted, WebhookSender
from crm_sync.config import Settings
from crm_sync.entrypoints.attributed_calls import AttributedCallsHandler
from crm_sync.entrypoints.webhook_endpoints_api import webhook_endpoints_router
from ctrack_common.config_view import ConfigView
from ctrack_common.logging import get_logger
from ctrack_common.messaging import EventConsumer, EventProducer, LogFollower
from ctrack_common.runner import serve
from ctrack_common.topics import ATTRIBUTED_CALLS, CONFIG_TENANTS, CONFIG_WEBHOOKS
from ctrack_common.web import TenantAuth, create_service_app

__all__ = ["build_app", "main"]

log = get_logger(__name__)

_STARTUP_RETRY_SECONDS = 1.0


class DeliveryStarter:
    """Starts the consumer in the background once config and ledger are ready; stops it cleanly."""

    def __init__(
        self,
        follower: LogFollower,
        handler: AttributedCallsHandler,
        consumer: EventConsumer,
        stopping: threading.Event,
    ) -> None:
        self._follower = follower
        self._handler = handler
        self._consumer = consumer
        self._lock = threading.Lock()
        self._started = False
        self.stopping = stopping
        self._thread = threading.Thread(target=self._run, name="delivery-starter", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self.stopping.set()  # also interrupts a delivery waiting between attempts
        with self._lock:
            started = self._started
        if started:
            self._consumer.stop()
        self._thread.join(5)

    def _run(self) -> None:
        while not self._follower.caught_up.wait(0.2):
            if self.stopping.is_set():
                return
        while not self.stopping.is_set():
            try:
                self._handler.rebuild_ledger()
                break
            except Exception:
                log.exception("delivery_ledger_rebuild_failed")
                self.stopping.wait(_STARTUP_RETRY_SECONDS)
        with self._lock:
            if not self.stopping.is_set():
                self._consumer.start()
                self._started = True


def build_app(settings: Settings) -> FastAPI:
    bootstrap = settings.KAFKA_BOOTSTRAP_SERVERS
    config = ConfigView()
    follower = LogFollower(bootstrap, (CONFIG_TENANTS, CONFIG_WEBHOOKS), config.apply)
    producer = EventProducer(bootstrap, client_id=settings.SERVICE_NAME)
    stopping = threading.Event()
    sender = WebhookSender(
        timeout_seconds=settings.WEBHOOK_TIMEOUT_SECONDS,
        retry_initial_seconds=settings.WEBHOOK_RETRY_INITIAL_SECONDS,
        retry_max_interval_seconds=settings.WEBHOOK_RETRY_MAX_INTERVAL_SECONDS,
        max_retry_seconds=settings.WEBHOOK_MAX_RETRY_SECONDS,
        stopping=stopping,
    )
    handler = AttributedCallsHandler(
        config=config, sender=sender, delivery_log=DeliveryLog(bootstrap, producer)
    )
    consumer = EventConsumer(
        bootstrap_servers=bootstrap,
        group_id=settings.CONSUMER_GROUP,
        topics=[ATTRIBUTED_CALLS],
        handle=handler,
        dead_letters=producer,
        on_assign=handler.on_assign,
    )
    starter = DeliveryStarter(follower, handler, consumer, stopping)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        follower.start()
        starter.start()
        try:
            yield
        finally:
            starter.stop()
            follower.stop()
            sender.close()
            producer.close()

    app = create_service_app(
        title="ctrack crm-sync",
        description="Outbound webhook endpoints per tenant; signed, retried, once-per-version delivery.",
        readiness=lambda: {
            "kafka": producer.reachable(),
            "config": follower.caught_up.is_set(),
            "deliveries": handler.ledger_ready.is_set(),
            "consumer": consumer.running,
        },
        lifespan=lifespan,
    )
    app.include_router(
        webhook_endpoints_router(
            config=config,
            producer=producer,
            auth=TenantAuth(config),
            read_back_seconds=settings.CONFIG_READ_BACK_SECONDS,
        )
    )
    return app


def _quiet_shutdown_interrupts() -> None:
    """A delivery interrupted by shutdown ends the consumer thread on purpose: log it, no traceback."""
    default_hook = threading.excepthook

    def hook(args: threading.ExceptHookArgs) -> None:
        if isinstance(args.exc_value, DeliveryInterrupted):
            log.info("delivery_interrupted_by_shutdown", thread=args.thread.name if args.thread else None)
            return
        default_hook(args)

    threading.excepthook = hook


def main() -> None:
    settings = Settings()
    _quiet_shutdown_interrupts()
    # httpx logs every request URL at INFO; endpoint URLs may carry tenants' tokens.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    serve(build_app(settings), settings)
