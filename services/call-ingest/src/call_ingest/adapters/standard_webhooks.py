"""Generic PBX webhooks signed per the Standard Webhooks spec (standardwebhooks.com).

    webhook-signature = "v1," + Base64(HMAC-SHA256(key, f"{webhook-id}.{webhook-timestamp}.{raw body}"))

where the secret is `whsec_` + Base64(key); the header may list several space-separated
signatures (key rotation), one matching is enough. `webhook-timestamp` (unix seconds) must be
within the tolerance of our clock both ways (replay protection).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
from datetime import UTC, datetime, timedelta

from call_ingest.adapters.rejection import SignatureRejected

__all__ = ["ID_HEADER", "SIGNATURE_HEADER", "TIMESTAMP_HEADER", "sign", "verify"]

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
SIGNATURE_HEADER = "webhook-signature"
_PREFIX = "whsec_"


def _key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(_PREFIX), validate=True)


def sign(secret: str, msg_id: str, timestamp: str, body: bytes) -> str:
    signed = msg_id.encode() + b"." + timestamp.encode() + b"." + body
    return "v1," + base64.b64encode(hmac.new(_key(secret), signed, hashlib.sha256).digest()).decode()


def verify(
    secret: str,
    body: bytes,
    *,
    msg_id: str | None,
    timestamp: str | None,
    signatures: str | None,
    now: datetime,
    tolerance: timedelta,
) -> None:
    """Raises `SignatureRejected` unless one of `signatures` is ours for this message, in the window."""
    if not msg_id or not timestamp or not signatures:
        raise SignatureRejected(401, f"missing {ID_HEADER}, {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header")
    try:
        signed_at = datetime.fromtimestamp(int(timestamp), tz=UTC)
    except (ValueError, OverflowError, OSError):
        raise SignatureRejected(403, f"{TIMESTAMP_HEADER} is not unix seconds") from None
    if abs(now - signed_at) > tolerance:
        raise SignatureRejected(403, f"{TIMESTAMP_HEADER} is outside the replay window")
    try:
        expected = sign(secret, msg_id, timestamp, body).encode()
    except (binascii.Error, ValueError):
        raise SignatureRejected(403, "webhook secret is not configured") from None
    offered = [part.encode() for part in signatures.split(" ") if part.startswith("v1,")]
    if not any([hmac.compare_digest(expected, candidate) for candidate in offered]):
        raise SignatureRejected(403, f"{SIGNATURE_HEADER} does not match this request")
