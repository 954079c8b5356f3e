"""GET /v1/reports/calls-by-source: calls per source/medium/campaign for the caller's tenant."""

# No `from __future__ import annotations`: FastAPI must resolve the local `tenant` dependency alias.
from datetime import UTC, date, datetime, time, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from attribution.adapters.clickhouse import TRANSIENT_ERRORS
from attribution.adapters.clickhouse_reports import Reports, SourceStats
from ctrack_common.web import TenantAuth, json_error

__all__ = ["CallsBySourceReport", "reports_router"]


class SourceRow(BaseModel):
    source: str | None
    medium: str | None
    campaign: str | None
    calls: int
    unique_callers: int
    answered: int
    first_time_callers: int
    avg_duration_seconds: float | None = Field(description="Over calls with a known duration; null if none.")


class Totals(BaseModel):
    calls: int
    unique_callers: int
    answered: int
    first_time_callers: int
    avg_duration_seconds: float | None


class CallsBySourceReport(BaseModel):
    from_: date = Field(alias="from", serialization_alias="from")
    to: date
    site_id: str | None
    rows: list[SourceRow]
    totals: Totals


def _invalid(field: str, message: str) -> JSONResponse:
    return json_error(
        422,
        f"invalid request: {field}: {message}",
        problems=[{"field": field, "message": message, "type": "value_error"}],
    )


def _totals(stats: SourceStats) -> Totals:
    return Totals(
        calls=stats.calls,
        unique_callers=stats.unique_callers,
        answered=stats.answered,
        first_time_callers=stats.first_time_callers,
        avg_duration_seconds=stats.avg_duration_seconds,
    )


def reports_router(reports: Reports, auth: TenantAuth, max_days: int) -> APIRouter:
    router = APIRouter(prefix="/v1/reports", tags=["reports"])
    tenant = Annotated[str, Depends(auth)]

    @router.get(
        "/calls-by-source",
        summary="Calls per source, medium and campaign (latest version of each call, UTC days, inclusive)",
        response_model=CallsBySourceReport,
        response_model_by_alias=True,
    )
    def calls_by_source(
        tenant_id: tenant,
        from_: Annotated[date, Query(alias="from", description="First day (UTC), YYYY-MM-DD")],
        to: Annotated[date, Query(description="Last day (UTC), YYYY-MM-DD, inclusive")],
        site_id: Annotated[str | None, Query(min_length=1, max_length=200)] = None,
    ) -> Any:
        if to < from_:
            return _invalid("query.to", "must not be before 'from'")
        if (to - from_).days + 1 > max_days:
            return _invalid("query.to", f"the range may span at most {max_days} days")
        start = datetime.combine(from_, time.min, tzinfo=UTC)
        end = datetime.combine(to + timedelta(days=1), time.min, tzinfo=UTC)
        try:
            rows, totals = reports.calls_by_source(tenant_id, start, end, site_id)
        except TRANSIENT_ERRORS:
            return json_error(503, "the analytics store is unavailable; retry shortly")
        return CallsBySourceReport.model_validate(
            {
                "from": from_,
                "to": to,
                "site_id": site_id,
                "rows": [SourceRow.model_validate(r, from_attributes=True) for r in rows],
                "totals": _totals(totals),
            }
        )

    return router
