"""Where a visitor came from, from the page URL and the referrer: `build_snapshot(page_view)`.

Rules, in order of precedence (source / medium):
1. `utm_source` in the page URL: source = utm_source, medium = utm_medium or "(not set)".
2. A paid click id without UTM: gclid -> google / cpc, msclkid -> bing / cpc, yclid -> yandex / cpc.
3. A referrer from another host: a search engine (google, bing, yandex, duckduckgo, yahoo, baidu,
   ecosia, mail.ru, rambler, by host name) -> engine / organic; any other host -> that host (without
   "www.") / referral.
4. No referrer, or one from the page's own host (navigation inside the site) -> (direct) / (none).
campaign, term and content always come from utm_campaign, utm_term and utm_content; the click ids
(gclid, yclid, fbclid, msclkid) are kept as given. fbclid alone sets no source: Facebook adds it to
organic links too. Search terms come from a search engine referrer's query parameter (Google, Bing,
DuckDuckGo, Ecosia and Mail.ru `q`, Yandex `text`, Yahoo `p`, Baidu `wd`, Rambler `query`), when the
engine still sends them. The landing page is the session's first page (`pages_seen[0]` resolved against
the URL) or, on the session's first page, the URL itself, without its fragment. `pages_seen` is the
session's paths including this page, at most the last 50. Device (desktop, mobile, tablet, bot, other),
OS and browser come from the user agent (`agent.read_agent`). The GA client id is taken from a `_ga` cookie
value (`GA1.2.<id>.<time>` -> `<id>.<time>`) or kept when already bare; the Yandex Metrica id must be
digits. When the script sends no session id, `session_id_for` derives one from the visitor and the
URL's campaign. Empty values count as absent.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from urllib.parse import parse_qs, urljoin, urlsplit, urlunsplit

from ctrack_common.events import SessionSnapshot
from session_tracker.domain.agent import read_agent

__all__ = [
    "MAX_PAGES_SEEN",
    "PageView",
    "build_snapshot",
    "campaign_of",
    "ga_client_id",
    "search_terms",
    "session_id_for",
    "ym_client_id",
]

MAX_PAGES_SEEN = 50
DIRECT = ("(direct)", "(none)")
PAID_CLICK_IDS = (("gclid", "google"), ("msclkid", "bing"), ("yclid", "yandex"))
CLICK_IDS = ("gclid", "yclid", "fbclid", "msclkid")
# engine (a label of the referrer's host) -> the query parameter holding the search words
SEARCH_ENGINES = {
    "google": "q",
    "bing": "q",
    "yandex": "text",
    "duckduckgo": "q",
    "yahoo": "p",
    "baidu": "wd",
    "ecosia": "q",
    "rambler": "query",
}
# hosts whose engine is not one label of the host name
SEARCH_HOSTS = {"go.mail.ru": ("mail.ru", "q"), "search.mail.ru": ("mail.ru", "q")}
GA_COOKIE = re.compile(r"^GA\d+\.\d+\.(\d+\.\d+)$")
GA_BARE = re.compile(r"^\d+\.\d+$")
YM_UID = re.compile(r"^\d{1,32}$")


@dataclass(frozen=True)
class PageView:
    """What the tracker script reports about the page a visitor opened."""

    url: str
    referrer: str | None = None
    user_agent: str | None = None
    ga_client_id: str | None = None
    ym_client_id: str | None = None
    session_id: str | None = None
    pages_seen: tuple[str, ...] = ()


def _host(url: str | None) -> str | None:
    if not url:
        return None
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.") or None


def _search_engine(host: str) -> tuple[str, str] | None:
    if host in SEARCH_HOSTS:
        return SEARCH_HOSTS[host]
    labels = host.split(".")
    return next(((engine, param) for engine, param in SEARCH_ENGINES.items() if engine in labels), None)


def _params(url: str) -> dict[str, str]:
    return {k: v[0].strip() for k, v in parse_qs(urlsplit(url).query).items() if v and v[0].strip()}


def search_terms(referrer: str | None) -> str | None:
    """The search words in a search engine referrer, if it still carries them."""
    host = _host(referrer)
    engine = _search_engine(host) if host else None
    if referrer is None or engine is None:
        return None
    return _params(referrer).get(engine[1])


def ga_client_id(raw: str | None) -> str | None:
    """The GA client id of a `_ga` cookie value (`GA1.2.123.456` -> `123.456`), or a bare id as given."""
    value = (raw or "").strip()
    if match := GA_COOKIE.match(value):
        return match.group(1)
    return value if GA_BARE.match(value) else None


def ym_client_id(raw: str | None) -> str | None:
    """The Yandex Metrica client id (`_ym_uid` cookie: digits), or None when it is not one."""
    value = (raw or "").strip()
    return value if YM_UID.match(value) else None


def campaign_of(url: str) -> str:
    """What makes a new session when it changes: utm_source/medium/campaign and the click ids of `url`."""
    params = _params(url)
    keys = ("utm_source", "utm_medium", "utm_campaign", *CLICK_IDS)
    return "|".join(params.get(key, "") for key in keys)


def session_id_for(visitor_id: str, url: str) -> str:
    """A deterministic session id for a script that sent none: the same visitor and campaign, the same id."""
    digest = hashlib.sha256(f"{visitor_id}|{campaign_of(url)}".encode()).hexdigest()
    return "s-" + digest[:20]


def _source_medium(params: dict[str, str], page_host: str | None, referrer: str | None) -> tuple[str, str]:
    if "utm_source" in params:
        return params["utm_source"], params.get("utm_medium", "(not set)")
    for click_id, network in PAID_CLICK_IDS:
        if click_id in params:
            return network, "cpc"
    referrer_host = _host(referrer)
    if referrer_host is None or referrer_host == page_host:
        return DIRECT
    engine = _search_engine(referrer_host)
    return (engine[0], "organic") if engine else (referrer_host, "referral")


def _pages(url: str, seen: tuple[str, ...]) -> tuple[str, ...]:
    parts = urlsplit(url)
    path = parts.path or "/"
    pages = [*seen] if seen and seen[-1] == path else [*seen, path]
    return tuple(pages[-MAX_PAGES_SEEN:])


def build_snapshot(view: PageView) -> SessionSnapshot:
    """The session snapshot of one page view (rules in the module docstring)."""
    parts = urlsplit(view.url)
    params = _params(view.url)
    source, medium = _source_medium(params, _host(view.url), view.referrer)
    here = urlunsplit(parts._replace(fragment=""))
    landing = here
    if view.pages_seen:
        landing = urlunsplit(urlsplit(urljoin(here, view.pages_seen[0]))._replace(fragment=""))
    agent = read_agent(view.user_agent) if view.user_agent else None
    return SessionSnapshot(
        source=source,
        medium=medium,
        campaign=params.get("utm_campaign"),
        term=params.get("utm_term"),
        content=params.get("utm_content"),
        gclid=params.get("gclid"),
        yclid=params.get("yclid"),
        fbclid=params.get("fbclid"),
        msclkid=params.get("msclkid"),
        landing_page=landing,
        referrer=view.referrer or None,
        ga_client_id=ga_client_id(view.ga_client_id),
        device=agent.device if agent else None,
        user_agent=view.user_agent or None,
        session_id=view.session_id or None,
        search_terms=search_terms(view.referrer),
        ym_client_id=ym_client_id(view.ym_client_id),
        os=agent.os if agent else None,
        browser=agent.browser if agent else None,
        pages_seen=_pages(view.url, view.pages_seen),
    )
