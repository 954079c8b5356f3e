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
    pool_id: str
    lease_seconds: int
    default_number: str | None

    @classmethod
    def of(cls, pool: PoolConfigured) -> PoolOut:
        return cls(
            pool_id=pool.payload.pool_id,
            lease_seconds=pool.payload.lease_seconds,
            default_number=pool.payload.default_number,
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


class PoolChanges(BaseModel):
    """Only the fields sent change; `default_number: null` removes the default number."""

    lease_seconds: int | None = Field(default=None, gt=0, le=7 * 24 * 3600)
    default_number: PhoneNumber | None = None


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


@router.patch("/{site_id}/pool", summary="Change the pool's lease length or default number")
def configure_pool(site_id: str, body: PoolChanges, tenant_id: TenantId, inventory: InventoryDep) -> PoolOut:
    changes = body.model_dump(exclude_unset=True)
    if changes.get("lease_seconds", 0) is None:
        del changes["lease_seconds"]  # null means "unchanged": a pool always has a lease length
    return PoolOut.of(inventory.configure_pool(tenant_id, site_id, changes))
