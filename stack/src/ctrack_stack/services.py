"""The platform's services as the local stack runs them: one table, one way to launch each.

Each service is a Python package whose `__main__` runs its HTTP server on `HTTP_PORT`; it is ready
when `GET /readyz` answers 200. Adding a service means adding a row here (and its port setting
in `config.StackSettings`).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass

import httpx

from ctrack_stack.config import LOCALHOST, StackSettings
from ctrack_stack.processes import ProcessHandle, wait_until

__all__ = [
    "SERVICES",
    "ServiceSpec",
    "service_by_name",
    "service_env",
    "start_service",
    "wait_service_ready",
    "wait_url_ready",
]

READY_PATH = "/readyz"


@dataclass(frozen=True)
class ServiceSpec:
    """A service: its name in logs and tables, the module `python -m` runs, its port setting."""

    name: str
    module: str
    port_setting: str
    summary: str

    def port(self, settings: StackSettings) -> int:
        return int(getattr(settings, self.port_setting))

    def url(self, settings: StackSettings) -> str:
        return f"http://{LOCALHOST}:{self.port(settings)}"


SERVICES: tuple[ServiceSpec, ...] = (
    ServiceSpec("session-tracker", "session_tracker", "SESSION_TRACKER_PORT", "tracker script API, visits"),
    ServiceSpec("number-allocator", "number_allocator", "NUMBER_ALLOCATOR_PORT", "leases pool numbers"),
    ServiceSpec("call-ingest", "call_ingest", "CALL_INGEST_PORT", "telephony webhooks, calls"),
    ServiceSpec("attribution", "attribution", "ATTRIBUTION_PORT", "joins calls to sessions"),
    ServiceSpec("crm-sync", "crm_sync", "CRM_SYNC_PORT", "webhooks to CRMs"),
)


def service_by_name(name: str) -> ServiceSpec:
    for spec in SERVICES:
        if spec.name == name:
            return spec
    known = ", ".join(spec.name for spec in SERVICES)
    raise KeyError(f"no service named {name!r} (known: {known})")


def service_url(name: str, settings: StackSettings) -> str:
    return service_by_name(name).url(settings)


def service_env(spec: ServiceSpec, settings: StackSettings) -> dict[str, str]:
    """The launching environment plus where Kafka and ClickHouse are and which port to serve."""
    return {
        **os.environ,
        "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap,
        "CLICKHOUSE_HOST": settings.clickhouse_host,
        "CLICKHOUSE_PORT": str(settings.clickhouse_port),
        "HTTP_PORT": str(spec.port(settings)),
        "ADMIN_API_KEY": settings.ADMIN_API_KEY,
        "TWILIO_AUTH_TOKEN": settings.TWILIO_AUTH_TOKEN,
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", service_url("call-ingest", settings)),
        "PYTHONUNBUFFERED": "1",
    }


def start_service(spec: ServiceSpec, settings: StackSettings) -> ProcessHandle:
    """Launch `python -m <module>` (without waiting); its log is `<data_dir>/logs/<name>.log`."""
    return ProcessHandle.spawn(
        spec.name,
        [sys.executable, "-m", spec.module],
        log_path=settings.logs_dir / f"{spec.name}.log",
        env=service_env(spec, settings),
    )


def wait_url_ready(base_url: str, name: str, timeout: float, process: ProcessHandle | None = None) -> float:
    """Wait until `GET <base_url>/readyz` answers 200; return the seconds waited."""
    url = base_url + READY_PATH

    def ready() -> bool:
        return httpx.get(url, timeout=2.0).status_code == httpx.codes.OK

    return wait_until(ready, timeout=timeout, what=f"{name} at {url}", process=process)


def wait_service_ready(
    spec: ServiceSpec, settings: StackSettings, timeout: float, process: ProcessHandle | None = None
) -> float:
    """Wait until the service's `GET /readyz` answers 200; return the seconds waited."""
    return wait_url_ready(spec.url(settings), spec.name, timeout, process)
