"""GET /v1/calls/{call_id}: the latest attributed version of one of the tenant's calls."""

# No `from __future__ import annotations`: FastAPI must resolve the local `tenant` dependency alias.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path

from attribution.adapters.clickhouse import TRANSIENT_ERRORS
from attribution.adapters.clickhouse_reports import Reports
from ctrack_common.web import TenantAuth, json_error

__all__ = ["calls_router"]


def calls_router(reports: Reports, auth: TenantAuth) -> APIRouter:
    router = APIRouter(prefix="/v1/calls", tags=["calls"])
    tenant = Annotated[str, Depends(auth)]

    @router.get(
        "/{call_id}",
        summary="The latest CallAttributed event of a call, as published on attributed-calls",
        responses={404: {"description": "No such call for this tenant"}},
    )
    def get_call(tenant_id: tenant, call_id: Annotated[str, Path(min_length=1, max_length=300)]) -> Any:
        try:
            event = reports.latest_call(tenant_id, call_id)
        except TRANSIENT_ERRORS:
            return json_error(503, "the analytics store is unavailable; retry shortly")
        if event is None:
            # Another tenant's call is indistinguishable from a missing one: no existence leak.
            return json_error(404, f"no call {call_id!r} for this tenant")
        return event

    return router
