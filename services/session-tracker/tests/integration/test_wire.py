"""What the tracker publishes on `visits` (page views, reveals, the snapshot), and what it refuses to:
visitors without consent, bots, calls from outside the site's domains, bad WebSocket input."""

from __future__ import annotations

import json
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any

import httpx
import pytest
from websockets.exceptions import ConnectionClosed
from websockets.sync.client import connect
from websockets.typing import Origin

from ctrack_common.events import Envelope, NumberRevealed, VisitPageViewed, VisitStarted
from ctrack_common.messaging import replay
from ctrack_common.topics import VISITS
from ctrack_stack.testing import wait_until

if TYPE_CHECKING:
    from conftest import Services, Site

BROWSER = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
HEADLESS = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/124.0 Safari/537.36"


def post(services: Services, path: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    return httpx.post(
        f"{services.tracker.url}/v1/{path}", json=body, headers={"User-Agent": BROWSER, **headers}, timeout=30
    )


def on_the_wire(kafka_bootstrap: str, visit_id: str) -> list[Envelope]:
    """The events of `visit_id` on `visits` (each is published durably before the answer)."""
    return [
        e
        for e in replay(kafka_bootstrap, VISITS)
        if getattr(getattr(e, "payload", None), "visit_id", None) == visit_id
    ]


def test_a_visit_publishes_the_whole_session_snapshot(
    services: Services, site: Site, kafka_bootstrap: str
) -> None:
    visit_id = f"v-{uuid.uuid4().hex}"
    answer = post(
        services,
        "visits",
        {
            "site_key": site.site_key,
            "visitor_id": "vis-snap",
            "visit_id": visit_id,
            "url": "https://shop.example/pricing?utm_source=google&utm_medium=cpc&utm_campaign=bf&gclid=G1",
            "referrer": "https://www.google.com/search?q=call+tracking",
            "user_agent": BROWSER,
            "ga_client_id": "GA1.2.111.222",
            "ym_client_id": "1700000000123",
            "pages_seen": ["/"],
        },
    )
    assert answer.status_code == 200, answer.text
    (started,) = on_the_wire(kafka_bootstrap, visit_id)
    assert isinstance(started, VisitStarted)
    snap = started.payload.session
    assert (snap.source, snap.medium, snap.campaign, snap.gclid) == ("google", "cpc", "bf", "G1")
    assert (snap.search_terms, snap.ga_client_id, snap.ym_client_id) == (
        "call tracking",
        "111.222",
        "1700000000123",
    )
    assert (snap.device, snap.os, snap.pages_seen) == ("mobile", "iOS", ("/", "/pricing"))
    assert snap.session_id is not None and snap.session_id == answer.json()["session_id"]
    assert snap.session_id.startswith("s-")


def test_spa_page_views_over_http_and_websocket_publish_visit_page_viewed(
    services: Services, site: Site, kafka_bootstrap: str
) -> None:
    visit_id = f"v-{uuid.uuid4().hex}"
    ref = {"site_key": site.site_key, "visitor_id": "vis-spa", "visit_id": visit_id, "session_id": "s-spa"}
    viewed = post(services, "pageview", {**ref, "url": "https://shop.example/cart", "pages_seen": ["/"]})
    assert viewed.status_code == 200, viewed.text
    url = services.tracker.url.replace("http://", "ws://")
    query = f"site_key={site.site_key}&visitor_id=vis-spa&visit_id={visit_id}&session_id=s-spa"
    with connect(f"{url}/v1/ws?{query}", user_agent_header=BROWSER) as socket:
        socket.send(
            json.dumps({"type": "page", "url": "https://shop.example/pay", "pages_seen": ["/", "/cart"]})
        )

        def page_views() -> list[VisitPageViewed]:
            return [e for e in on_the_wire(kafka_bootstrap, visit_id) if isinstance(e, VisitPageViewed)]

        wait_until(lambda: len(page_views()) == 2, timeout=15, what="the WebSocket page view on visits")
    events = page_views()
    assert [e.payload.session.pages_seen for e in events] == [("/", "/cart"), ("/", "/cart", "/pay")]
    assert {e.payload.session.session_id for e in events} == {"s-spa"}
    assert [e.payload.page_url for e in events] == ["https://shop.example/cart", "https://shop.example/pay"]


def test_a_reveal_publishes_number_revealed(services: Services, site: Site, kafka_bootstrap: str) -> None:
    visit_id = f"v-{uuid.uuid4().hex}"
    body = {
        "site_key": site.site_key,
        "visitor_id": "vis-r",
        "visit_id": visit_id,
        "number": site.default_number,
    }
    revealed = post(services, "reveal", body)
    assert revealed.status_code == 202, revealed.text
    (event,) = on_the_wire(kafka_bootstrap, visit_id)
    assert isinstance(event, NumberRevealed) and event.payload.number == site.default_number
    bad = post(services, "reveal", {**body, "number": "12"})
    assert bad.status_code == 422 and {p["field"] for p in bad.json()["problems"]} == {"body.number"}


def test_without_consent_on_a_consent_site_nothing_is_published_and_the_default_shows(
    services: Services, site: Site, kafka_bootstrap: str
) -> None:
    site.configure(services, "", {"display": {"consent_required": True}})
    visit_id = f"v-{uuid.uuid4().hex}"
    body = {
        "site_key": site.site_key,
        "visitor_id": "vis-c",
        "visit_id": visit_id,
        "url": "https://shop.example/",
    }
    refused = post(services, "visits", {**body, "consent": False})
    assert refused.status_code == 200, refused.text
    assert (refused.json()["status"], refused.json()["reason"], refused.json()["number"]) == (
        "default",
        "consent_required",
        site.default_number,
    )
    assert on_the_wire(kafka_bootstrap, visit_id) == []
    given = post(services, "visits", {**body, "visit_id": f"v-{uuid.uuid4().hex}", "consent": True})
    assert given.json()["status"] == "granted" and given.json()["number"] in site.pool_numbers


def test_a_headless_browser_gets_the_default_number_no_visit_and_is_counted(
    services: Services, site: Site, kafka_bootstrap: str
) -> None:
    visit_id = f"v-{uuid.uuid4().hex}"
    body = {
        "site_key": site.site_key,
        "visitor_id": "vis-bot",
        "visit_id": visit_id,
        "url": "https://shop.example/",
    }
    answer = post(services, "visits", body, **{"User-Agent": HEADLESS})
    assert (answer.json()["status"], answer.json()["reason"], answer.json()["lease_id"]) == (
        "default",
        "bot",
        None,
    )
    prefetch = post(
        services, "visits", {**body, "visit_id": f"v-{uuid.uuid4().hex}"}, **{"Sec-Purpose": "prefetch"}
    )
    assert prefetch.json()["reason"] == "prefetch"
    assert on_the_wire(kafka_bootstrap, visit_id) == []
    metrics = httpx.get(f"{services.tracker.url}/metrics").text
    assert 'session_tracker_filtered_visits_total{reason="bot"}' in metrics
    assert 'session_tracker_filtered_visits_total{reason="prefetch"}' in metrics


def test_calls_from_outside_the_sites_domains_are_refused(services: Services, site: Site) -> None:
    site.configure(services, "", {"domains": ["shop.example"]})
    body = {"site_key": site.site_key, "visitor_id": "vis-o", "url": "https://shop.example/"}
    refused = post(services, "visits", body, Origin="https://evil.example")
    assert refused.status_code == 403 and refused.json()["field"] == "origin"
    allowed = post(services, "visits", body, Origin="https://www.shop.example")
    assert allowed.status_code == 200, allowed.text
    preflight = httpx.options(
        f"{services.tracker.url}/v1/visits",
        headers={"Origin": "https://www.shop.example", "Access-Control-Request-Method": "POST"},
    )
    assert preflight.status_code == 200
    url = services.tracker.url.replace("http://", "ws://")
    query = f"site_key={site.site_key}&visitor_id=vis-o&visit_id=v1"
    with (
        connect(f"{url}/v1/ws?{query}", origin=Origin("https://evil.example")) as socket,
        pytest.raises(ConnectionClosed) as closed,
    ):
        socket.recv(timeout=10)
    assert closed.value.rcvd is not None
    assert (closed.value.rcvd.code, closed.value.rcvd.reason) == (1008, "origin not allowed")


@pytest.mark.parametrize(
    ("query", "message", "reason"),
    [
        ("visitor_id=v&visit_id=v1", None, "bad query: site_key: Field required"),
        ("site_key=pk_nope&visitor_id=v&visit_id=v1", None, "unknown site_key"),
        ("visitor_id=v&visit_id=v1&site_key={key}", '{"type":"dance"}', "bad message: "),
        (
            "visitor_id=v&visit_id=v1&site_key={key}",
            '{"type":"page","url":"/relative"}',
            "bad message: page.url",
        ),
        ("visitor_id=v&visit_id=v1&site_key={key}", "not json", "bad message: "),
    ],
)
def test_bad_websocket_input_closes_with_a_policy_violation_and_a_reason(
    services: Services, site: Site, query: str, message: str | None, reason: str
) -> None:
    url = services.tracker.url.replace("http://", "ws://")
    with connect(f"{url}/v1/ws?{query.format(key=site.site_key)}", user_agent_header=BROWSER) as socket:
        if message is not None:
            socket.send(message)
        with pytest.raises(ConnectionClosed) as closed:
            socket.recv(timeout=10)
    assert closed.value.rcvd is not None and closed.value.rcvd.code == 1008
    assert closed.value.rcvd.reason.startswith(reason), closed.value.rcvd.reason


def test_one_visitor_hammering_the_heartbeat_is_rate_limited_per_visitor(
    services: Services, site: Site
) -> None:
    body = {"site_key": site.site_key, "visitor_id": "vis-hammer", "visit_id": "v-hammer", "active": True}
    # its own source address, so the per-address limit (burst 30) is not the one that answers
    transport = httpx.HTTPTransport(local_address="127.30.0.1")
    with httpx.Client(transport=transport, headers={"User-Agent": BROWSER}, timeout=30) as client:

        def beat(_: int) -> httpx.Response:
            return client.post(f"{services.tracker.url}/v1/heartbeat", json=body)

        with ThreadPoolExecutor(max_workers=8) as pool:
            answers = list(pool.map(beat, range(28)))
    refused = [a for a in answers if a.status_code == 429]
    assert refused and all(a.status_code == 200 for a in answers if a not in refused)
    assert "rate limit of 2 requests/s" in refused[0].text and refused[0].headers["retry-after"]


def test_a_socket_page_view_without_a_session_keeps_the_session_its_visit_started_with(
    services: Services, site: Site, kafka_bootstrap: str
) -> None:
    visit_id = f"v-{uuid.uuid4().hex}"
    body = {"site_key": site.site_key, "visitor_id": "vis-s", "visit_id": visit_id, "session_id": "s-land"}
    started = post(services, "visits", {**body, "url": "https://shop.example/?utm_source=newsletter"})
    assert started.status_code == 200, started.text
    url = services.tracker.url.replace("http://", "ws://")
    with connect(
        f"{url}/v1/ws?site_key={site.site_key}&visitor_id=vis-s&visit_id={visit_id}",
        user_agent_header=BROWSER,
    ) as socket:
        socket.send(json.dumps({"type": "page", "url": "https://shop.example/pricing", "pages_seen": ["/"]}))

        def page_views() -> list[VisitPageViewed]:
            return [e for e in on_the_wire(kafka_bootstrap, visit_id) if isinstance(e, VisitPageViewed)]

        wait_until(lambda: len(page_views()) == 1, timeout=15, what="the page view on visits")
    assert page_views()[0].payload.session.session_id == "s-land"
