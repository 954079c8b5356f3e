"""Where a call to a tracking number goes, decided from configuration alone.

| number in inventory        | site resolvable | route                                   |
|----------------------------|-----------------|-----------------------------------------|
| no                         | -               | NotOurs: refuse, record nothing         |
| yes (active or retired)    | yes             | Forward to the site's business number   |
| yes (active or retired)    | no              | RecordAndReject: refuse, record the call |

A retired number still rings through: it may be printed on old ads, and losing a customer's call
hurts the tenant more than a stray record (attribution classifies it). A number nobody owns has
no tenant to file the call under, so nothing is recorded; a log line and a metric say so.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from ctrack_common.events import NumberConfigured, PoolConfigured, SiteConfigured

__all__ = [
    "CallOwner",
    "Forward",
    "NotOurs",
    "RecordAndReject",
    "Route",
    "owner_of",
    "route_call",
    "site_for",
]


@dataclass(frozen=True)
class CallOwner:
    """The tenant (and site, when known) a call is filed under."""

    tenant_id: str
    site_id: str | None


@dataclass(frozen=True)
class Forward:
    """Ring the site's business number and record the call."""

    owner: CallOwner
    business_number: str
    retired_number: bool


@dataclass(frozen=True)
class RecordAndReject:
    """The number belongs to a tenant but no site answers for it: record the call, refuse it."""

    owner: CallOwner
    reason: str


@dataclass(frozen=True)
class NotOurs:
    """The number is in nobody's inventory."""

    reason: str


Route = Forward | RecordAndReject | NotOurs


def site_for(
    number: NumberConfigured, sites: Mapping[str, SiteConfigured], pools: Mapping[str, PoolConfigured]
) -> SiteConfigured | None:
    """The site a number serves: named on the number, else the site of its pool (or of the pool it is default of)."""
    tenant = number.tenant_id
    if number.site_id is not None:
        named = sites.get(number.site_id)
        if named is not None and named.tenant_id == tenant:
            return named
    pool_id = number.payload.pool_id or next(
        (
            pool_id
            for pool_id, pool in sorted(pools.items())
            if pool.tenant_id == tenant and pool.payload.default_number == number.payload.number
        ),
        None,
    )
    if pool_id is None:
        return None
    return next(
        (
            site
            for _, site in sorted(sites.items())
            if site.tenant_id == tenant and site.payload.pool_id == pool_id
        ),
        None,
    )


def owner_of(
    number: NumberConfigured, sites: Mapping[str, SiteConfigured], pools: Mapping[str, PoolConfigured]
) -> CallOwner:
    site = site_for(number, sites, pools)
    return CallOwner(number.tenant_id, site.site_id if site is not None else number.site_id)


def route_call(
    number: NumberConfigured | None, sites: Mapping[str, SiteConfigured], pools: Mapping[str, PoolConfigured]
) -> Route:
    """Decide what to do with a call to `number` (its inventory record, retired ones included)."""
    if number is None:
        return NotOurs("number is not in any tenant's inventory")
    site = site_for(number, sites, pools)
    if site is None:
        return RecordAndReject(CallOwner(number.tenant_id, number.site_id), "no site uses this number's pool")
    return Forward(
        CallOwner(number.tenant_id, site.site_id), site.payload.business_number, not number.payload.active
    )
