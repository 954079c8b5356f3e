"""The calling tenant's tracking-number inventory: add to a site's pool, as one of its special numbers or as
a static channel number; list; retire."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, status
from pydantic import BaseModel, Field

from ctrack_common.events import NumberConfigured, NumberRole
from number_allocator.entrypoints.dependencies import InventoryDep, TenantId
from number_allocator.entrypoints.fields import PhoneNumber
from number_allocator.entrypoints.pagination import Cursor, Limit, Page, page
from number_allocator.errors import InvalidInput

__all__ = ["router"]

router = APIRouter(prefix="/v1/numbers", tags=["numbers"])


class NumberIn(BaseModel):
    number: PhoneNumber
    provider: Literal["twilio"]
    role: NumberRole = Field(
        description="`pool`: leased to visitors; `default`: shown when no pool number is; "
        "`default-before-display`: shown until a pool number is (delayed display); `default-after-reclaim`: "
        "shown after an idle lease was taken back; `overflow`: shown when the pool is exhausted; `static`: one "
        "channel's number, shown to visits a static rule matches or published offline (print, radio, outdoor)."
    )
    site_id: str | None = Field(
        default=None, min_length=1, max_length=100, description="Required except for static numbers."
    )
    label: str | None = Field(default=None, max_length=200)
    channel: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        description="What a static number tracks ('print', 'radio', 'google-ads'...); required for static.",
    )


class NumberOut(BaseModel):
    number: str
    provider: str
    role: NumberRole
    site_id: str | None
    pool_id: str | None
    label: str | None
    channel: str | None = Field(default=None, description="The channel of a static number.")
    active: bool
    available_from: datetime | None = Field(
        default=None, description="End of quarantine after a move from another site or pool."
    )

    @classmethod
    def of(cls, event: NumberConfigured) -> NumberOut:
        p = event.payload
        return cls(
            number=p.number,
            provider=p.provider,
            role=p.role,
            site_id=event.site_id,
            pool_id=p.pool_id,
            label=p.label,
            channel=p.channel,
            active=p.active,
            available_from=p.available_from,
        )


@router.post(
    "", status_code=status.HTTP_201_CREATED, summary="Add a number to a site (pool, default...) or as static"
)
def add_number(body: NumberIn, tenant_id: TenantId, inventory: InventoryDep) -> NumberOut:
    if body.role is NumberRole.STATIC:
        if body.channel is None:
            raise InvalidInput("a static number needs its channel", "channel")
        static = inventory.add_static_number(
            tenant_id,
            number=body.number,
            provider=body.provider,
            channel=body.channel,
            site_id=body.site_id,
            label=body.label,
        )
        return NumberOut.of(static)
    if body.channel is not None:
        raise InvalidInput("only static numbers have a channel", "channel")
    if body.site_id is None:
        raise InvalidInput(f"a {body.role} number needs the site it serves", "site_id")
    added = inventory.add_number(
        tenant_id,
        number=body.number,
        provider=body.provider,
        role=body.role,
        site_id=body.site_id,
        label=body.label,
    )
    return NumberOut.of(added)


@router.get("", summary="The tenant's numbers (retired ones included, `active` false), by number")
def list_numbers(
    tenant_id: TenantId, inventory: InventoryDep, limit: Limit = 100, cursor: Cursor = None
) -> Page[NumberOut]:
    items, next_cursor = page(inventory.numbers(tenant_id), lambda n: n.payload.number, limit, cursor)
    return Page(items=[NumberOut.of(n) for n in items], next_cursor=next_cursor)


@router.delete("/{number}", summary="Retire a number: it is no longer leased or shown")
def retire_number(number: str, tenant_id: TenantId, inventory: InventoryDep) -> NumberOut:
    return NumberOut.of(inventory.retire_number(tenant_id, number))
