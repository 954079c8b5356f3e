"""Sites of the calling tenant and the number pool each site gets when it is created."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from ctrack_common.events import PoolConfigured, SiteConfigured
from number_allocator.entrypoints.dependencies import InventoryDep, TenantId
from number_allocator.entrypoints.fields import PhoneNumber
from number_allocator.entrypoints.pagination import Cursor, Limit, Page, page

__all__ = ["router"]

router = APIRouter(prefix="/v1/sites", tags=["sites"])

Domain = Annotated[str, Field(min_length=1, max_length=253, pattern=r"^[A-Za-z0-9.-]+$")]


class SiteIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    business_number: PhoneNumber = Field(
        description="Where calls to the site's tracking numbers are forwarded."
    )
    domains: list[Domain] = Field(default_factory=list, max_length=50)


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


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a site and its number pool")
def create_site(body: SiteIn, tenant_id: TenantId, inventory: InventoryDep) -> SiteOut:
    domains = tuple(d.lower() for d in body.domains)
    site, pool = inventory.create_site(tenant_id, body.name, body.business_number, domains)
    return SiteOut.of(site, pool)


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
