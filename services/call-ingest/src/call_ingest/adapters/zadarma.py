"""Zadarma PBX notifications: the `Signature` header as Zadarma's own SDK checks it, and the routing reply.

    Signature = base64(hash_hmac('sha1', <signed string>, API secret))

PHP's `hash_hmac` returns the HEX digest by default, so it is base64 of the 40 hex characters
(not of the raw digest). The signed string per event (SDK `getSignatureString`):

| event                     | signed string                          |
|---------------------------|----------------------------------------|
| NOTIFY_START, NOTIFY_END  | caller_id + called_did + call_start    |
| NOTIFY_RECORD             | pbx_call_id + call_id_with_rec         |

Zadarma signs no timestamp, so there is no replay window; a replay yields the same event ids.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Mapping

__all__ = ["SIGNATURE_HEADER", "compute_signature", "forward_reply", "signature_matches", "signed_string"]

SIGNATURE_HEADER = "Signature"

_SIGNED_FIELDS = {
    "NOTIFY_START": ("caller_id", "called_did", "call_start"),
    "NOTIFY_END": ("caller_id", "called_did", "call_start"),
    "NOTIFY_ANSWER": ("caller_id", "destination", "call_start"),
    "NOTIFY_RECORD": ("pbx_call_id", "call_id_with_rec"),
}


def signed_string(event: str, form: Mapping[str, str]) -> str | None:
    fields = _SIGNED_FIELDS.get(event)
    if fields is None:
        return None
    return "".join(form.get(name, "") for name in fields)


def compute_signature(secret: str, signed: str) -> str:
    hex_digest = hmac.new(secret.encode(), signed.encode(), hashlib.sha1).hexdigest()
    return base64.b64encode(hex_digest.encode()).decode()


def signature_matches(secret: str, event: str, form: Mapping[str, str], signature: str) -> bool:
    signed = signed_string(event, form)
    if signed is None or not secret:
        return False
    return hmac.compare_digest(compute_signature(secret, signed).encode(), signature.encode())


def forward_reply(*, extension: str, business_number: str) -> str:
    """Reply to NOTIFY_START: send the call to `extension` (whose forwarding rings out), forwarding to
    `business_number` (SDK `setRedirect($redirect, 0, ['rewrite_forward_number' => ...])`)."""
    return json.dumps(
        {"redirect": extension, "return_timeout": 0, "rewrite_forward_number": business_number.lstrip("+")}
    )
