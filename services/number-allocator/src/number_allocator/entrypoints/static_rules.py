"""Static tracking rules of a site: which visits (utm source/medium/campaign, referrer host, landing path)
are shown which static channel number instead of a pool number.

Each change is a `StaticRuleConfigured` on the compacted `config-static-rules` topic (key
`site_id:rule_id`), durable before the API answers; deleting a rule publishes `active` false.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel, Field

from ctrack_common.events import StaticRuleConfigured, StaticRuleMatch
from number_allocator.entrypoints.dependencies import InventoryDep, TenantId
from number_allocator.entrypoints.fields import PhoneNumber
from number_allocator.entrypoints.pagination import Cursor, Limit, Page, page

__all__ = ["router"]

router = APIRouter(prefix="/v1/sites/{site_id}/static-rules", tags=["static tracking"])

RuleId = Annotated[
    str,
    Path(min_length=1, max_length=100, pattern=r"^[A-Za-z0-9._-]+$", description="Chosen by the caller."),
]
Text = Annotated[str | None, Field(default=None, min_length=1, max_length=200)]


class MatchIn(BaseModel):
    """Every field given must match (case-insensitive); at least one is required."""

    utm_source: Text = None
    utm_medium: Text = None
    utm_campaign: Text = None
    referrer_host: str | None = Field(
        default=None,
        min_length=1,
        max_length=253,
        pattern=r"^[A-Za-z0-9.-]+$",
        description="Matches this host and its subdomains.",
    )
    landing_path_prefix: str | None = Field(default=None, min_length=1, max_length=500, pattern=r"^/")


class RuleIn(BaseModel):
    number: PhoneNumber = Field(description="A static number of the tenant (role 'static').")
    match: MatchIn
    priority: int = Field(default=100, ge=0, le=1_000_000, description="Lower wins when several rules match.")


class RuleOut(BaseModel):
    rule_id: str
    site_id: str
    number: str
    match: StaticRuleMatch
    priority: int

    @classmethod
    def of(cls, event: StaticRuleConfigured) -> RuleOut:
        p = event.payload
        return cls(rule_id=p.rule_id, site_id=p.site_id, number=p.number, match=p.match, priority=p.priority)


@router.put("/{rule_id}", summary="Create or replace a static tracking rule")
def put_rule(
    site_id: str, rule_id: RuleId, body: RuleIn, tenant_id: TenantId, inventory: InventoryDep
) -> RuleOut:
    rule = inventory.put_static_rule(
        tenant_id,
        site_id,
        rule_id,
        number=body.number,
        match=StaticRuleMatch.model_validate(body.match.model_dump()),
        priority=body.priority,
    )
    return RuleOut.of(rule)


@router.get("", summary="The site's static tracking rules, by rule id")
def list_rules(
    site_id: str, tenant_id: TenantId, inventory: InventoryDep, limit: Limit = 100, cursor: Cursor = None
) -> Page[RuleOut]:
    rules = inventory.static_rules(tenant_id, site_id)
    items, next_cursor = page(rules, lambda r: r.payload.rule_id, limit, cursor)
    return Page(items=[RuleOut.of(r) for r in items], next_cursor=next_cursor)


@router.get("/{rule_id}", summary="One static tracking rule")
def get_rule(site_id: str, rule_id: RuleId, tenant_id: TenantId, inventory: InventoryDep) -> RuleOut:
    return RuleOut.of(inventory.static_rule(tenant_id, site_id, rule_id))


@router.delete("/{rule_id}", summary="Delete a static tracking rule (its visits go back to the pool)")
def delete_rule(site_id: str, rule_id: RuleId, tenant_id: TenantId, inventory: InventoryDep) -> RuleOut:
    return RuleOut.of(inventory.retire_static_rule(tenant_id, site_id, rule_id))
