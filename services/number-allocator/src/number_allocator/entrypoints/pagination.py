"""Cursor pagination: `?limit=&cursor=` -> `{items, next_cursor}` over a list sorted by a unique key.

The cursor is the opaque (base64url) key of the last item returned, so pages stay stable while
items are added or removed elsewhere in the list.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Callable, Sequence
from typing import Annotated, Generic, TypeVar

from fastapi import Query
from pydantic import BaseModel

from number_allocator.errors import InvalidInput

__all__ = ["Cursor", "Limit", "Page", "page"]

T = TypeVar("T")
Item = TypeVar("Item")

Limit = Annotated[int, Query(ge=1, le=500, description="Items per page.")]
Cursor = Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page.")]


class Page(BaseModel, Generic[Item]):
    items: list[Item]
    next_cursor: str | None


def _decode(cursor: str) -> str:
    try:
        return base64.urlsafe_b64decode(cursor.encode() + b"=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
        raise InvalidInput(f"cursor {cursor!r} is not one this API returned", "cursor") from exc


def _encode(key: str) -> str:
    return base64.urlsafe_b64encode(key.encode()).decode().rstrip("=")


def page(
    items: Sequence[T], key: Callable[[T], str], limit: int, cursor: str | None
) -> tuple[list[T], str | None]:
    """The page after `cursor` of `items` (sorted by `key`) and the cursor of the next page, if any."""
    after = _decode(cursor) if cursor else None
    remaining = [item for item in items if after is None or key(item) > after]
    chosen = remaining[:limit]
    return chosen, (_encode(key(chosen[-1])) if len(remaining) > limit else None)
