"""Which requests may ask for a pool number: bots, prefetches and the per-address caps."""

from __future__ import annotations

import pytest

from session_tracker.domain import Caps, admit, classify, network_of, origin_allowed, read_agent

CHROME = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.0 Mobile/15E148 Safari/604.1"
)
CUBOT_PHONE = (
    "Mozilla/5.0 (Linux; Android 11; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/120.0 Mobile Safari/537.36"
)
BOTS = [
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
    "Mozilla/5.0 (compatible; YandexBot/3.0; +http://yandex.com/bots)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0 Safari/537.36",
    "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1",
    "python-requests/2.31.0",
    "curl/8.5.0",
    "Wget/1.21",
    "Go-http-client/1.1",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
]


@pytest.mark.parametrize("agent", BOTS)
def test_bot_headless_and_library_user_agents_are_bots(agent: str) -> None:
    assert classify((agent,), {}) == "bot"
    assert read_agent(agent).bot


@pytest.mark.parametrize("agent", [CHROME, IPHONE, CUBOT_PHONE])
def test_ordinary_browsers_are_not_bots(agent: str) -> None:
    assert classify((agent, agent), {}) is None


def test_a_bot_in_either_the_header_or_the_reported_agent_is_enough() -> None:
    assert classify((CHROME, BOTS[3]), {}) == "bot"
    assert classify((None, BOTS[0]), {}) == "bot"


def test_a_request_without_any_user_agent_is_a_bot() -> None:
    assert classify((None, ""), {}) == "bot"


@pytest.mark.parametrize(
    "headers",
    [
        {"sec-purpose": "prefetch"},
        {"sec-purpose": "prefetch;prerender"},
        {"purpose": "prefetch"},
        {"x-moz": "prefetch"},
    ],
)
def test_prefetch_requests_are_not_page_views(headers: dict[str, str]) -> None:
    assert classify((CHROME,), headers) == "prefetch"


CAPS = Caps(per_address=3, per_network=5)


@pytest.mark.parametrize(
    ("holding", "address", "network", "reason"),
    [
        (False, 0, 0, None),
        (False, 2, 4, None),
        (False, 3, 3, "address_cap"),
        (False, 1, 5, "network_cap"),
        (True, 9, 99, None),
    ],
)
def test_visitors_of_one_address_or_network_are_capped_unless_they_already_hold_a_number(
    holding: bool, address: int, network: int, reason: str | None
) -> None:
    assert (
        admit(already_holding=holding, address_holders=address, network_holders=network, caps=CAPS) == reason
    )


def test_the_network_of_an_address_is_its_24_or_64() -> None:
    assert network_of("203.0.113.77") == "203.0.113.0/24"
    assert network_of("2001:db8:1:2:3:4:5:6") == "2001:db8:1:2::/64"
    assert network_of("unknown") == "unknown"


@pytest.mark.parametrize(
    ("domains", "origin", "allowed"),
    [
        ((), "https://anything.example", True),
        (("shop.example",), None, True),
        (("shop.example",), "https://shop.example", True),
        (("shop.example",), "https://www.shop.example:8443", True),
        (("Shop.Example",), "https://shop.example", True),
        (("shop.example",), "https://evil.example", False),
        (("shop.example",), "https://notshop.example", False),
        (("shop.example",), "https://shop.example.evil.example", False),
        (("shop.example",), "null", False),
    ],
)
def test_a_browser_origin_must_be_a_site_domain_or_its_subdomain(
    domains: tuple[str, ...], origin: str | None, allowed: bool
) -> None:
    assert origin_allowed(domains, origin) is allowed
