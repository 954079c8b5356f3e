"""Which visits may ask for a pool number: bots, prefetches and floods get the default number instead.

`classify(user_agents, headers)` names why a request is not a person's page load (a bot or automation
user agent, no user agent at all, or a browser prefetch). `admit(...)` caps how many visitors of one
client address, and of one network (/24 for IPv4, /64 for IPv6), hold a pool number at the same time,
so a flood of ordinary-looking browsers from a few addresses cannot drain a pool. A visitor who
already holds a number is always admitted (their own page views renew it). `origin_allowed` is the
per-site CORS rule: a browser's `Origin` must be one of the site's domains or a subdomain of one.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from session_tracker.domain.agent import read_agent

__all__ = ["PREFETCH_HEADERS", "Caps", "admit", "classify", "network_of", "origin_allowed"]

# headers browsers add to speculative loads (a prefetched page was not seen by anybody)
PREFETCH_HEADERS = ("sec-purpose", "purpose", "x-moz", "x-purpose")


@dataclass(frozen=True)
class Caps:
    """How many visitors of one address / one network may hold pool numbers at once."""

    per_address: int
    per_network: int


def classify(user_agents: Iterable[str | None], headers: Mapping[str, str]) -> str | None:
    """Why this request is not a person's page view ("prefetch", "bot"), or None when it may be one.

    `user_agents` are the request header and what the script reported (either one is enough to tell);
    `headers` are the request headers with lower-case names.
    """
    if any("prefetch" in headers.get(name, "").lower() for name in PREFETCH_HEADERS):
        return "prefetch"
    given = [agent for agent in user_agents if agent]
    if not given or any(read_agent(agent).bot for agent in given):
        return "bot"
    return None


def network_of(address: str) -> str:
    """The network an address belongs to for the per-network cap: its /24 (IPv4) or /64 (IPv6)."""
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    prefix = 24 if ip.version == 4 else 64
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


def admit(*, already_holding: bool, address_holders: int, network_holders: int, caps: Caps) -> str | None:
    """None when the visitor may ask for a pool number, else the cap that stops them.

    `address_holders` / `network_holders` count OTHER visitors of the same address / network holding
    (or about to be answered for) a pool number now.
    """
    if already_holding:
        return None
    if address_holders >= caps.per_address:
        return "address_cap"
    if network_holders >= caps.per_network:
        return "network_cap"
    return None


def origin_allowed(domains: Iterable[str], origin: str | None) -> bool:
    """Whether a request from `origin` may act for a site with `domains` (none: any origin; no Origin
    header: not a browser's cross-origin call, nothing to check)."""
    allowed = [domain.lower().strip(".") for domain in domains]
    if not allowed or origin is None:
        return True
    host = (urlsplit(origin).hostname or "").lower()
    return any(host == domain or host.endswith("." + domain) for domain in allowed)
