"""Sites of the calling tenant, their call recording and display settings, and the number pool each
site gets when it is created.

`record_calls` switches recording of forwarded calls (call-ingest reads it from `SiteConfigured`);
`display` is how the tracker script shows numbers on the site's pages (session-tracker reads it).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request, status
from pydantic import BaseModel, Field

from ctrack_common.events import PoolConfigured, SiteConfigured, SiteConfiguredPayload, event_id_for
from number_allocator.adapters.config_store import ConfigStore
from number_allocator.entrypoints.dependencies import InventoryDep, TenantId
from number_allocator.entrypoints.fields import PhoneNumber
from number_allocator.entrypoints.pagination import Cursor, Limit, Page, page

__all__ = ["SiteSettings", "router"]

router = APIRouter(prefix="/v1/sites", tags=["sites"])

Domain = Annotated[str, Field(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9.-]+$")]


class DisplayIn(BaseModel):
    """How the tracker script shows numbers on the site's pages; every field has its default when left out."""

    numbers_to_replace: list[PhoneNumber] = Field(
        default_factory=list, max_length=20, description="The site's own numbers to find on its pages."
    )
    consent_required: bool = Field(default=False, description="Send nothing until the page gives consent.")
    anti_flicker_ms: int = Field(default=0, ge=0, le=3000, description="Hide numbers until swapped (0: off).")
    click_to_reveal: bool = Field(default=False, description="Mask the number until a click reveals it.")


class DisplayOut(BaseModel):
    numbers_to_replace: list[str]
    consent_required: bool
    anti_flicker_ms: int
    click_to_reveal: bool


class SiteIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    business_number: PhoneNumber = Field(
        description="Where calls to the site's tracking numbers are forwarded."
    )
    domains: list[Domain] = Field(default_factory=list, max_length=50)
    record_calls: bool = Field(default=False, description="Record the calls forwarded to the business.")
    display: DisplayIn = Field(default_factory=DisplayIn)


class SiteChanges(BaseModel):
    """Only the fields sent change; `display` is replaced as a whole (its left-out fields take defaults)."""

    name: str | None = Field(default=None, min_length=1, max_length=200)
    business_number: PhoneNumber | None = None
    domains: list[Domain] | None = Field(default=None, max_length=50)
    record_calls: bool | None = None
    display: DisplayIn | None = None


class PoolOut(BaseModel):
    """The pool's settings; a timer the pool leaves unset (null) follows the service default."""

    pool_id: str
    lease_seconds: int
    default_number: str | None
    hold_seconds: int | None
    quarantine_seconds: int | None
    display_delay_seconds: int | None
    idle_reclaim_seconds: int | None
    default_before_display_number: str | None
    default_after_reclaim_number: str | None
    overflow_number: str | None

    @classmethod
    def of(cls, pool: PoolConfigured) -> PoolOut:
        p = pool.payload
        return cls(
            pool_id=p.pool_id,
            lease_seconds=p.lease_seconds,
            default_number=p.default_number,
            hold_seconds=p.hold_seconds,
            quarantine_seconds=p.quarantine_seconds,
            display_delay_seconds=p.display_delay_seconds,
            idle_reclaim_seconds=p.idle_reclaim_seconds,
            default_before_display_number=p.default_before_display_number,
            default_after_reclaim_number=p.default_after_reclaim_number,
            overflow_number=p.overflow_number,
        )


class SiteOut(BaseModel):
    site_id: str
    name: str
    site_key: str = Field(description="Public key the tracker script sends; not a secret.")
    business_number: str
    domains: list[str]
    record_calls: bool
    display: DisplayOut
    pool_id: str
    pool: PoolOut

    @classmethod
    def of(cls, site: SiteConfigured, pool: PoolConfigured) -> SiteOut:
        return cls(
            site_id=str(site.site_id),
            name=site.payload.name,
            site_key=site.payload.site_key,
            business_number=site.payload.business_number,
            domains=list(site.payload.domains),
            record_calls=site.payload.record_calls,
            display=DisplayOut.model_validate(site.payload.display.model_dump()),
            pool_id=site.payload.pool_id,
            pool=PoolOut.of(pool),
        )


WEEK = 7 * 24 * 3600
TIMERS = (
    "lease_seconds",
    "hold_seconds",
    "quarantine_seconds",
    "display_delay_seconds",
    "idle_reclaim_seconds",
)


