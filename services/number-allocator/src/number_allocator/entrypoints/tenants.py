"""Tenants and their API keys (platform admin only). A key's secret is returned once, never stored."""

from __future__ import annotations

from fastapi import APIRouter, Response, status
from pydantic import BaseModel, Field

from number_allocator.entrypoints.dependencies import AdminOnly, InventoryDep

__all__ = ["router"]

router = APIRouter(prefix="/v1/tenants", tags=["tenants"], dependencies=[AdminOnly])


class TenantIn(BaseModel):
    name: str = Field(min_length=1, max_length=200)


class TenantCreated(BaseModel):
    tenant_id: str
    name: str
    api_key: str = Field(description="Shown once: only its SHA-256 digest is kept.")
    key_id: str = Field(description="Public handle of the key, to revoke it.")


class ApiKeyCreated(BaseModel):
    tenant_id: str
    api_key: str = Field(description="Shown once: only its SHA-256 digest is kept.")
    key_id: str


@router.post("", status_code=status.HTTP_201_CREATED, summary="Create a tenant with its first API key")
def create_tenant(body: TenantIn, inventory: InventoryDep) -> TenantCreated:
    tenant, key = inventory.create_tenant(body.name)
    return TenantCreated(tenant_id=tenant.tenant_id, name=body.name, api_key=key.secret, key_id=key.key_id)


@router.post(
    "/{tenant_id}/api-keys", status_code=status.HTTP_201_CREATED, summary="Add an API key (rotation)"
)
def add_api_key(tenant_id: str, inventory: InventoryDep) -> ApiKeyCreated:
    key = inventory.add_api_key(tenant_id)
    return ApiKeyCreated(tenant_id=tenant_id, api_key=key.secret, key_id=key.key_id)


@router.delete(
    "/{tenant_id}/api-keys/{key_id}", status_code=status.HTTP_204_NO_CONTENT, summary="Revoke an API key"
)
def revoke_api_key(tenant_id: str, key_id: str, inventory: InventoryDep) -> Response:
    inventory.revoke_api_key(tenant_id, key_id)
    return Response(status_code=status.HTTP_204_NO_CONTENT)
