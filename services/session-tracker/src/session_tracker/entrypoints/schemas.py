"""The public request and answer bodies (the README's "Wire protocol"), and who sent a request."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated
from urllib.parse import urlsplit

from pydantic import AfterValidator, BaseModel, Field
from starlette.requests import HTTPConnection

from ctrack_common.events import E164
from session_tracker.domain import MAX_PAGES_SEEN, Kind, PageView, Status
from session_tracker.tracking import Answer, Client

__all__ = [
    "HeartbeatIn",
    "Identifier",
    "NumberOut",
    "PageIn",
    "RevealIn",
    "VisitIn",
    "VisitRefIn",
    "WebUrl",
    "client_of",
]


def _web_url(value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValueError("must be an absolute http(s) URL")
    return value


Identifier = Annotated[str, Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_.:-]+$")]
WebUrl = Annotated[str, Field(max_length=4096), AfterValidator(_web_url)]
Path = Annotated[str, Field(min_length=1, max_length=2048, pattern=r"^/")]
PagesSeen = Annotated[
    list[Path], Field(default_factory=list, max_length=MAX_PAGES_SEEN, description="Paths seen this session.")
]
SiteKey = Annotated[str, Field(min_length=1, max_length=100)]


class VisitRefIn(BaseModel):
    site_key: SiteKey
    visitor_id: Identifier
    visit_id: Identifier


class HeartbeatIn(VisitRefIn):
    active: bool = Field(default=False, description="The user interacted with the page since the last beat.")


class PageIn(VisitRefIn):
    session_id: Identifier | None = None
    url: WebUrl
    pages_seen: PagesSeen
    user_agent: str | None = Field(default=None, max_length=1024)

    def page(self) -> PageView:
        return PageView(
            url=self.url,
            user_agent=self.user_agent,
            session_id=self.session_id,
            pages_seen=tuple(self.pages_seen),
        )


class RevealIn(VisitRefIn):
    number: E164
    session_id: Identifier | None = None


class VisitIn(BaseModel):
    site_key: SiteKey
    visitor_id: Identifier
    visit_id: Identifier | None = Field(default=None, description="New per page load; generated when absent.")
    session_id: Identifier | None = Field(
        default=None, description="Derived from visitor and campaign when absent."
    )
    url: WebUrl
    referrer: str | None = Field(default=None, max_length=4096)
    user_agent: str | None = Field(default=None, max_length=1024)
    ga_client_id: str | None = Field(default=None, max_length=128)
    ym_client_id: str | None = Field(default=None, max_length=64)
    pages_seen: PagesSeen
    consent: bool = True

    def page(self) -> PageView:
        return PageView(
            url=self.url,
            referrer=self.referrer,
            user_agent=self.user_agent,
            ga_client_id=self.ga_client_id,
            ym_client_id=self.ym_client_id,
            session_id=self.session_id,
            pages_seen=tuple(self.pages_seen),
        )


class NumberOut(BaseModel):
    visit_id: str
    session_id: str | None = None
    status: Status
    number: str | None
    kind: Kind
    reason: str | None = None
    lease_id: str | None = None
    expires_at: datetime | None = None
    grant_at: datetime | None = None
    business_number: str = Field(description="The site's own number (E.164).")
    replace: list[str] = Field(description="Numbers the script finds on the page and replaces with `number`.")
    click_to_reveal: bool
    anti_flicker_ms: int
    heartbeat_seconds: int
    ws_url: str

    @classmethod
    def of(cls, answer: Answer) -> NumberOut:
        shown = answer.shown
        return cls(
            visit_id=answer.visit_id,
            session_id=answer.session_id,
            status=shown.status,
            number=shown.number,
            kind=shown.kind,
            reason=shown.reason,
            lease_id=shown.lease_id,
            expires_at=shown.expires_at,
            grant_at=shown.grant_at,
            business_number=answer.business_number,
            replace=list(answer.replace),
            click_to_reveal=answer.click_to_reveal,
            anti_flicker_ms=answer.anti_flicker_ms,
            heartbeat_seconds=answer.heartbeat_seconds,
            ws_url=answer.ws_url,
        )


def client_of(connection: HTTPConnection) -> Client:
    """The peer address and headers of a request or WebSocket (no proxy headers are trusted)."""
    headers = {name.lower(): value for name, value in connection.headers.items()}
    address = connection.client.host if connection.client else "unknown"
    return Client(address=address, user_agent=headers.get("user-agent"), headers=headers)
