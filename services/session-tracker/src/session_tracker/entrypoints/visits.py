"""Public HTTP endpoints for the tracker script: visits, heartbeat (the polling fallback), page views,
leave and reveal. Rate-limited per client address (router dependency) and per visitor (in each handler);
the request's `Origin` must be one of the site's domains."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response, status
from fastapi.exceptions import RequestValidationError
from pydantic import ValidationError

from ctrack_common.events import SiteConfigured
from ctrack_common.web import RateLimit
from session_tracker.entrypoints.schemas import (
    HeartbeatIn,
    NumberOut,
    PageIn,
    RevealIn,
    VisitIn,
    VisitRefIn,
    client_of,
)
from session_tracker.tracking import Tracker

__all__ = ["router"]


def _tracker(request: Request) -> Tracker:
    tracker: Tracker = request.app.state.tracker
    return tracker


def _rate_limited(request: Request) -> None:
    request.app.state.rate_limit(request)


TrackerDep = Annotated[Tracker, Depends(_tracker)]
router = APIRouter(prefix="/v1", tags=["tracking"], dependencies=[Depends(_rate_limited)])
ACCEPTED = {202: {"description": "Accepted"}}


async def _site_of(request: Request, tracker: Tracker, body: VisitIn | VisitRefIn) -> SiteConfigured:
    """The body's site, once the visitor's own rate limit and the Origin allow the request."""
    visitor_limit: RateLimit = request.app.state.visitor_rate_limit
    visitor_limit.check(f"{body.site_key}|{body.visitor_id}")
    return await tracker.site(body.site_key, request.headers.get("origin"))


@router.post(
    "/visits",
    summary="A page load: returns the visitor's number (200), or 202 with the default number while pending",
    responses={202: {"model": NumberOut, "description": "No answer within the bounded wait: status pending"}},
)
async def post_visit(body: VisitIn, request: Request, response: Response, tracker: TrackerDep) -> NumberOut:
    site = await _site_of(request, tracker, body)
    answer = await tracker.start_visit(
        site, body.visitor_id, body.visit_id, body.page(), client_of(request), consent=body.consent
    )
    if answer.shown.status == "pending":
        response.status_code = status.HTTP_202_ACCEPTED
    return NumberOut.of(answer)


@router.post("/heartbeat", summary="The page is still open: keep the lease; returns the current number")
async def post_heartbeat(body: HeartbeatIn, request: Request, tracker: TrackerDep) -> NumberOut:
    site = await _site_of(request, tracker, body)
    answer = await tracker.heartbeat(
        site, body.visitor_id, body.visit_id, client_of(request), active=body.active
    )
    return NumberOut.of(answer)


@router.post("/pageview", summary="A single-page-app route change: publishes VisitPageViewed")
async def post_pageview(body: PageIn, request: Request, tracker: TrackerDep) -> NumberOut:
    site = await _site_of(request, tracker, body)
    answer = await tracker.page_viewed(site, body.visitor_id, body.visit_id, body.page(), client_of(request))
    return NumberOut.of(answer)


@router.post(
    "/leave",
    status_code=status.HTTP_202_ACCEPTED,
    summary="The visitor's last tab of the site closed: end the lease (the number goes on hold for them)",
    openapi_extra={
        "requestBody": {
            "content": {"text/plain": {"schema": VisitRefIn.model_json_schema()}},
            "required": True,
        }
    },
)
async def post_leave(request: Request, tracker: TrackerDep) -> dict[str, str]:
    # navigator.sendBeacon posts JSON as text/plain (no CORS preflight on page unload), so parse it here
    try:
        body = VisitRefIn.model_validate_json(await request.body())
    except ValidationError as error:
        raise RequestValidationError([{**e, "loc": ("body", *e["loc"])} for e in error.errors()]) from error
    site = await _site_of(request, tracker, body)
    await tracker.leave(site, body.visitor_id, body.visit_id)
    return {"visit_id": body.visit_id, "status": "accepted"}


@router.post(
    "/reveal",
    status_code=status.HTTP_202_ACCEPTED,
    summary="Click-to-reveal: the visitor revealed a masked number (publishes NumberRevealed)",
)
async def post_reveal(body: RevealIn, request: Request, tracker: TrackerDep) -> dict[str, str]:
    site = await _site_of(request, tracker, body)
    await tracker.reveal(site, body.visitor_id, body.visit_id, body.number, body.session_id)
    return {"visit_id": body.visit_id, "status": "accepted"}
