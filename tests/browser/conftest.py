"""Fixtures for the tracker script in real headless Chromium (Debian's, see INFRA.md).

`site` serves pages and the built bundle from a local static server; `browser` is Chromium driven by
Playwright. A machine without /usr/bin/chromium fails these tests with the command to install it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Playwright, sync_playwright

from ctrack_stack.testing import Infra
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
