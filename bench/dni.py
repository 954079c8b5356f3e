"""Dynamic number insertion as a visitor sees it: visit -> number over HTTP at a stated rate of new
sessions, real headless Chromium page loads taken during that load (navigation start -> the tracking
number in the DOM), and the tracker script's gzipped size."""

from __future__ import annotations

import gzip
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import sync_playwright

from bench.latency import BROWSER_USER_AGENT, RoundTrips, visit_round_trips

__all__ = ["DniFigures", "PageLoads", "dni_under_load", "script_sizes"]

SCRIPT = Path(__file__).resolve().parents[1] / "tracker-script" / "dist" / "ctrack.min.js"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync"]

# Records, in page time (ms since navigation start), the first moment the business number is gone
# from the element: set before the tracker script loads, so nothing it does can be missed.
WATCH = """<script>
window.__numberShownAt = null;
new MutationObserver(function () {
  var el = document.getElementById("n");
  if (window.__numberShownAt === null && el && el.textContent.indexOf("%(business)s") < 0) {
    window.__numberShownAt = performance.now();
  }
}).observe(document.documentElement, {subtree: true, childList: true, characterData: true});
</script>"""


def script_sizes() -> tuple[int, int]:
    """The built tracker script's size, minified and minified+gzipped (level 9), in bytes."""
    body = SCRIPT.read_bytes()
    return len(body), len(gzip.compress(body, 9))


def _national(e164: str) -> str:
    digits = e164.removeprefix("+1")
    return f"({digits[:3]}) {digits[3:6]}-{digits[6:]}"


@contextmanager
def _page_server(html: str) -> Iterator[str]:
    """A local web server answering every GET with `html` (the tracked site's page)."""
    body = html.encode()

    class Page(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            try:
                self.wfile.write(body)
            except (BrokenPipeError, ConnectionResetError):  # a context closed while its page loaded
                return

        def log_message(self, *_: object) -> None:
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Page)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@dataclass(frozen=True)
class PageLoads:
    milliseconds: list[float]  # navigation start -> number in the DOM, one per load that got a number
    during_load: int  # how many of them finished while the HTTP load was still running
    failed: int  # loads whose number did not appear within the timeout

    def percentile(self, p: float) -> float:
        ordered = sorted(self.milliseconds)
        return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def _page_loads(
    tracker: str, site_key: str, business_number: str, count: int, load: threading.Thread
) -> PageLoads:
    shown = _national(business_number)
    html = (
        "<!doctype html><html><head>"
        + WATCH % {"business": shown}
        + f"<script async src='{tracker}/v1/tracker.js' data-site='{site_key}'></script>"
        + f"</head><body><p id=n>Call us: {shown}</p></body></html>"
    )
    milliseconds: list[float] = []
    during, failed = 0, 0
    with _page_server(html) as url, sync_playwright() as driver:
        browser = driver.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
        load.start()  # once the browser is up: every sampled load falls inside the HTTP load
        try:
            for i in range(count):
                if not load.is_alive():
                    break
                # A fresh context per load: a new visitor with a cold cache, as a first visit is.
                context = browser.new_context(user_agent=BROWSER_USER_AGENT)
                try:
                    page = context.new_page()
                    page.goto(f"{url}/?utm_source=bench&utm_medium=cpc&n={i}", wait_until="commit")
                    page.wait_for_function("window.__numberShownAt !== null", timeout=10_000)
                    milliseconds.append(float(page.evaluate("window.__numberShownAt")))
                    during += load.is_alive()
                except PlaywrightError:  # a load that never shows a number (timeout) is counted, not fatal
                    failed += 1
                finally:
                    context.close()
        finally:
            browser.close()
    return PageLoads(milliseconds, during, failed)


@dataclass(frozen=True)
class DniFigures:
    http: RoundTrips
    browser: PageLoads


def dni_under_load(
    tracker: str,
    *,
    load_site_key: str,
    browser_site_key: str,
    business_number: str,
    visits: int,
    rate: float,
    page_loads: int,
    run: str,
) -> DniFigures:
    """New sessions over HTTP at `rate`/s on one site while Chromium loads pages of another site (its own
    pool, so every sampled load gets a pool number) through the same tracker and allocator: up to
    `page_loads` loads, one after the other, as long as the HTTP load runs."""
    result: list[RoundTrips] = []
    load = threading.Thread(
        target=lambda: result.append(visit_round_trips(tracker, load_site_key, visits, rate, run)),
        name="http-load",
    )
    try:
        browser = _page_loads(tracker, browser_site_key, business_number, page_loads, load)
    finally:
        if load.is_alive():
            load.join()
    return DniFigures(result[0], browser)
