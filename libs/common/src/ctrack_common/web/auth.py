"""Per-tenant API keys: every REST call names its tenant by `Authorization: Bearer <key>`."""

from __future__ import annotations

from fastapi import HTTPException, Request, status

from ctrack_common.config_view import ConfigView

__all__ = ["TenantAuth"]


class TenantAuth:
    """A FastAPI dependency resolving the caller's tenant id from its API key."""

    def __init__(self, config: ConfigView) -> None:
        self._config = config

    def __call__(self, request: Request) -> str:
        header = request.headers.get("authorization", "")
        scheme, _, key = header.partition(" ")
        if scheme.lower() != "bearer" or not key:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="missing API key: send 'Authorization: Bearer <tenant API key>'",
                headers={"WWW-Authenticate": "Bearer"},
            )
        tenant_id = self._config.tenant_for_api_key(key.strip())
        if tenant_id is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                detail="unknown or revoked API key",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return tenant_id
