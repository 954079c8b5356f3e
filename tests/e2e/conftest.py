"""Fixtures for end-to-end tests: the whole system once per session, a fresh tenant per test."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ctrack_stack.testing import Infra
from support.system import System, Tenant, create_tenant, running_system
from support.webhook_receiver import WebhookReceiver


@pytest.fixture(scope="session")
def system(infra: Infra, service_logs: Path) -> Iterator[System]:
    yield from running_system(infra, service_logs)


@pytest.fixture
def tenant(system: System) -> Tenant:
    return create_tenant(system)


@pytest.fixture
def receiver() -> Iterator[WebhookReceiver]:
    server = WebhookReceiver()
    server.start()
    yield server
    server.stop()
