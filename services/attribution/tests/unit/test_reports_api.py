"""The reports API's request handling: authentication, validation and a ClickHouse outage.

No ClickHouse runs here: every request below is answered before a query, or
meets a port where nothing listens (the outage case).
"""

from __future__ import annotations

import asyncio
import socket
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from attribution.adapters.clickhouse import ClickHouse
from attribution.adapters.clickhouse_reports import Reports
from attribution.config import Settings
from attribution.entrypoints.calls import calls_router
from attribution.entrypoints.reports import reports_router
from ctrack_common.config_view import ConfigView, api_key_digest
from ctrack_common.events import TenantConfigured, TenantConfiguredPayload, event_id_for
from ctrack_common.web import TenantAuth, create_service_app

from .timeline import at

KEY = "key-of-acme"
URL = "/v1/reports/calls-by-source"


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class Client:
    """Requests to the app in-process (httpx over ASGI), as tenant acme unless told otherwise."""

    def __init__(self, app: FastAPI) -> None:
        self._app = app

    def get(
        self, url: str, params: dict[str, str] | None = None, headers: dict[str, str] | None = None
    ) -> Any:
        async def send() -> httpx.Response:
            transport = httpx.ASGITransport(app=self._app)
            async with httpx.AsyncClient(transport=transport, base_url="http://attribution") as http:
                return await http.get(
                    url, params=params, headers={"Authorization": f"Bearer {KEY}", **(headers or {})}
                )

        return asyncio.run(send())


@pytest.fixture
def client() -> Client:
    config = ConfigView()
    config.apply(
        TenantConfigured(
            event_id=event_id_for("acme"),
            occurred_at=at("10:00"),
            recorded_at=at("10:00"),
            tenant_id="acme",
            payload=TenantConfiguredPayload(name="acme", api_key_sha256=(api_key_digest(KEY),)),
        )
    )
    settings = Settings(CLICKHOUSE_PORT=closed_port(), REPORT_MAX_DAYS=31)
    reports = Reports(ClickHouse(settings, retry_seconds=0))
    app = create_service_app(title="t", description="t", readiness=dict)
    app.include_router(reports_router(reports, TenantAuth(config), settings.REPORT_MAX_DAYS))
    app.include_router(calls_router(reports, TenantAuth(config)))
    return Client(app)


def test_a_report_without_an_api_key_is_refused(client: Client) -> None:
    response = client.get(
        URL, params={"from": "2026-03-01", "to": "2026-03-02"}, headers={"Authorization": ""}
    )
    assert response.status_code == 401


def test_a_malformed_date_is_a_422_naming_the_field(client: Client) -> None:
    response = client.get(URL, params={"from": "March 1st", "to": "2026-03-02"})
    assert response.status_code == 422
    assert [p["field"] for p in response.json()["problems"]] == ["query.from"]


def test_a_missing_date_is_a_422_naming_the_field(client: Client) -> None:
    response = client.get(URL, params={"from": "2026-03-01"})
    assert response.status_code == 422
    assert [p["field"] for p in response.json()["problems"]] == ["query.to"]


def test_a_range_ending_before_it_starts_is_a_422_naming_to(client: Client) -> None:
    response = client.get(URL, params={"from": "2026-03-02", "to": "2026-03-01"})
    assert response.status_code == 422
    assert response.json()["problems"][0]["field"] == "query.to"


def test_a_range_longer_than_the_maximum_is_a_422(client: Client) -> None:
    response = client.get(URL, params={"from": "2026-01-01", "to": "2026-03-01"})
    assert response.status_code == 422
    assert "at most 31 days" in response.json()["error"]


def test_an_unreachable_analytics_store_is_a_503_not_a_crash(client: Client) -> None:
    assert client.get(URL, params={"from": "2026-03-01", "to": "2026-03-01"}).status_code == 503
    assert client.get("/v1/calls/twilio:CA1").status_code == 503
