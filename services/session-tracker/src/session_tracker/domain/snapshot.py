"""Where a visitor came from, from the page URL and the referrer: `build_snapshot(page_view)`.

Rules, in order of precedence (source / medium):
1. `utm_source` in the page URL: source = utm_source, medium = utm_medium or "(not set)".
2. A paid click id without UTM: gclid -> google / cpc, msclkid -> bing / cpc, yclid -> yandex / cpc.
3. A referrer from another host: a search engine (google, bing, yandex, duckduckgo, yahoo, baidu,
   ecosia, by host name) -> engine / organic; any other host -> that host (without "www.") / referral.
4. No referrer, or one from the page's own host (navigation inside the site) -> (direct) / (none).
campaign, term and content always come from utm_campaign, utm_term and utm_content; the click ids
(gclid, yclid, fbclid, msclkid) are kept as given. fbclid alone sets no source: Facebook adds it to
organic links too. The landing page is the URL without its fragment. Device is a coarse class from
the user agent: tablet, mobile or desktop. Empty values count as absent.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit, urlunsplit

from ctrack_common.events import SessionSnapshot

__all__ = ["PageView", "build_snapshot"]

DIRECT = ("(direct)", "(none)")
PAID_CLICK_IDS = (("gclid", "google"), ("msclkid", "bing"), ("yclid", "yandex"))
SEARCH_ENGINES = ("google", "bing", "yandex", "duckduckgo", "yahoo", "baidu", "ecosia")
TABLET_MARKERS = ("ipad", "tablet")
MOBILE_MARKERS = ("mobi", "iphone", "android")


@dataclass(frozen=True)
class PageView:
    """What the tracker script reports about the page a visitor opened."""

    url: str
    referrer: str | None = None
    user_agent: str | None = None
    ga_client_id: str | None = None


def _host(url: str | None) -> str | None:
    if not url:
        return None
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.") or None


def _search_engine(host: str) -> str | None:
    labels = host.split(".")
    return next((engine for engine in SEARCH_ENGINES if engine in labels), None)


def _device(user_agent: str | None) -> str | None:
    if not user_agent:
        return None
    agent = user_agent.lower()
    if any(marker in agent for marker in TABLET_MARKERS) or ("android" in agent and "mobile" not in agent):
        return "tablet"
    if any(marker in agent for marker in MOBILE_MARKERS):
        return "mobile"
    return "desktop"


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
    return (engine, "organic") if engine else (referrer_host, "referral")


def build_snapshot(view: PageView) -> SessionSnapshot:
    """The session snapshot of one page view (rules in the module docstring)."""
    parts = urlsplit(view.url)
    params = {k: v[0].strip() for k, v in parse_qs(parts.query).items() if v and v[0].strip()}
    source, medium = _source_medium(params, _host(view.url), view.referrer)
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
        landing_page=urlunsplit(parts._replace(fragment="")),
        referrer=view.referrer or None,
        ga_client_id=view.ga_client_id or None,
        device=_device(view.user_agent),
        user_agent=view.user_agent or None,
    )
