"""GET /v1/ws: one WebSocket per tab. The server pushes the visitor's number whenever it changes (to
every tab of the visitor on this replica); the tab sends heartbeats and SPA page views.

Bad input (query, Origin, message, rate) closes the socket with 1008 (policy violation) and a reason;
the socket is accepted first so the browser sees that code and reason instead of a bare HTTP 403.
"""

from __future__ import annotations

import asyncio
import contextlib
from typing import Annotated, Literal

from fastapi import APIRouter, HTTPException, WebSocket, WebSocketDisconnect, status
from pydantic import BaseModel, Field, TypeAdapter, ValidationError

from ctrack_common.events import SiteConfigured
from ctrack_common.web import RateLimit
from session_tracker.adapters.push import PushHub
from session_tracker.domain import PageView, Shown
from session_tracker.entrypoints.schemas import (
    Identifier,
    NumberOut,
    PagesSeen,
    VisitRefIn,
    WebUrl,
    client_of,
)
from session_tracker.metrics import OPEN_SOCKETS
from session_tracker.tracking import Client, ForbiddenOrigin, Tracker, UnknownSite

__all__ = ["router"]

router = APIRouter(prefix="/v1", tags=["tracking"])
POLICY = status.WS_1008_POLICY_VIOLATION


class SocketIn(VisitRefIn):
    session_id: Identifier | None = None


class HeartbeatMessage(BaseModel):
    type: Literal["heartbeat"]
    active: bool = False


class PageMessage(BaseModel):
    type: Literal["page"]
    url: WebUrl
    pages_seen: PagesSeen
    session_id: Identifier | None = None


Message = TypeAdapter(Annotated[HeartbeatMessage | PageMessage, Field(discriminator="type")])


class Refused(Exception):
    """Close the socket with 1008 and this reason."""


def _problem(error: ValidationError) -> str:
    first = error.errors()[0]
    where = ".".join(str(part) for part in first["loc"]) or "message"
    return f"bad message: {where}: {first['msg']}"[:120]  # a close reason is at most 123 bytes


class Tab:
    """One open WebSocket: its visitor, and what it does with the tab's messages."""

    def __init__(self, socket: WebSocket, tracker: Tracker, site: SiteConfigured, ref: SocketIn) -> None:
        self.socket = socket
        self.tracker = tracker
        self.site = site
        self.ref = ref
        self.client: Client = client_of(socket)
        self.visitor_limit: RateLimit = socket.app.state.visitor_rate_limit

    async def send(self, shown: Shown) -> None:
        answer = self.tracker.answer(self.site, self.ref.visit_id, self.ref.session_id, shown)
        await self.socket.send_json({"type": "number", **NumberOut.of(answer).model_dump(mode="json")})

    async def push(self, inbox: asyncio.Queue[Shown]) -> None:
        while True:
            await self.send(await inbox.get())

    async def listen(self) -> None:
        while True:
            raw = await self.socket.receive_text()
            try:
                self.visitor_limit.check(f"{self.ref.site_key}|{self.ref.visitor_id}")
                message = Message.validate_json(raw)
            except HTTPException as error:
                raise Refused("rate limit") from error
            except ValidationError as error:
                raise Refused(_problem(error)) from error
            ref = self.ref
            if isinstance(message, HeartbeatMessage):
                await self.tracker.heartbeat(
                    self.site, ref.visitor_id, ref.visit_id, self.client, active=message.active
                )
            else:
                page = PageView(
                    url=message.url,
                    user_agent=self.client.user_agent,
                    session_id=message.session_id or ref.session_id,
                    pages_seen=tuple(message.pages_seen),
                )
                await self.tracker.page_viewed(self.site, ref.visitor_id, ref.visit_id, page, self.client)


async def _open(socket: WebSocket) -> Tab:
    tracker: Tracker = socket.app.state.tracker
    try:
        socket.app.state.rate_limit(socket)
    except HTTPException as error:
        raise Refused("rate limit") from error
    try:
        ref = SocketIn.model_validate(dict(socket.query_params))
    except ValidationError as error:
        raise Refused(_problem(error).replace("bad message", "bad query")) from error
    try:
        site = await tracker.site(ref.site_key, socket.headers.get("origin"))
    except (UnknownSite, ForbiddenOrigin) as error:
        raise Refused(
            "unknown site_key" if isinstance(error, UnknownSite) else "origin not allowed"
        ) from error
    return Tab(socket, tracker, site, ref)


@router.websocket("/ws")
async def tab_socket(socket: WebSocket) -> None:
    """Query: site_key, visitor_id, visit_id (and optional session_id); see the README's wire protocol."""
    await socket.accept()
    hub: PushHub = socket.app.state.push_hub
    try:
        tab = await _open(socket)
    except Refused as refused:
        await socket.close(POLICY, str(refused))
        return
    pool_id, visitor_id = tab.site.payload.pool_id, tab.ref.visitor_id
    inbox = hub.open(pool_id, visitor_id)
    OPEN_SOCKETS.inc()
    tasks: list[asyncio.Task[None]] = []
    try:
        known = tab.tracker.current(tab.site, visitor_id)
        if known.status != "pending":
            await tab.send(known)
        tasks = [asyncio.create_task(tab.listen()), asyncio.create_task(tab.push(inbox))]
        done, _ = await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        for task in done:
            task.result()
    except Refused as refused:
        with contextlib.suppress(RuntimeError, WebSocketDisconnect):
            await socket.close(POLICY, str(refused))
    except WebSocketDisconnect:
        pass
    finally:
        for task in tasks:
            task.cancel()
        hub.close(pool_id, visitor_id, inbox)
        OPEN_SOCKETS.dec()
