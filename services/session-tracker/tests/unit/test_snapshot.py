"""Where a visitor came from: one row per rule of `build_snapshot` (see its module docstring)."""

from __future__ import annotations

import pytest

from session_tracker.domain import (
    MAX_PAGES_SEEN,
    PageView,
    build_snapshot,
    ga_client_id,
    search_terms,
    session_id_for,
    ym_client_id,
)

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
    snapshot = build_snapshot(
        PageView(url=url, referrer="https://www.google.com/", ga_client_id="GA1.1.22.33")
    )
    assert (snapshot.campaign, snapshot.term, snapshot.content) == ("bf", "red shoes", "ad1")
    assert (snapshot.gclid, snapshot.fbclid, snapshot.yclid, snapshot.msclkid) == ("G", "F", None, None)
    assert snapshot.landing_page == url.removesuffix("#top")
    assert (snapshot.referrer, snapshot.ga_client_id) == ("https://www.google.com/", "22.33")


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


SEARCH_TERMS = [
    ("https://www.google.com/search?q=red+shoes", "red shoes"),
    ("https://yandex.ru/search/?text=%D0%B2%D0%B8%D0%B4", "вид"),
    ("https://www.bing.com/search?q=plumber+near+me", "plumber near me"),
    ("https://duckduckgo.com/?q=call+tracking", "call tracking"),
    ("https://go.mail.ru/search?q=ремонт", "ремонт"),
    ("https://search.yahoo.com/search?p=boots", "boots"),
    ("https://www.baidu.com/s?wd=phone", "phone"),
    ("https://www.google.com/", None),
    ("https://news.example/?q=not+a+search", None),
    (None, None),
]


@pytest.mark.parametrize(("referrer", "terms"), SEARCH_TERMS)
def test_search_terms_come_from_the_engines_query_parameter(referrer: str | None, terms: str | None) -> None:
    assert search_terms(referrer) == terms
    assert build_snapshot(PageView(url=SHOP, referrer=referrer)).search_terms == terms


def test_a_mail_ru_referrer_is_organic_search() -> None:
    snapshot = build_snapshot(PageView(url=SHOP, referrer="https://go.mail.ru/search?q=x"))
    assert (snapshot.source, snapshot.medium) == ("mail.ru", "organic")


@pytest.mark.parametrize(
    ("raw", "client_id"),
    [
        ("GA1.2.1234567890.1700000000", "1234567890.1700000000"),
        ("GA1.3.99.42", "99.42"),
        ("1234567890.1700000000", "1234567890.1700000000"),
        ("garbage", None),
        ("", None),
        (None, None),
    ],
)
def test_the_ga_client_id_is_taken_from_the_ga_cookie(raw: str | None, client_id: str | None) -> None:
    assert ga_client_id(raw) == client_id


@pytest.mark.parametrize(
    ("raw", "client_id"), [("1700000000123456789", "1700000000123456789"), ("abc", None)]
)
def test_the_yandex_metrica_id_must_be_digits(raw: str, client_id: str | None) -> None:
    assert ym_client_id(raw) == client_id
    assert build_snapshot(PageView(url=SHOP, ym_client_id=raw)).ym_client_id == client_id


def test_os_and_browser_come_from_the_user_agent() -> None:
    agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
    snapshot = build_snapshot(PageView(url=SHOP, user_agent=agent))
    assert (snapshot.device, snapshot.os, snapshot.browser) == ("desktop", "Windows", "Chrome")


def test_pages_seen_end_with_this_page_and_keep_the_last_fifty() -> None:
    seen = tuple(f"/p{i}" for i in range(60))
    snapshot = build_snapshot(PageView(url="https://shop.example/cart?x=1", pages_seen=seen))
    assert len(snapshot.pages_seen) == MAX_PAGES_SEEN
    assert snapshot.pages_seen[-1] == "/cart" and snapshot.pages_seen[-2] == "/p59"


def test_a_reload_does_not_repeat_the_page_in_pages_seen() -> None:
    snapshot = build_snapshot(PageView(url="https://shop.example/cart", pages_seen=("/", "/cart")))
    assert snapshot.pages_seen == ("/", "/cart")


def test_the_landing_page_is_the_sessions_first_page() -> None:
    snapshot = build_snapshot(
        PageView(url="https://shop.example/cart#top", pages_seen=("/start?utm_source=x",))
    )
    assert snapshot.landing_page == "https://shop.example/start?utm_source=x"
    assert build_snapshot(PageView(url="https://shop.example/a#b")).landing_page == "https://shop.example/a"


def test_a_derived_session_id_is_stable_per_visitor_and_campaign() -> None:
    first = session_id_for("vis-1", "https://shop.example/?utm_source=google&utm_campaign=bf")
    assert first == session_id_for("vis-1", "https://shop.example/other?utm_campaign=bf&utm_source=google")
    assert first != session_id_for("vis-1", "https://shop.example/?utm_source=google&utm_campaign=xmas")
    assert first != session_id_for("vis-2", "https://shop.example/?utm_source=google&utm_campaign=bf")
    assert first != session_id_for("vis-1", "https://shop.example/?utm_source=google&utm_campaign=bf&gclid=1")
    assert first.startswith("s-") and len(first) == 22


def test_the_session_id_sent_is_kept_in_the_snapshot() -> None:
    assert build_snapshot(PageView(url=SHOP, session_id="s-abc")).session_id == "s-abc"
