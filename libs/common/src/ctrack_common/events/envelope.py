"""The envelope every event travels in, and deterministic event ids.

An event is a past-tense fact. Its id is derived from the fact itself, so a
retry or a replay of the same fact yields the same id and idempotent sinks
(ClickHouse ReplacingMergeTree, webhook receivers) see it once.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import ClassVar

from pydantic import AwareDatetime, BaseModel, ConfigDict, field_serializer, field_validator

__all__ = ["Envelope", "Payload", "event_id_for", "to_millis"]

_EVENT_NAMESPACE = uuid.UUID("8f5b1c1e-2f7a-4c1e-9a55-6c7472616b31")


def event_id_for(*parts: object) -> uuid.UUID:
    """A stable id for the fact described by `parts` (UUIDv5 over their text)."""
    return uuid.uuid5(_EVENT_NAMESPACE, "\x1f".join(str(p) for p in parts))


def to_millis(moment: datetime) -> datetime:
    """The same instant in UTC, truncated to whole milliseconds (the wire precision)."""
    if moment.tzinfo is None:
        raise ValueError("timestamps must carry a timezone")
    moment = moment.astimezone(UTC)
    return moment.replace(microsecond=moment.microsecond - moment.microsecond % 1000)


class Payload(BaseModel):
    """Base of every payload: immutable, and tolerant of fields added by newer producers."""

    model_config = ConfigDict(frozen=True, extra="ignore", json_schema_serialization_defaults_required=True)


class Envelope(Payload):
    """Fields shared by every event; subclasses fix `event_type` and the payload model."""

    SCHEMA_VERSION: ClassVar[int] = 1

    event_id: uuid.UUID
    event_type: str
    schema_version: int = 1
    occurred_at: AwareDatetime
    recorded_at: AwareDatetime
    tenant_id: str
    site_id: str | None = None

    @field_validator("occurred_at", "recorded_at")
    @classmethod
    def _utc_millis(cls, value: datetime) -> datetime:
        return to_millis(value)

    @field_serializer("occurred_at", "recorded_at")
    def _iso_millis(self, value: datetime) -> str:
        return value.isoformat(timespec="milliseconds").replace("+00:00", "Z")
