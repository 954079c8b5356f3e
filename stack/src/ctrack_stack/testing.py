"""pytest plugin: one real Kafka broker and one real ClickHouse per test session.

Loaded for every test run (`-p ctrack_stack.testing` in the root pyproject). Tests that use the
`kafka_bootstrap` or `clickhouse_port` fixtures (or live under an `integration`/`e2e` folder) are
marked `integration`, so `make unit` runs without starting anything.

`CTRACK_TEST_KAFKA_BOOTSTRAP` / `CTRACK_TEST_CLICKHOUSE_PORT` point the fixtures at an already
running broker / ClickHouse instead (a developer's long-lived stack); otherwise the session starts
its own on free ports, in a temporary data directory, and stops them at the end, so several test
sessions (and a dev stack) can run side by side.
"""

from __future__ import annotations

import os
import socket
import sys
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ctrack_stack.config import StackSettings
from ctrack_stack.errors import NotReadyError
from ctrack_stack.processes import ProcessHandle
from ctrack_stack.processes import wait_until as _wait_until
from ctrack_stack.services import wait_url_ready
from ctrack_stack.supervisor import LocalStack
from ctrack_stack.topics_admin import create_topics

__all__ = ["Infra", "ServiceProcess", "free_port", "start_service", "wait_until"]

INFRA_FIXTURES = {"kafka_bootstrap", "clickhouse_port", "infra"}


def wait_until(check: Callable[[], bool], *, timeout: float, what: str) -> float:
    """Poll `check` until true; fail the test naming `what` after `timeout` seconds."""
    try:
        return _wait_until(check, timeout=timeout, what=what)
    except NotReadyError as exc:
        raise AssertionError(str(exc)) from None


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Infra:
    kafka_bootstrap: str
    clickhouse_port: int


@dataclass
class ServiceProcess:
    """A service started as its own OS process, as `ctrack up` would, for a test."""

    module: str
    port: int
    handle: ProcessHandle
    env: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self, timeout: float = 20.0) -> None:
        self.handle.stop(timeout)


def start_service(
    module: str,
    env: Mapping[str, str],
    log_dir: Path,
    *,
    port: int | None = None,
    ready_timeout: float = 90.0,
) -> ServiceProcess:
    """Start `python -m module` with `env` on a free port and wait until its /readyz answers 200."""
    port = port or free_port()
    full_env = {**os.environ, **env, "HTTP_PORT": str(port), "ENVIRONMENT": "test"}
    handle = ProcessHandle.spawn(
        module, [sys.executable, "-m", module], log_path=log_dir / f"{module}-{port}.log", env=full_env
    )
    service = ServiceProcess(module, port, handle, dict(env))
    try:
        wait_url_ready(service.url, module, ready_timeout, handle)
    except Exception:
        handle.stop(5)
        raise
    return service


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        fixtures = set(getattr(item, "fixturenames", ()))
        parts = set(Path(str(item.fspath)).parts)
        if "e2e" in parts:
            item.add_marker(pytest.mark.e2e)
        elif fixtures & INFRA_FIXTURES or "integration" in parts:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def infra(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Infra]:
    external_kafka = os.environ.get("CTRACK_TEST_KAFKA_BOOTSTRAP")
    if external_kafka:
        create_topics(external_kafka)
        yield Infra(external_kafka, int(os.environ.get("CTRACK_TEST_CLICKHOUSE_PORT", "9000")))
        return
    ports = {
        name: free_port()
        for name, field in StackSettings.model_fields.items()
        if name.endswith("_PORT") and isinstance(field.default, int)
    }
    settings = StackSettings.isolated(tmp_path_factory.mktemp("ctrack-stack"), **ports)
    stack = LocalStack(settings)
    try:
        stack.start_infra()
        yield Infra(settings.kafka_bootstrap, settings.clickhouse_port)
    finally:
        stack.stop()


@pytest.fixture(scope="session")
def kafka_bootstrap(infra: Infra) -> str:
    return infra.kafka_bootstrap


@pytest.fixture(scope="session")
def clickhouse_port(infra: Infra) -> int:
    return infra.clickhouse_port


@pytest.fixture(scope="session")
def service_logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("service-logs")
