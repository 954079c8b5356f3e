"""Wiring: settings -> producer, site read model, lease board with its follower, WebSocket push hub,
routes, CORS, rate limits.

The lease follower starts at the end of `leases` (answers to visits published from now on, and the
changes to push, are all this process needs); readiness waits for it to be positioned and for the
sites to be read.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime

from fastapi import FastAPI, Request, Response
from fastapi.middleware.cors import CORSMiddleware

from ctrack_common.config_view import ConfigView
from ctrack_common.events import to_millis
from ctrack_common.logging import get_logger
from ctrack_common.messaging import EventProducer, LogFollower
from ctrack_common.runner import serve
from ctrack_common.topics import CONFIG_POOLS, CONFIG_SITES, LEASES
from ctrack_common.web import RateLimit, create_service_app, json_error
from session_tracker.adapters.addresses import AddressBook
from session_tracker.adapters.lease_board import LeaseBoard
from session_tracker.adapters.push import PushHub
from session_tracker.config import Settings
from session_tracker.domain import Caps
from session_tracker.entrypoints import script, visits, ws
from session_tracker.tracking import ForbiddenOrigin, Tracker, UnknownSite

__all__ = ["build_app", "main"]

log = get_logger(__name__)

DESCRIPTION = """Public API of the ctrack tracker script: report a page view and get the visitor's tracking
number; keep it with heartbeats; a WebSocket per tab pushes changes. Callable from the site's own domains
(preflights are answered for any origin), rate-limited per client address and per visitor."""


def _now() -> datetime:
    return to_millis(datetime.now(UTC))


def _tracker_script(settings: Settings) -> script.TrackerScript:
    path = settings.TRACKER_SCRIPT_PATH
    if not path.is_file():
        raise RuntimeError(
            f"TRACKER_SCRIPT_PATH {path} does not exist: build it with `npm ci && npm run build` in tracker-script/"
        )
    return script.TrackerScript(path.read_bytes(), settings.TRACKER_SCRIPT_MAX_AGE_SECONDS)


def build_app(settings: Settings) -> FastAPI:
    bootstrap = settings.KAFKA_BOOTSTRAP_SERVERS
    producer = EventProducer(bootstrap, client_id=settings.SERVICE_NAME)
    view = ConfigView()
    config = LogFollower(bootstrap, [CONFIG_SITES, CONFIG_POOLS], view.apply)
    board = LeaseBoard(lambda pool_id: pool.payload if (pool := view.pools.get(pool_id)) else None)
    hub = PushHub()
    board.subscribe(hub.deliver)
    leases = LogFollower(bootstrap, [LEASES], board.apply, from_end=True)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        config.start()
        leases.start()
        caught_up = await asyncio.to_thread(config.caught_up.wait, settings.READ_MODEL_CATCH_UP_SECONDS)
        if not caught_up:
            raise RuntimeError(f"config topics not read within {settings.READ_MODEL_CATCH_UP_SECONDS}s")
        log.info("session_tracker_started")
        try:
            yield
        finally:
            leases.stop()
            config.stop()
            producer.close()

    def readiness() -> dict[str, bool]:
        return {
            "kafka": producer.reachable(),
            "config_caught_up": config.caught_up.is_set() and config.running,
            "lease_follower_positioned": leases.caught_up.is_set() and leases.running,
        }

    app = create_service_app(
        title="ctrack session-tracker", description=DESCRIPTION, readiness=readiness, lifespan=lifespan
    )
    app.add_middleware(
        CORSMiddleware,
        allow_origins=["*"],
        allow_methods=["GET", "POST", "OPTIONS"],
        allow_headers=["content-type"],
    )
    app.state.tracker = Tracker(
        view,
        board,
        AddressBook(),
        producer,
        _now,
        number_wait=settings.NUMBER_WAIT_SECONDS,
        site_lookup_grace=settings.SITE_LOOKUP_GRACE_SECONDS,
        caps=Caps(settings.MAX_NUMBERED_VISITORS_PER_ADDRESS, settings.MAX_NUMBERED_VISITORS_PER_NETWORK),
        heartbeat_seconds=settings.HEARTBEAT_SECONDS,
    )
    app.state.push_hub = hub
    app.state.rate_limit = RateLimit(settings.RATE_LIMIT_PER_SECOND, settings.RATE_LIMIT_BURST)
    app.state.visitor_rate_limit = RateLimit(
        settings.VISITOR_RATE_LIMIT_PER_SECOND, settings.VISITOR_RATE_LIMIT_BURST
    )
    app.state.tracker_script = _tracker_script(settings)
    app.include_router(visits.router)
    app.include_router(ws.router)
    app.include_router(script.router)

    async def unknown_site(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, UnknownSite)
        return json_error(404, str(exc), field="site_key")

    async def forbidden_origin(_: Request, exc: Exception) -> Response:
        assert isinstance(exc, ForbiddenOrigin)
        return json_error(403, str(exc), field="origin")

    app.add_exception_handler(UnknownSite, unknown_site)
    app.add_exception_handler(ForbiddenOrigin, forbidden_origin)
    return app


def main() -> None:
    settings = Settings()
    serve(build_app(settings), settings)
