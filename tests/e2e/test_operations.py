"""Every service answers the operations endpoints SRE relies on, and logs JSON."""

from __future__ import annotations

import json

import httpx
import pytest

from support.system import System

SERVICES = ["tracker", "allocator", "ingest", "attribution", "crm_sync"]


@pytest.mark.parametrize("name", SERVICES)
def test_a_service_exposes_health_readiness_metrics_and_its_openapi(system: System, name: str) -> None:
    service = getattr(system, name)
    assert httpx.get(f"{service.url}/healthz").json() == {"status": "ok"}
    ready = httpx.get(f"{service.url}/readyz")
    assert ready.status_code == 200 and ready.json()["ready"] is True, ready.text
    assert all(ready.json()["checks"].values())
    metrics = httpx.get(f"{service.url}/metrics")
    assert metrics.status_code == 200 and "ctrack_http_requests_total" in metrics.text
    openapi = httpx.get(f"{service.url}/openapi.json").json()
    assert openapi["paths"], "the OpenAPI document lists the service's routes"


@pytest.mark.parametrize("name", SERVICES)
def test_a_service_logs_one_json_object_per_line(system: System, name: str) -> None:
    service = getattr(system, name)
    structured = [
        json.loads(line) for line in service.handle.log_path.read_text().splitlines() if line.startswith("{")
    ]
    assert structured, f"no JSON log lines in {service.handle.log_path}"
    assert all({"event", "level", "timestamp"} <= entry.keys() for entry in structured)
