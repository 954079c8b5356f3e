"""Public endpoints for the tracker script: POST /v1/visits, /v1/heartbeat and /v1/leave (rate-limited per client)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from urllib.parse import urlsplit

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import AfterValidator, BaseModel, Field, ValidationError

from session_tracker.domain import PageView
from session_tracker.tracking import NumberShown, Tracker

__all__ = ["router"]


def _tracker(request: Request) -> Tracker:
    tracker: Tracker = request.app.state.tracker
    return tracker


def _rate_limited(request: Request) -> None:
    request.app.state.rate_limit(request)


TrackerDep = Annotated[Tracker, Depends(_tracker)]
router = APIRouter(prefix="/v1", tags=["tracking"], dependencies=[Depends(_rate_limited)])


def _web_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an absolute http(s) URL")
    return value


Identifier = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")]
WebUrl = Annotated[str, Field(max_length=4096), AfterValidator(_web_url)]


class VisitIn(BaseModel):
    site_key: str = Field(min_length=1, max_length=100)
    visitor_id: Identifier
    visit_id: Identifier | None = Field(default=None, description="New per page view; generated when absent.")
    url: WebUrl
    referrer: str | None = Field(default=None, max_length=4096)
    user_agent: str | None = Field(default=None, max_length=1024)
    ga_client_id: str | None = Field(default=None, max_length=128)


class HeartbeatIn(BaseModel):
    site_key: str = Field(min_length=1, max_length=100)
    visitor_id: Identifier
    visit_id: Identifier


class NumberOut(BaseModel):
    visit_id: str
    status: Literal["granted", "renewed", "default", "pending", "accepted"]
    number: str | None
    lease_id: str | None = None
    expires_at: datetime | None = None
    business_number: str | None = Field(
        default=None, description="The site's number the script replaces with `number` (E.164)."
    )

    @classmethod
    def of(cls, shown: NumberShown) -> NumberOut:
        return cls.model_validate(shown, from_attributes=True)


@router.post(
    "/visits",
    summary="A page view: returns the visitor's number (200), or 202 with the default number while pending",
    responses={202: {"model": NumberOut, "description": "No answer within the bounded wait: status pending"}},
)
async def post_visit(body: VisitIn, response: Response, tracker: TrackerDep) -> NumberOut:
    site = await tracker.site(body.site_key)
    page = PageView(
        url=body.url, referrer=body.referrer, user_agent=body.user_agent, ga_client_id=body.ga_client_id
    )
    shown = await tracker.start_visit(site, body.visitor_id, body.visit_id, page)
    if shown.status == "pending":
        response.status_code = status.HTTP_202_ACCEPTED
    return NumberOut.of(shown)


@router.post(
    "/heartbeat", status_code=status.HTTP_202_ACCEPTED, summary="The page is still open: keep the lease"
)
async def post_heartbeat(body: HeartbeatIn, tracker: TrackerDep) -> NumberOut:
    site = await tracker.site(body.site_key)
    return NumberOut.of(await tracker.heartbeat(site, body.visitor_id, body.visit_id))


@router.post(
    "/leave",
    status_code=status.HTTP_202_ACCEPTED,
    summary="The visitor's last tab of the site closed: end the lease (the number goes on hold for them)",
    openapi_extra={
        "requestBody": {
            "content": {"text/plain": {"schema": HeartbeatIn.model_json_schema()}},
            "required": True,
        }
    },
)
async def post_leave(request: Request, tracker: TrackerDep) -> dict[str, str]:
    # navigator.sendBeacon posts JSON as text/plain (no CORS preflight on page unload), so parse it here
    try:
        body = HeartbeatIn.model_validate_json(await request.body())
    except ValidationError as error:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in error.errors()]) from error
    site = await tracker.site(body.site_key)
    await tracker.leave(site, body.visitor_id, body.visit_id)
    return {"visit_id": body.visit_id, "status": "accepted"}
