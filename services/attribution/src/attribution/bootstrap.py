"""Wiring: settings -> adapters, consumers, the faust join and routers -> the FastAPI app.

One process: uvicorn serves the API on the main thread; the re-key, the
ClickHouse projection and the config view are confluent-kafka consumers in
threads; the join is a faust worker in its own thread and event loop.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from attribution.adapters.clickhouse import ClickHouse
from attribution.adapters.clickhouse_reports import Reports
from attribution.adapters.clickhouse_schema import migrate
from attribution.adapters.clickhouse_sink import ClickHouseSink
from attribution.adapters.faust_worker import FaustThread
from attribution.adapters.kafka_topics import ensure_internal_topics
from attribution.config import Settings
from attribution.entrypoints.calls import calls_router
from attribution.entrypoints.join import build_join_app, changelog_topics
from attribution.entrypoints.projection import ProjectionHandler
from attribution.entrypoints.rekey import LeaseRekeyer
from attribution.entrypoints.reports import reports_router
from ctrack_common.config_view import ConfigView
from ctrack_common.logging import get_logger
from ctrack_common.messaging import EventConsumer, EventProducer, LogFollower
from ctrack_common.runner import serve
from ctrack_common.topics import (
    ATTRIBUTED_CALLS,
    CALLS,
    CONFIG_NUMBERS,
    CONFIG_TENANTS,
    LEASES,
    VISITS,
)
from ctrack_common.web import TenantAuth, create_service_app

__all__ = ["build_app", "main"]

log = get_logger(__name__)


def _apply_migrations(settings: Settings) -> None:
    # Patient here: at start-up ClickHouse may still be coming up.
    clickhouse = ClickHouse(settings, retry_seconds=settings.CLICKHOUSE_STARTUP_SECONDS)
    try:
        applied = migrate(clickhouse)
        log.info("clickhouse_migrated", database=clickhouse.database, applied=applied)
    finally:
        clickhouse.close()


def build_app(settings: Settings) -> FastAPI:
    bootstrap = settings.KAFKA_BOOTSTRAP_SERVERS
    config = ConfigView()
    follower = LogFollower(bootstrap, [CONFIG_TENANTS, CONFIG_NUMBERS], config.apply)
    producer = EventProducer(bootstrap, client_id=settings.SERVICE_NAME)
    sink_clickhouse = ClickHouse(settings)
    api_clickhouse = ClickHouse(settings, retry_seconds=2.0)  # a request should fail fast, not hang
    probe_clickhouse = ClickHouse(settings, retry_seconds=0.0)

    rekey_consumer = EventConsumer(
        bootstrap_servers=bootstrap,
        group_id=settings.group("rekey"),
        topics=[LEASES],
        handle=LeaseRekeyer(producer).handle,
        dead_letters=producer,
    )
    projection_consumer = EventConsumer(
        bootstrap_servers=bootstrap,
        group_id=settings.group("clickhouse"),
        topics=[VISITS, LEASES, CALLS, ATTRIBUTED_CALLS],
        handle=ProjectionHandler(ClickHouseSink(sink_clickhouse)).handle,
        dead_letters=producer,
    )
    consumers = (rekey_consumer, projection_consumer)
    join: list[FaustThread] = []  # built at start-up, once the partition count of `calls` is known

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        partitions = await asyncio.to_thread(ensure_internal_topics, bootstrap, changelog_topics(settings))
        await asyncio.to_thread(_apply_migrations, settings)
        follower.start()
        # Number roles come from the config view: let it catch up before the first call is joined.
        await asyncio.to_thread(follower.caught_up.wait, settings.READ_MODEL_CATCH_UP_SECONDS)
        for consumer in consumers:
            consumer.start()
        join.append(FaustThread(lambda: build_join_app(settings, config, producer, partitions), name="join"))
        await asyncio.to_thread(join[0].start)
        try:
            yield
        finally:
            for worker in join:
                await asyncio.to_thread(worker.stop)
            for consumer in consumers:
                consumer.stop()
            follower.stop()
            producer.close()
            for clickhouse in (sink_clickhouse, api_clickhouse, probe_clickhouse):
                clickhouse.close()

    def readiness() -> dict[str, bool]:
        return {
            "kafka": producer.reachable(),
            "clickhouse": probe_clickhouse.ping(),
            "config_view": follower.caught_up.is_set(),
            "consumers": all(c.running for c in consumers),
            "join": bool(join) and join[0].recovered,
        }

    app = create_service_app(
        title="ctrack attribution",
        description="Calls joined to the sessions that held their numbers; reports over ClickHouse.",
        readiness=readiness,
        lifespan=lifespan,
    )
    auth = TenantAuth(config)
    reports = Reports(api_clickhouse)
    app.include_router(reports_router(reports, auth, settings.REPORT_MAX_DAYS))
    app.include_router(calls_router(reports, auth))
    return app


def main() -> None:
    settings = Settings()
    serve(build_app(settings), settings)
