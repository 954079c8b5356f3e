"""FastAPI dependencies as `Annotated` aliases: the inventory, the calling tenant, the platform admin.

The objects themselves are built once in `bootstrap` and kept on `app.state`.
"""

from __future__ import annotations

import hmac
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from number_allocator.inventory import Inventory

__all__ = ["AdminAuth", "AdminOnly", "InventoryDep", "TenantId"]


class AdminAuth:
    """Accepts only `Authorization: Bearer <ADMIN_API_KEY>` (compared in constant time)."""

    def __init__(self, admin_api_key: str) -> None:
        self._key = admin_api_key.encode()

    def __call__(self, request: Request) -> None:
        scheme, _, key = request.headers.get("authorization", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(key.strip().encode(), self._key):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="platform admin key required: send 'Authorization: Bearer <ADMIN_API_KEY>'",
                headers={"WWW-Authenticate": "Bearer"},
            )


def _inventory(request: Request) -> Inventory:
    inventory: Inventory = request.app.state.inventory
    return inventory


def _tenant(request: Request) -> str:
    tenant_id: str = request.app.state.tenant_auth(request)
    return tenant_id


def _admin(request: Request) -> None:
    request.app.state.admin_auth(request)


InventoryDep = Annotated[Inventory, Depends(_inventory)]
TenantId = Annotated[str, Depends(_tenant)]
AdminOnly = Depends(_admin)
