"""Fixtures for the tracker script in real headless Chromium (Debian's, see INFRA.md).

`site` serves pages and the built bundle from a local static server; `browser` is Chromium driven by
Playwright. A machine without /usr/bin/chromium fails these tests with the command to install it.
`wire` opens pages whose tracker API (HTTP and WebSocket) Playwright answers, keeping every payload.
"""

from __future__ import annotations

import html
import json
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import (
    Browser,
    BrowserContext,
    Page,
    Playwright,
    Route,
    WebSocketRoute,
    sync_playwright,
)

from ctrack_stack.testing import Infra, wait_until
from support.system import System, Tenant, create_tenant, running_system

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    # pages of the test site "shop.example" (the real stack's tenants) are served from this machine
    "--host-resolver-rules=MAP shop.example 127.0.0.1",
]
BUNDLE = Path(__file__).resolve().parents[2] / "tracker-script" / "dist" / "ctrack.min.js"


class StaticSite:
    """A local web server for test pages: `pages[path] = html`; /ctrack.min.js is the built bundle.
    POSTs (beacons, which Playwright's routing does not see) are answered 204 and kept in `posts`."""

    def __init__(self) -> None:
        self.pages: dict[str, str] = {}
        self.posts: list[tuple[str, bytes]] = []
        pages, posts = self.pages, self.posts

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                path = self.path.split("?")[0]
                if path == "/ctrack.min.js":
                    body, kind = BUNDLE.read_bytes(), "application/javascript"
                elif path in pages:
                    body, kind = pages[path].encode(), "text/html; charset=utf-8"
                else:
                    body, kind = next(iter(pages.values()), "").encode(), "text/html; charset=utf-8"
                self.send_response(200)
                self.send_header("Content-Type", kind)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                posts.append((self.path, self.rfile.read(int(self.headers.get("Content-Length", 0)))))
                self.send_response(204)
                self.send_header("Access-Control-Allow-Origin", "*")
                self.end_headers()

            def log_message(self, *_: object) -> None:
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> StaticSite:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@pytest.fixture(scope="session")
def playwright() -> Iterator[Playwright]:
    with sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's Chromium with `apt-get install -y chromium`")
    browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_FLAGS)
    yield browser
    browser.close()


@pytest.fixture
def site() -> Iterator[StaticSite]:
    with StaticSite() as server:
        yield server


@pytest.fixture(scope="session")
def system(infra: Infra, service_logs: Path) -> Iterator[System]:
    yield from running_system(infra, service_logs)


@pytest.fixture
def tenant(system: System) -> Tenant:
    return create_tenant(system)


API = "http://api.ctrack.test"
BUSINESS = "+12025550123"
TRACKING = "+12025550199"
STUB = "<script>window.ctrack=window.ctrack||function(){(ctrack.q=ctrack.q||[]).push(arguments)}</script>"
CORS = {"Access-Control-Allow-Origin": "*", "Access-Control-Allow-Headers": "content-type"}


def page_html(body: str, head: str = "", **data: str) -> str:
    """A page loading the bundle with `data-*` attributes (`site` and `api` preset to the fake API)."""
    attrs = " ".join(
        f'data-{k.replace("_", "-")}="{html.escape(v)}"'
        for k, v in {"site": "pk_test", "api": API, **data}.items()
    )
    return f"<!doctype html><html><head>{STUB}{head}<script async src='/ctrack.min.js' {attrs}></script></head><body>{body}</body></html>"


@dataclass
class FakeApi:
    """The tracker API at API, answered by Playwright. Every POST gets a NumberOut with `number(path)`
    and the fields of `extra`; `status` other than 200 answers an error; `hold` parks requests in `held`.
    Requests (path, JSON body) are kept in `sent`; WebSockets in `sockets`, their URLs in `socket_urls`
    and what the page sent on them in `received`."""

    number: Callable[[str], str | None] = lambda _: TRACKING
    business: str = BUSINESS
    extra: dict[str, Any] = field(default_factory=dict)
    status: int = 200
    hold: bool = False
    sent: list[tuple[str, dict[str, Any]]] = field(default_factory=list)
    held: list[Route] = field(default_factory=list)
    sockets: list[WebSocketRoute] = field(default_factory=list)
    socket_urls: list[str] = field(default_factory=list)
    received: list[dict[str, Any]] = field(default_factory=list)

    def handle(self, route: Route) -> None:
        request = route.request
        if request.method == "OPTIONS":
            route.fulfill(status=204, headers=CORS)
            return
        self.sent.append(("/" + request.url.split("/", 3)[3], json.loads(request.post_data or "{}")))
        if self.hold:
            self.held.append(route)
        else:
            self.answer(route)

    def answer(self, route: Route) -> None:
        if self.status != 200:
            route.fulfill(status=self.status, headers=CORS, body="{}")
            return
        path = "/" + route.request.url.split("/", 3)[3]
        body: dict[str, Any] = {
            "visit_id": "v",
            "status": "granted",
            "kind": "pool",
            "number": self.number(path),
        }
        body |= {"business_number": self.business, "replace": [self.business], **self.extra}
        route.fulfill(status=200, headers=CORS, content_type="application/json", body=json.dumps(body))

    def handle_socket(self, socket: WebSocketRoute) -> None:
        self.sockets.append(socket)
        self.socket_urls.append(socket.url)
        socket.on_message(lambda message: self.received.append(json.loads(message)))

    def push(self, socket: WebSocketRoute, **number_out: Any) -> None:
        """The server's `number` message on `socket`."""
        socket.send(
            json.dumps({"type": "number", "visit_id": "v", "business_number": self.business, **number_out})
        )

    def paths(self) -> list[str]:
        return [path for path, _ in self.sent]

    def bodies(self, path: str) -> list[dict[str, Any]]:
        return [body for sent, body in self.sent if sent == path]


@dataclass
class Wire:
    """Opens tabs of `site` in `context` whose tracker API a FakeApi answers."""

    context: BrowserContext
    site: StaticSite
    routed: list[FakeApi] = field(default_factory=list)

    page_html = staticmethod(page_html)

    def until(self, check: Callable[[], bool], what: str, timeout: float = 10) -> None:
        """Polls `check` with a deadline while Playwright runs: the sync API answers routes and sockets
        only inside its own calls, so each poll spends a moment in one."""

        def pumped() -> bool:
            self.context.pages[-1].wait_for_timeout(25)
            return check()

        wait_until(pumped, timeout=timeout, what=what)

    def api(self, **fields: Any) -> FakeApi:
        return FakeApi(**fields)

    def open(self, api: FakeApi, path: str, markup: str, url: str = "") -> Page:
        """A new tab on `path` (served as `markup`), at `url` (default `path`, e.g. with a query)."""
        self.site.pages[path] = markup
        if not any(known is api for known in self.routed):
            self.routed.append(api)
            self.context.route(f"{API}/**", api.handle)
            self.context.route_web_socket("ws://api.ctrack.test/**", api.handle_socket)
        page = self.context.new_page()
        page.goto(self.site.url + (url or path))
        return page


@pytest.fixture
def context(browser: Browser) -> Iterator[BrowserContext]:
    context = browser.new_context()
    yield context
    context.close()


@pytest.fixture
def wire(context: BrowserContext, site: StaticSite) -> Wire:
    return Wire(context, site)
