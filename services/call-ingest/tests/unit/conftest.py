"""A small tenant's configuration, as the config topics would carry it."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
from fastapi import APIRouter, FastAPI

from call_ingest.domain.lifecycle import LifecycleEvent
from ctrack_common.config_view import ConfigView
from ctrack_common.events import (
    CallerBlockConfigured,
    CallerBlockConfiguredPayload,
    NumberConfigured,
    NumberConfiguredPayload,
    NumberRole,
    PoolConfigured,
    PoolConfiguredPayload,
    SiteConfigured,
    SiteConfiguredPayload,
    event_id_for,
)
from ctrack_common.web import create_service_app

T0 = datetime(2025, 6, 10, 12, 0, tzinfo=UTC)
TENANT = "tenant-a"
SITE = "site-a"
POOL = "pool-a"
BUSINESS = "+14155550000"
POOL_NUMBER = "+14155550101"
RETIRED_NUMBER = "+14155550102"
DEFAULT_NUMBER = "+14155550103"
ORPHAN_NUMBER = "+14155550104"
UNKNOWN_NUMBER = "+14155550199"
SPAMMER = "+14158675399"


def number(
    value: str, *, pool_id: str | None, role: NumberRole = NumberRole.POOL, active: bool = True
) -> NumberConfigured:
    return NumberConfigured(
        event_id=event_id_for("number", value),
        occurred_at=T0,
        recorded_at=T0,
        tenant_id=TENANT,
        payload=NumberConfiguredPayload(
            number=value, provider="twilio", role=role, pool_id=pool_id, active=active
        ),
    )


@dataclass(frozen=True)
class Sample:
    """The sample tenant's ids and numbers, for tests to name what they call."""

    tenant: str = TENANT
    site: str = SITE
    business: str = BUSINESS
    pool_number: str = POOL_NUMBER
    retired_number: str = RETIRED_NUMBER
    default_number: str = DEFAULT_NUMBER
    orphan_number: str = ORPHAN_NUMBER
    unknown_number: str = UNKNOWN_NUMBER
    spammer: str = SPAMMER


@pytest.fixture
def sample() -> Sample:
    return Sample()


@pytest.fixture
def config() -> ConfigView:
    """Site A forwards to BUSINESS; its pool holds POOL_NUMBER (and retired RETIRED_NUMBER), its
    default number is DEFAULT_NUMBER; ORPHAN_NUMBER's pool has no site."""
    view = ConfigView()
    view.apply(
        SiteConfigured(
            event_id=event_id_for("site", SITE),
            occurred_at=T0,
            recorded_at=T0,
            tenant_id=TENANT,
            site_id=SITE,
            payload=SiteConfiguredPayload(
                name="Site A", site_key="key-a", business_number=BUSINESS, pool_id=POOL
            ),
        )
    )
    view.apply(
        PoolConfigured(
            event_id=event_id_for("pool", POOL),
            occurred_at=T0,
            recorded_at=T0,
            tenant_id=TENANT,
            site_id=SITE,
            payload=PoolConfiguredPayload(pool_id=POOL, lease_seconds=60, default_number=DEFAULT_NUMBER),
        )
    )
    view.apply(number(POOL_NUMBER, pool_id=POOL))
    view.apply(number(RETIRED_NUMBER, pool_id=POOL, active=False))
    view.apply(number(DEFAULT_NUMBER, pool_id=None, role=NumberRole.DEFAULT))
    view.apply(number(ORPHAN_NUMBER, pool_id="pool-without-site"))
    return view


def caller_block(
    caller: str, *, tenant: str = TENANT, reason: str = "robocall", active: bool = True, at: datetime = T0
) -> CallerBlockConfigured:
    """A block list change as the admin API publishes it on config-block-list."""
    return CallerBlockConfigured(
        event_id=event_id_for("block", tenant, caller, at, active),
        occurred_at=at,
        recorded_at=at,
        tenant_id=tenant,
        payload=CallerBlockConfiguredPayload(caller_number=caller, reason=reason, active=active),
    )


@pytest.fixture
def blocked_config(config: ConfigView) -> ConfigView:
    """The sample configuration with SPAMMER on the tenant's block list (reason "robocall")."""
    config.apply(caller_block(SPAMMER))
    return config


@pytest.fixture
def block_event() -> Callable[..., CallerBlockConfigured]:
    return caller_block


@pytest.fixture
def set_recording(config: ConfigView) -> Callable[[bool], None]:
    """Switches the sample site's recording, the way the admin API publishes it (a new SiteConfigured)."""

    def switch(on: bool) -> None:
        site = config.sites[SITE]
        payload = site.payload.model_copy(update={"record_calls": on})
        config.apply(site.model_copy(update={"payload": payload}))

    return switch


class RecordedEvents(list[LifecycleEvent]):
    def publish(self, event: LifecycleEvent) -> None:
        self.append(event)


class Client:
    def __init__(self, router: APIRouter) -> None:
        self._app: FastAPI = create_service_app(title="call-ingest", description="test", readiness=dict)
        self._app.include_router(router)

    def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self._app)
            async with httpx.AsyncClient(transport=transport, base_url="http://internal:8103") as client:
                return await client.request(method, url, **kwargs)

        return asyncio.run(send())


@pytest.fixture
def events() -> RecordedEvents:
    """What the webhooks published (in place of the `calls` topic)."""
    return RecordedEvents()


@pytest.fixture
def client_for() -> Callable[[APIRouter], Client]:
    return Client
