"""Where a visitor came from: one row per rule of `build_snapshot` (see its module docstring)."""

from __future__ import annotations

import pytest

from session_tracker.domain import PageView, build_snapshot

SHOP = "https://shop.example/landing"

SOURCES = [
    # (case, url, referrer, expected source, expected medium)
    (
        "utm wins over everything",
        f"{SHOP}?utm_source=newsletter&utm_medium=email&gclid=x",
        "https://www.google.com/",
        "newsletter",
        "email",
    ),
    ("utm source without medium", f"{SHOP}?utm_source=partner", None, "partner", "(not set)"),
    ("gclid without utm is google cpc", f"{SHOP}?gclid=abc", "https://www.google.com/", "google", "cpc"),
    ("msclkid without utm is bing cpc", f"{SHOP}?msclkid=abc", None, "bing", "cpc"),
    ("yclid without utm is yandex cpc", f"{SHOP}?yclid=123", "https://yandex.ru/", "yandex", "cpc"),
    (
        "fbclid alone sets no source",
        f"{SHOP}?fbclid=abc",
        "https://l.facebook.com/",
        "l.facebook.com",
        "referral",
    ),
    ("google referrer is organic", SHOP, "https://www.google.co.uk/search?q=shoes", "google", "organic"),
    ("bing referrer is organic", SHOP, "https://www.bing.com/search?q=x", "bing", "organic"),
    ("duckduckgo referrer is organic", SHOP, "https://duckduckgo.com/", "duckduckgo", "organic"),
    ("search.yahoo referrer is organic", SHOP, "https://search.yahoo.com/search?p=x", "yahoo", "organic"),
    ("other site is a referral by host", SHOP, "https://www.news.example/today", "news.example", "referral"),
    ("no referrer is direct", SHOP, None, "(direct)", "(none)"),
    ("empty referrer is direct", SHOP, "", "(direct)", "(none)"),
    ("own host referrer is direct", SHOP, "https://shop.example/catalog", "(direct)", "(none)"),
    ("empty utm_source is absent", f"{SHOP}?utm_source=&gclid=g", None, "google", "cpc"),
]


@pytest.mark.parametrize(
    ("case", "url", "referrer", "source", "medium"), SOURCES, ids=[row[0] for row in SOURCES]
)
def test_source_and_medium_follow_the_documented_rules(
    case: str, url: str, referrer: str | None, source: str, medium: str
) -> None:
    snapshot = build_snapshot(PageView(url=url, referrer=referrer))
    assert (snapshot.source, snapshot.medium) == (source, medium), case


def test_campaign_fields_and_click_ids_are_kept_and_the_landing_page_loses_its_fragment() -> None:
    url = f"{SHOP}?utm_source=g&utm_campaign=bf&utm_term=red+shoes&utm_content=ad1&gclid=G&fbclid=F#top"
    snapshot = build_snapshot(PageView(url=url, referrer="https://www.google.com/", ga_client_id="GA1.1.2.3"))
    assert (snapshot.campaign, snapshot.term, snapshot.content) == ("bf", "red shoes", "ad1")
    assert (snapshot.gclid, snapshot.fbclid, snapshot.yclid, snapshot.msclkid) == ("G", "F", None, None)
    assert snapshot.landing_page == url.removesuffix("#top")
    assert (snapshot.referrer, snapshot.ga_client_id) == ("https://www.google.com/", "GA1.1.2.3")


DEVICES = [
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/120.0", "desktop"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148", "mobile"),
    ("Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/120.0 Mobile Safari/537.36", "mobile"),
    ("Mozilla/5.0 (iPad; CPU OS 17_0 like Mac OS X)", "tablet"),
    ("Mozilla/5.0 (Linux; Android 13; SM-X200) Chrome/120.0 Safari/537.36", "tablet"),
    (None, None),
]


@pytest.mark.parametrize(("user_agent", "device"), DEVICES)
def test_the_device_is_a_coarse_class_of_the_user_agent(user_agent: str | None, device: str | None) -> None:
    assert build_snapshot(PageView(url=SHOP, user_agent=user_agent)).device == device
