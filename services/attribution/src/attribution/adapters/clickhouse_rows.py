"""Events -> rows of the ClickHouse tables (see clickhouse_schema for what each table means)."""

from __future__ import annotations

from typing import Any

from ctrack_common.events import (
    CallAttributed,
    CallStarted,
    CallStatusChanged,
    Envelope,
    LeaseDenied,
    LeaseExpired,
    LeaseGranted,
    LeaseRenewed,
    SessionSnapshot,
    VisitHeartbeat,
    VisitStarted,
    encode,
)

__all__ = ["Row", "row_for"]

Row = dict[str, Any]

_SESSION_FIELDS = (
    "source",
    "medium",
    "campaign",
    "term",
    "content",
    "gclid",
    "yclid",
    "fbclid",
    "msclkid",
    "landing_page",
    "referrer",
    "ga_client_id",
    "device",
)


def _session(snapshot: SessionSnapshot | None) -> Row:
    return {name: getattr(snapshot, name) if snapshot else None for name in _SESSION_FIELDS}


def _envelope(event: Envelope) -> Row:
    return {
        "event_id": event.event_id,
        "event_type": event.event_type,
        "schema_version": event.schema_version,
        "tenant_id": event.tenant_id,
        "site_id": event.site_id,
        "occurred_at": event.occurred_at,
        "recorded_at": event.recorded_at,
        "raw": encode(event).decode(),
    }


def _visit(event: VisitStarted | VisitHeartbeat) -> Row:
    p = event.payload
    started = event if isinstance(event, VisitStarted) else None
    return {
        **_envelope(event),
        "visit_id": p.visit_id,
        "visitor_id": p.visitor_id,
        "pool_id": p.pool_id,
        "page_url": started.payload.page_url if started else None,
        **_session(started.payload.session if started else None),
    }


def _lease(event: LeaseGranted | LeaseRenewed | LeaseExpired | LeaseDenied) -> Row:
    row: Row = {
        **_envelope(event),
        "lease_id": None,
        "pool_id": event.payload.pool_id,
        "number": None,
        "visitor_id": event.payload.visitor_id,
        "visit_id": None,
        "expires_at": None,
        "denied_reason": None,
        "default_number": None,
        **_session(None),
    }
    match event:
        case LeaseGranted() | LeaseRenewed():
            held = event.payload
            row |= {
                "lease_id": held.lease_id,
                "number": held.number,
                "visit_id": held.visit_id,
                "expires_at": held.expires_at,
            }
            row |= _session(held.session)
        case LeaseExpired():
            row |= {"lease_id": event.payload.lease_id, "number": event.payload.number}
        case LeaseDenied():
            denied = event.payload
            row |= {
                "visit_id": denied.visit_id,
                "denied_reason": denied.reason,
                "default_number": denied.default_number,
            }
    return row


def _call(event: CallStarted | CallStatusChanged) -> Row:
    p = event.payload
    return {
        **_envelope(event),
        "call_id": p.call_id,
        "provider": p.provider,
        "provider_call_id": p.provider_call_id,
        "caller_number": p.caller_number,
        "tracking_number": p.tracking_number,
        "started_at": p.started_at,
        "status": p.status.value,
        "answered": p.answered,
        "duration_seconds": p.duration_seconds,
        "sequence_number": p.sequence_number,
    }


def _attributed(event: CallAttributed) -> Row:
    p = event.payload
    return {
        "tenant_id": event.tenant_id,
        "call_id": p.call_id,
        "version": p.version,
        "event_id": event.event_id,
        "site_id": event.site_id,
        "occurred_at": event.occurred_at,
        "recorded_at": event.recorded_at,
        "started_at": p.call.started_at,
        "provider": p.call.provider,
        "caller_number": p.call.caller_number,
        "tracking_number": p.call.tracking_number,
        "status": p.call.status.value,
        "answered": p.call.answered,
        "duration_seconds": p.call.duration_seconds,
        "classification": p.classification.value,
        "unattributed_reason": p.unattributed_reason,
        "confidence": p.confidence,
        "confidence_reasons": list(p.confidence_reasons),
        "first_time_caller": p.first_time_caller,
        "lease_id": p.lease_id,
        "visitor_id": p.visitor_id,
        "visit_id": p.visit_id,
        **_session(p.session),
        "raw": encode(event).decode(),
    }


def row_for(event: Envelope) -> tuple[str, Row] | None:
    """The table and row for an event, or None for an event type the projection does not store."""
    match event:
        case VisitStarted() | VisitHeartbeat():
            return "visits", _visit(event)
        case LeaseGranted() | LeaseRenewed() | LeaseExpired() | LeaseDenied():
            return "leases", _lease(event)
        case CallStarted() | CallStatusChanged():
            return "calls", _call(event)
        case CallAttributed():
            return "attributed_calls", _attributed(event)
    return None
