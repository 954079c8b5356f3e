"""What a user agent string says about the visitor's device, OS and browser, and whether it is a bot.

Parsed with `user-agents` (ua-parser's rules) and a list of markers it misses: headless browsers,
automation tools and HTTP libraries that no person browses with.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from user_agents import parse

__all__ = ["AUTOMATION_MARKERS", "Agent", "read_agent"]

# lower-case substrings of agents that are never a person at a browser (ua-parser knows most crawlers)
AUTOMATION_MARKERS = (
    "headlesschrome",
    "phantomjs",
    "slimerjs",
    "electron/",
    "selenium",
    "webdriver",
    "puppeteer",
    "playwright",
    "python-requests",
    "python-urllib",
    "aiohttp",
    "httpx",
    "curl/",
    "wget/",
    "go-http-client",
    "java/",
    "okhttp",
    "libwww-perl",
    "scrapy",
    "node-fetch",
    "axios/",
    "bot/",  # not plain "bot": phones such as "Cubot" carry it
    "bot;",
    "bot)",
    "+http",  # crawlers name their info page: "(compatible; ExampleBot/1.0; +https://...)"
    "crawler",
    "spider",
    "facebookexternalhit",
    "lighthouse",
)


@dataclass(frozen=True)
class Agent:
    """The parts of a user agent the tracker keeps."""

    device: str  # desktop | mobile | tablet | bot | other
    os: str | None
    browser: str | None
    bot: bool


@lru_cache(maxsize=4096)
def read_agent(user_agent: str) -> Agent:
    """The device class, OS and browser of `user_agent`, and whether it is a bot or automation."""
    parsed = parse(user_agent)
    lowered = user_agent.lower()
    bot = bool(parsed.is_bot) or any(marker in lowered for marker in AUTOMATION_MARKERS)
    if bot:
        device = "bot"
    elif parsed.is_tablet:
        device = "tablet"
    elif parsed.is_mobile:
        device = "mobile"
    else:
        device = "desktop" if parsed.is_pc else "other"
    os_family: str = parsed.os.family
    browser_family: str = parsed.browser.family
    return Agent(
        device=device,
        os=None if os_family == "Other" else os_family,
        browser=None if browser_family == "Other" else browser_family,
        bot=bot,
    )
