"""Twilio's request signature (`X-Twilio-Signature`), computed and checked as Twilio does.

    signature = Base64(HMAC-SHA1(auth token, URL + name1 + value1 + name2 + value2 ...))

with the POST parameters sorted by name (then value), the URL being the one Twilio requested,
query string included. Twilio is not consistent about writing a default port into that URL,
so, like Twilio's own SDK, the check accepts the URL with and without its port.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Iterable
from urllib.parse import urlsplit, urlunsplit

__all__ = ["SIGNATURE_HEADER", "compute_signature", "signature_matches", "url_variants"]

SIGNATURE_HEADER = "X-Twilio-Signature"

_DEFAULT_PORTS = {"http": 80, "https": 443}


def compute_signature(auth_token: str, url: str, params: Iterable[tuple[str, str]]) -> str:
    signed = url + "".join(name + value for name, value in sorted(set(params)))
    digest = hmac.new(auth_token.encode(), signed.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def url_variants(url: str) -> tuple[str, ...]:
    """`url` as given, without its port, and with the scheme's default port written out."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    userinfo = parts.netloc.rpartition("@")[0]
    prefix = f"{userinfo}@" if userinfo else ""
    without_port = urlunsplit(parts._replace(netloc=prefix + host))
    variants = [url, without_port]
    if parts.port is None and parts.scheme in _DEFAULT_PORTS:
        variants.append(urlunsplit(parts._replace(netloc=f"{prefix}{host}:{_DEFAULT_PORTS[parts.scheme]}")))
    return tuple(dict.fromkeys(variants))


def signature_matches(auth_token: str, url: str, params: Iterable[tuple[str, str]], signature: str) -> bool:
    """Constant-time comparison of `signature` with the one Twilio would send for this request."""
    pairs = list(params)
    expected = [compute_signature(auth_token, candidate, pairs).encode() for candidate in url_variants(url)]
    return any([hmac.compare_digest(candidate, signature.encode()) for candidate in expected])
