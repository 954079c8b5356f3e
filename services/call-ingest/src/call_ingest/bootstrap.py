"""Wiring: settings -> config read model, producer, Twilio webhooks -> the FastAPI app."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from call_ingest.adapters.calls_publisher import CallsPublisher
from call_ingest.config import Settings
from call_ingest.entrypoints.twilio_webhooks import TwilioWebhooks
from ctrack_common.config_view import ConfigView
from ctrack_common.messaging import EventProducer, LogFollower
from ctrack_common.runner import serve
from ctrack_common.topics import CONFIG_NUMBERS, CONFIG_POOLS, CONFIG_SITES
from ctrack_common.web import create_service_app

__all__ = ["build_app", "main"]

# Routing needs numbers, the sites they forward to and the pools linking the two.
CONFIG_TOPICS = (CONFIG_NUMBERS, CONFIG_SITES, CONFIG_POOLS)


def build_app(settings: Settings) -> FastAPI:
    config = ConfigView()
    follower = LogFollower(settings.KAFKA_BOOTSTRAP_SERVERS, CONFIG_TOPICS, config.apply)
    producer = EventProducer(settings.KAFKA_BOOTSTRAP_SERVERS, client_id=settings.SERVICE_NAME)
    twilio = TwilioWebhooks(
        auth_token=settings.TWILIO_AUTH_TOKEN.get_secret_value(),
        public_base_url=settings.PUBLIC_BASE_URL,
        config=config,
        publisher=CallsPublisher(producer, settings.PUBLISH_TIMEOUT_SECONDS),
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
    app.include_router(twilio.router())
    return app


def main() -> None:
    settings = Settings()
    serve(build_app(settings), settings)
