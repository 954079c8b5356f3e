"""Wiring: settings -> config read model, producer, provider webhooks -> the FastAPI app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta

from fastapi import FastAPI

from call_ingest.adapters.calls_publisher import CallsPublisher, RecentlyPublished
from call_ingest.adapters.telnyx_commands import TelnyxCommands
from call_ingest.config import Settings
from call_ingest.entrypoints.generic_webhooks import GenericWebhooks
from call_ingest.entrypoints.recorder import CallRecorder
from call_ingest.entrypoints.telnyx_webhooks import TelnyxWebhooks
from call_ingest.entrypoints.twilio_webhooks import TwilioWebhooks
from call_ingest.entrypoints.zadarma_webhooks import ZadarmaWebhooks
from ctrack_common.config_view import ConfigView
from ctrack_common.messaging import EventProducer, LogFollower
from ctrack_common.runner import serve
from ctrack_common.topics import CONFIG_BLOCK_LIST, CONFIG_NUMBERS, CONFIG_POOLS, CONFIG_SITES
from ctrack_common.web import create_service_app

__all__ = ["build_app", "main"]

# Routing needs numbers, the sites they forward to (and whether they record) and the pools linking
# the two; calls are flagged from the tenants' block lists.
CONFIG_TOPICS = (CONFIG_NUMBERS, CONFIG_SITES, CONFIG_POOLS, CONFIG_BLOCK_LIST)


def build_app(settings: Settings) -> FastAPI:
    config = ConfigView()
    follower = LogFollower(settings.KAFKA_BOOTSTRAP_SERVERS, CONFIG_TOPICS, config.apply)
    producer = EventProducer(settings.KAFKA_BOOTSTRAP_SERVERS, client_id=settings.SERVICE_NAME)
    publisher = RecentlyPublished(
        CallsPublisher(producer, settings.PUBLISH_TIMEOUT_SECONDS), settings.RECENT_EVENT_IDS
    )
    skew = timedelta(seconds=settings.CLOCK_SKEW_SECONDS)
    recorder = CallRecorder(
        config=config,
        publisher=publisher,
        skew=skew,
        lookup_grace=settings.NUMBER_LOOKUP_GRACE_SECONDS,
    )
    twilio = TwilioWebhooks(
        auth_token=settings.TWILIO_AUTH_TOKEN.get_secret_value(),
        public_base_url=settings.PUBLIC_BASE_URL,
        config=config,
        publisher=publisher,
        skew=skew,
        lookup_grace=settings.NUMBER_LOOKUP_GRACE_SECONDS,
    )
    telnyx = TelnyxWebhooks(
        public_key=settings.TELNYX_PUBLIC_KEY.get_secret_value(),
        tolerance=timedelta(seconds=settings.TELNYX_TIMESTAMP_TOLERANCE_SECONDS),
        recorder=recorder,
        commands=TelnyxCommands(
            api_base=settings.TELNYX_API_BASE,
            api_key=settings.TELNYX_API_KEY.get_secret_value(),
            timeout_seconds=settings.TELNYX_COMMAND_TIMEOUT_SECONDS,
        ),
    )
    zadarma = ZadarmaWebhooks(
        secret=settings.ZADARMA_SECRET.get_secret_value(),
        timezone=settings.ZADARMA_TIMEZONE,
        forward_extension=settings.ZADARMA_FORWARD_EXTENSION,
        recorder=recorder,
    )
    generic = GenericWebhooks(
        secret=settings.GENERIC_WEBHOOK_SECRET.get_secret_value(),
        tolerance=timedelta(seconds=settings.GENERIC_WEBHOOK_TOLERANCE_SECONDS),
        recorder=recorder,
    )

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        follower.start()
        try:
            yield
        finally:
            follower.stop()
            producer.close()

    app = create_service_app(
        title="ctrack call-ingest",
        description="Telephony provider webhooks: signature checks, call routing answers, the calls topic.",
        readiness=lambda: {"kafka": producer.reachable(), "config": follower.caught_up.is_set()},
        lifespan=lifespan,
    )
    for adapter in (twilio, telnyx, zadarma, generic):
        app.include_router(adapter.router())
    return app


def main() -> None:
    settings = Settings()
    serve(build_app(settings), settings)
