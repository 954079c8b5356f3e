"""Telnyx Call Control webhooks: the Ed25519 signature as Telnyx computes it, and event parsing.

    telnyx-signature-ed25519 = Base64(Ed25519-sign(account key, f"{telnyx-timestamp}|{raw body}"))

checked with the account's public key (Mission Control, "Public key", base64), and the timestamp
(unix seconds) must be within the tolerance of our clock both ways: a captured webhook cannot be
replayed later.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import UTC, datetime, timedelta
from typing import Any

from nacl.exceptions import BadSignatureError
from nacl.signing import VerifyKey
from pydantic import BaseModel, ConfigDict, Field

from call_ingest.adapters.rejection import SignatureRejected

__all__ = [
    "SIGNATURE_HEADER",
    "TIMESTAMP_HEADER",
    "SignatureRejected",
    "TelnyxEvent",
    "TelnyxPayload",
    "client_state_caller",
    "client_state_number",
    "verify",
]

SIGNATURE_HEADER = "telnyx-signature-ed25519"
TIMESTAMP_HEADER = "telnyx-timestamp"


def verify(
    public_key_b64: str,
    body: bytes,
    *,
    timestamp: str | None,
    signature_b64: str | None,
    now: datetime,
    tolerance: timedelta,
) -> None:
    """Raises `SignatureRejected` unless Telnyx signed `body` at `timestamp`, within `tolerance` of now."""
    if not timestamp or not signature_b64:
        raise SignatureRejected(401, f"missing {SIGNATURE_HEADER} or {TIMESTAMP_HEADER} header")
    try:
        signed_at = datetime.fromtimestamp(int(timestamp), tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise SignatureRejected(403, f"{TIMESTAMP_HEADER} is not unix seconds") from None
    if abs(now - signed_at) > tolerance:
        raise SignatureRejected(403, f"{TIMESTAMP_HEADER} is outside the replay window")
    try:
        key = VerifyKey(base64.b64decode(public_key_b64, validate=True))
        signature = base64.b64decode(signature_b64, validate=True)
        key.verify(timestamp.encode() + b"|" + body, signature)
    except (BadSignatureError, binascii.Error, ValueError, TypeError):
        raise SignatureRejected(403, f"{SIGNATURE_HEADER} does not match this request") from None


class _Model(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=True)


class TelnyxPayload(_Model):
    call_control_id: str | None = None
    call_leg_id: str | None = None
    call_session_id: str = Field(min_length=1)
    client_state: str | None = None
    direction: str | None = None
    from_: str | None = Field(default=None, alias="from")
    to: str | None = None
    start_time: datetime | None = None
    end_time: datetime | None = None
    state: str | None = None
    hangup_cause: str | None = None
    hangup_source: str | None = None


class TelnyxData(_Model):
    record_type: str = "event"
    event_type: str = Field(min_length=1)
    id: str = Field(min_length=1)
    occurred_at: datetime | None = None
    payload: TelnyxPayload


class TelnyxEvent(_Model):
    data: TelnyxData


def _client_state_field(client_state: str | None, name: str) -> str | None:
    if not client_state:
        return None
    try:
        state: Any = json.loads(base64.b64decode(client_state, validate=True))
    except (binascii.Error, ValueError):
        return None
    value = state.get(name) if isinstance(state, dict) else None
    return value if isinstance(value, str) else None


def client_state_number(client_state: str | None) -> str | None:
    """The tracking number we put in `client_state` (base64 JSON {"tracking_number": ...}) when forwarding."""
    return _client_state_field(client_state, "tracking_number")


def client_state_caller(client_state: str | None) -> str | None:
    """The original caller we put in `client_state` when forwarding (the forwarded leg's `from` may differ)."""
    return _client_state_field(client_state, "caller_number") or None
