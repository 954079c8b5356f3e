"""Static tracking: which static channel number a visit is shown, a pure function of the site's rules.

A rule matches when every match field it gives matches the visit (case-insensitive): the utm
source, medium and campaign of the session snapshot, the referrer's host (the host itself or any of
its subdomains) and the landing page's path (by prefix). Among matching rules the lowest priority
wins, ties by rule id, so the answer never depends on the order rules were configured in.
"""

from __future__ import annotations

from collections.abc import Iterable
from urllib.parse import urlsplit

from ctrack_common.events import SessionSnapshot, StaticRuleConfiguredPayload, StaticRuleMatch

__all__ = ["matches", "static_number_for"]


def _host(url: str | None) -> str:
    if not url:
        return ""
    host = urlsplit(url if "//" in url else f"//{url}").hostname
    return (host or "").lower()


def _path(url: str) -> str:
    return urlsplit(url).path or "/"


def _same(expected: str | None, actual: str | None) -> bool:
    return expected is None or (actual is not None and expected.casefold() == actual.casefold())


def matches(match: StaticRuleMatch, snapshot: SessionSnapshot, landing_url: str) -> bool:
    """Whether a visit with `snapshot` landing on `landing_url` shows every field `match` gives."""
    if not (
        _same(match.utm_source, snapshot.source)
        and _same(match.utm_medium, snapshot.medium)
        and _same(match.utm_campaign, snapshot.campaign)
    ):
        return False
    if match.referrer_host is not None:
        wanted = match.referrer_host.lower().strip(".")
        host = _host(snapshot.referrer)
        if not (host == wanted or host.endswith(f".{wanted}")):
            return False
    if match.landing_path_prefix is not None:
        return _path(landing_url).casefold().startswith(match.landing_path_prefix.casefold())
    return True


def static_number_for(
    rules: Iterable[StaticRuleConfiguredPayload], snapshot: SessionSnapshot, landing_url: str
) -> StaticRuleConfiguredPayload | None:
    """The winning active rule for this visit (lowest priority, then rule id), or None."""
    matching = [rule for rule in rules if rule.active and matches(rule.match, snapshot, landing_url)]
    return min(matching, key=lambda rule: (rule.priority, rule.rule_id), default=None)
