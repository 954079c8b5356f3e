"""GET /v1/tracker.js: the built tracker script, cacheable, with an ETag (not rate-limited: CDNs cache it)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from fastapi import APIRouter, Request, Response

__all__ = ["TrackerScript", "router"]

router = APIRouter(prefix="/v1", tags=["tracking"])


@dataclass(frozen=True)
class TrackerScript:
    """The bundle's bytes, read once at start-up, and how long it may be cached."""

    body: bytes
    max_age: int

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:32] + '"'


@router.get(
    "/tracker.js",
    summary="The tracker script for customer sites (see tracker-script/README.md)",
    response_class=Response,
    responses={200: {"content": {"application/javascript": {}}}, 304: {"description": "Not modified"}},
)
def get_tracker_script(request: Request) -> Response:
    script: TrackerScript = request.app.state.tracker_script
    headers = {"ETag": script.etag, "Cache-Control": f"public, max-age={script.max_age}"}
    if request.headers.get("if-none-match") == script.etag:
        return Response(status_code=304, headers=headers)
    return Response(script.body, media_type="application/javascript; charset=utf-8", headers=headers)
