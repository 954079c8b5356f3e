"""Standard Webhooks: the message id, the signature, and the headers that carry them.

    webhook-id         one per (endpoint, call, version): the same on every retry and after
                       restarts, so a receiver deduplicating on it sees each version once
    webhook-timestamp  unix seconds of this attempt
    webhook-signature  "v1," + Base64(HMAC-SHA256(secret key, f"{id}.{timestamp}.{body}"))

The secret is "whsec_" + Base64 of the key bytes; the key, not the text, signs.
"""

from __future__ import annotations

import base64
import hashlib
import hmac

from ctrack_common.events import event_id_for

__all__ = ["SECRET_PREFIX", "mask_secret", "secret_key", "sign", "signed_headers", "webhook_id_for"]

SECRET_PREFIX = "whsec_"
_VISIBLE_SECRET_CHARS = 4


def webhook_id_for(endpoint_id: str, call_id: str, version: int) -> str:
    return f"msg_{event_id_for('webhook', endpoint_id, call_id, version).hex}"


def secret_key(secret: str) -> bytes:
    return base64.b64decode(secret.removeprefix(SECRET_PREFIX))


def sign(secret: str, webhook_id: str, timestamp: int, body: bytes) -> str:
    signed = f"{webhook_id}.{timestamp}.".encode() + body
    digest = hmac.new(secret_key(secret), signed, hashlib.sha256).digest()
    return f"v1,{base64.b64encode(digest).decode()}"


def signed_headers(secret: str, webhook_id: str, timestamp: int, body: bytes) -> dict[str, str]:
    return {
        "webhook-id": webhook_id,
        "webhook-timestamp": str(timestamp),
        "webhook-signature": sign(secret, webhook_id, timestamp, body),
    }


def mask_secret(secret: str) -> str:
    """What listings show of a secret: enough to tell two apart, never enough to sign."""
    return f"{SECRET_PREFIX}...{secret[-_VISIBLE_SECRET_CHARS:]}"
