"""Wiring: settings -> producer, config read model, pool states, visits consumer, expiry ticker, routers.

Start-up order matters: the config read model must be caught up before visits are consumed (a
visit for a pool not yet known would be dead-lettered), and each assigned partition's pool states
are rebuilt from `leases` before its first visit is handled (the consumer's `on_assign`).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from confluent_kafka import TopicPartition
from fastapi import FastAPI, Request, Response

from ctrack_common.config_view import ConfigView
from ctrack_common.events import to_millis
from ctrack_common.logging import get_logger
from ctrack_common.messaging import EventConsumer, EventProducer, LogFollower
from ctrack_common.runner import serve
from ctrack_common.topics import (
    CONFIG_BLOCK_LIST,
    CONFIG_NUMBERS,
    CONFIG_POOLS,
    CONFIG_SITES,
    CONFIG_STATIC_RULES,
    CONFIG_TENANTS,
    VISITS,
)
from ctrack_common.web import TenantAuth, create_service_app, json_error
from number_allocator.adapters.config_store import ConfigStore
from number_allocator.adapters.expiry_ticker import Ticker
from number_allocator.adapters.pool_policies import PolicyDefaults
from number_allocator.adapters.pool_states import PoolStates
from number_allocator.config import Settings
from number_allocator.entrypoints import numbers, sites, static_rules, tenants
from number_allocator.entrypoints.block_list import BlockList
from number_allocator.entrypoints.block_list import router as block_list_router
from number_allocator.entrypoints.dependencies import AdminAuth
from number_allocator.entrypoints.sites import SiteSettings
from number_allocator.entrypoints.visits import Allocator
from number_allocator.errors import AllocatorError
from number_allocator.inventory import Inventory

__all__ = ["build_app", "main"]

log = get_logger(__name__)

DESCRIPTION = """Admin API of ctrack: tenants and API keys (platform admin), sites, number pools and the
tracking-number inventory (tenant API key). Also leases pool numbers to visitors from the `visits`
topic. Every change is durable on the config topics before the API answers."""


def _now() -> datetime:
    return to_millis(datetime.now(UTC))


def build_app(settings: Settings) -> FastAPI:
    bootstrap = settings.KAFKA_BOOTSTRAP_SERVERS
    producer = EventProducer(bootstrap, client_id=settings.SERVICE_NAME)
    view = ConfigView()
    store = ConfigStore(view, producer)
    follower = LogFollower(
        bootstrap,
        [CONFIG_TENANTS, CONFIG_SITES, CONFIG_POOLS, CONFIG_NUMBERS, CONFIG_BLOCK_LIST, CONFIG_STATIC_RULES],
        store.apply_from_log,
    )
    states = PoolStates(bootstrap)
    defaults = PolicyDefaults(
        hold_seconds=settings.DEFAULT_HOLD_SECONDS,
        display_delay_seconds=settings.DEFAULT_DISPLAY_DELAY_SECONDS,
        idle_reclaim_seconds=settings.DEFAULT_IDLE_RECLAIM_SECONDS,
    )
    allocator = Allocator(states, view, producer, _now, defaults, static_rules=store)

    def assigned(partitions: list[TopicPartition]) -> None:
        states.rebuild(tp.partition for tp in partitions)

    def revoked(partitions: list[TopicPartition]) -> None:
        states.drop(tp.partition for tp in partitions)

    consumer = EventConsumer(
        bootstrap_servers=bootstrap,
        group_id=settings.ALLOCATOR_GROUP_ID,
        topics=[VISITS],
        handle=allocator.handle,
        dead_letters=producer,
        on_assign=assigned,
        on_revoke=revoked,
    )
    ticker = Ticker(settings.EXPIRY_SWEEP_SECONDS, allocator.sweep, name="lease-timers")

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        follower.start()
        caught_up = await asyncio.to_thread(follower.caught_up.wait, settings.READ_MODEL_CATCH_UP_SECONDS)
        if not caught_up:
            follower.stop()
            raise RuntimeError(f"config topics not read within {settings.READ_MODEL_CATCH_UP_SECONDS}s")
        consumer.start()
        ticker.start()
        log.info("number_allocator_started", group=settings.ALLOCATOR_GROUP_ID)
        try:
            yield
        finally:
            ticker.stop()
            consumer.stop()
            follower.stop()
            producer.close()

    def readiness() -> dict[str, bool]:
        return {
            "kafka": producer.reachable(),
            "config_caught_up": follower.caught_up.is_set() and follower.running,
            "visits_consumer": consumer.running,
        }

    app = create_service_app(
        title="ctrack number-allocator", description=DESCRIPTION, readiness=readiness, lifespan=lifespan
    )
    app.state.inventory = Inventory(
        store,
        settings.DEFAULT_LEASE_SECONDS,
        _now,
        pool_defaults=defaults,
        quarantine_seconds=settings.DEFAULT_QUARANTINE_SECONDS,
    )
    app.state.tenant_auth = TenantAuth(view)
    app.state.admin_auth = AdminAuth(settings.ADMIN_API_KEY)
    app.state.block_list = BlockList(view, producer, _now)
    app.state.site_settings = SiteSettings(store, _now)
    app.include_router(block_list_router)
    for router in (tenants.router, sites.router, numbers.router, static_rules.router):
        app.include_router(router)

    async def allocator_error(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, AllocatorError)
        return json_error(exc.status, exc.message, field=exc.field)

    app.add_exception_handler(AllocatorError, allocator_error)
    return app


def main() -> None:
    settings = Settings()
    serve(build_app(settings), settings)
