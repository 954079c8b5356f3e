"""The calling tenant's block list of caller numbers (spam, robocalls).

A blocked caller's calls are still forwarded and recorded (call-ingest flags them `blocked`), and
crm-sync never sends them to a CRM. Each change is a `CallerBlockConfigured` on the compacted
`config-block-list` topic (key `tenant_id:caller_number`), durable before the API answers; taking a
number off the list publishes `active=false`.

Caller numbers are checked for E.164 form only, not against the numbering plan: spammers spoof
numbers that no plan assigns, and those are exactly the ones worth blocking.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request, Response, status
from pydantic import BaseModel, Field

from ctrack_common.config_view import ConfigView
from ctrack_common.events import E164, CallerBlockConfigured, CallerBlockConfiguredPayload, event_id_for
from ctrack_common.messaging import EventProducer
from ctrack_common.topics import CONFIG_BLOCK_LIST
from number_allocator.entrypoints.dependencies import TenantId
from number_allocator.entrypoints.pagination import Cursor, Limit, Page, page
from number_allocator.errors import NotFound

__all__ = ["BlockList", "router"]

router = APIRouter(prefix="/v1/block-list", tags=["block list"])

CallerNumber = Annotated[
    E164,
    Path(description="The caller's number in E.164 ('+' may be sent as %2B).", examples=["+14155550123"]),
]


class BlockList:
    """Publishes block list changes durably, then shows them to this process's reads at once."""

    def __init__(self, view: ConfigView, producer: EventProducer, clock: Callable[[], datetime]) -> None:
        self._view = view
        self._producer = producer
        self._clock = clock

    def set(self, tenant_id: str, caller_number: str, reason: str, active: bool) -> CallerBlockConfigured:
        now = self._clock()
        current = self._view.block_list.get((tenant_id, caller_number))
        if current is not None and now <= current.occurred_at:
            now = current.occurred_at + timedelta(milliseconds=1)  # the view keeps the latest by time
        payload = CallerBlockConfiguredPayload(caller_number=caller_number, reason=reason, active=active)
        event = CallerBlockConfigured(
            event_id=event_id_for(CallerBlockConfigured.__name__, tenant_id, caller_number, now, active),
            occurred_at=now,
            recorded_at=now,
            tenant_id=tenant_id,
            payload=payload,
        )
        self._producer.publish(CONFIG_BLOCK_LIST, f"{tenant_id}:{caller_number}", event, wait=True)
        self._view.apply(event)
        return event

    def entry(self, tenant_id: str, caller_number: str) -> CallerBlockConfigured | None:
        return self._view.blocked_caller(tenant_id, caller_number)

    def entries(self, tenant_id: str) -> list[CallerBlockConfigured]:
        return self._view.blocked_callers(tenant_id)


def _block_list(request: Request) -> BlockList:
    block_list: BlockList = request.app.state.block_list
    return block_list


BlockListDep = Annotated[BlockList, Depends(_block_list)]


class BlockIn(BaseModel):
    reason: str = Field(default="spam", min_length=1, max_length=200, examples=["robocall"])


class BlockOut(BaseModel):
    caller_number: str
    reason: str
    blocked_at: datetime

    @classmethod
    def of(cls, event: CallerBlockConfigured) -> BlockOut:
        return cls(
            caller_number=event.payload.caller_number,
            reason=event.payload.reason,
            blocked_at=event.occurred_at,
        )


@router.put("/{caller_number}", summary="Block a caller number (or change the reason)")
def block_caller(
    caller_number: CallerNumber, body: BlockIn, tenant_id: TenantId, block_list: BlockListDep
) -> BlockOut:
    current = block_list.entry(tenant_id, caller_number)
    if current is not None and current.payload.reason == body.reason:
        return BlockOut.of(current)  # a repeated PUT changes nothing and publishes nothing
    return BlockOut.of(block_list.set(tenant_id, caller_number, body.reason, active=True))


@router.delete(
    "/{caller_number}", status_code=status.HTTP_204_NO_CONTENT, summary="Take a caller number off the list"
)
def unblock_caller(caller_number: CallerNumber, tenant_id: TenantId, block_list: BlockListDep) -> Response:
    current = block_list.entry(tenant_id, caller_number)
    if current is None:
        raise NotFound(f"{caller_number} is not on the block list", "caller_number")
    block_list.set(tenant_id, caller_number, current.payload.reason, active=False)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("", summary="The tenant's blocked caller numbers, by number")
def list_blocked_callers(
    tenant_id: TenantId, block_list: BlockListDep, limit: Limit = 100, cursor: Cursor = None
) -> Page[BlockOut]:
    items, next_cursor = page(block_list.entries(tenant_id), lambda e: e.payload.caller_number, limit, cursor)
    return Page(items=[BlockOut.of(e) for e in items], next_cursor=next_cursor)