class PoolChanges(BaseModel):
    """Only the fields sent change; a number field sent as null removes that number; every timer is in
    seconds (null leaves it unchanged)."""

    lease_seconds: int | None = Field(default=None, gt=0, le=WEEK)
    hold_seconds: int | None = Field(default=None, ge=0, le=WEEK, description="Hold after a lease ends.")
    quarantine_seconds: int | None = Field(
        default=None, ge=0, le=90 * 24 * 3600, description="Quarantine of a number moved into the pool."
    )
    display_delay_seconds: int | None = Field(
        default=None, ge=0, le=3600, description="Time on site before a pool number is shown."
    )
    idle_reclaim_seconds: int | None = Field(
        default=None, gt=0, le=WEEK, description="Inactivity after which a lease is taken back."
    )
    default_number: PhoneNumber | None = None
    default_before_display_number: PhoneNumber | None = None
    default_after_reclaim_number: PhoneNumber | None = None
    overflow_number: PhoneNumber | None = None


class SiteSettings:
    """Changes a site's own settings: the new `SiteConfigured` is durable before it returns."""

    def __init__(self, store: ConfigStore, clock: Callable[[], datetime]) -> None:
        self._store = store
        self._clock = clock

    def change(self, site: SiteConfigured, changes: dict[str, Any]) -> SiteConfigured:
        with self._store.writing():
            current = self._store.view.sites.get(str(site.site_id), site)
            payload = SiteConfiguredPayload.model_validate({**current.payload.model_dump(), **changes})
            if payload == current.payload:
                return current
            # Later than the version it replaces, even within one millisecond of it.
            now = max(self._clock(), current.occurred_at + timedelta(milliseconds=1))
            event = SiteConfigured(
                event_id=event_id_for(
                    SiteConfigured.__name__, current.site_id, now, payload.model_dump_json()
                ),
                occurred_at=now,
                recorded_at=now,
                tenant_id=current.tenant_id,
                site_id=current.site_id,
                payload=payload,
            )
            self._store.publish([event])
            return event


def _site_settings(request: Request) -> SiteSettings:
    settings: SiteSettings = request.app.state.site_settings
    return settings


SiteSettingsDep = Annotated[SiteSettings, Depends(_site_settings)]


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a site and its number pool")
def create_site(
    body: SiteIn, tenant_id: TenantId, inventory: InventoryDep, settings: SiteSettingsDep
) -> SiteOut:
    domains = tuple(d.lower() for d in body.domains)
    site, pool = inventory.create_site(tenant_id, body.name, body.business_number, domains)
    site = settings.change(site, body.model_dump(include={"record_calls", "display"}))
    return SiteOut.of(site, pool)


@router.patch("/{site_id}", summary="Change a site's name, business number, domains, recording or display")
def configure_site(
    site_id: str, body: SiteChanges, tenant_id: TenantId, inventory: InventoryDep, settings: SiteSettingsDep
) -> SiteOut:
    changes = {
        name: value for name, value in body.model_dump(exclude_unset=True).items() if value is not None
    }
    if "domains" in changes:
        changes["domains"] = tuple(d.lower() for d in changes["domains"])
    site = settings.change(inventory.site(tenant_id, site_id), changes)
    return SiteOut.of(site, inventory.pool_of(site))


@router.get("", summary="The tenant's sites, by site id")
def list_sites(
    tenant_id: TenantId, inventory: InventoryDep, limit: Limit = 100, cursor: Cursor = None
) -> Page[SiteOut]:
    items, next_cursor = page(inventory.sites(tenant_id), lambda s: str(s.site_id), limit, cursor)
    return Page(items=[SiteOut.of(s, inventory.pool_of(s)) for s in items], next_cursor=next_cursor)


@router.get("/{site_id}", summary="One site with its pool")
def get_site(site_id: str, tenant_id: TenantId, inventory: InventoryDep) -> SiteOut:
    site = inventory.site(tenant_id, site_id)
    return SiteOut.of(site, inventory.pool_of(site))


@router.patch("/{site_id}/pool", summary="Change the pool's timers, default numbers or overflow number")
def configure_pool(site_id: str, body: PoolChanges, tenant_id: TenantId, inventory: InventoryDep) -> PoolOut:
    changes = body.model_dump(exclude_unset=True)
    for timer in TIMERS:
        if timer in changes and changes[timer] is None:
            del changes[timer]  # null means "unchanged": a pool always has its timers
    return PoolOut.of(inventory.configure_pool(tenant_id, site_id, changes))
