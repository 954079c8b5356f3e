"""The ClickHouse that `ctrack_stack` serves (chdb's engine over TCP and HTTP) behaves like a server.

The module starts its own instance (temporary data directory, ports 19000/18123) through the same
library `ctrack up` uses; this is also the smoke test of the launcher's use of chdb's private
`_chdb` entry point, which INFRA.md asks CI to keep.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import httpx
import pytest
from clickhouse_driver import Client

from ctrack_stack import ClickHouseServer, StackSettings

PORT_OFFSET = 10000


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ClickHouseServer]:
    settings = StackSettings.isolated(tmp_path_factory.mktemp("clickhouse-stack"), port_offset=PORT_OFFSET)
    launched = ClickHouseServer(settings)
    launched.start_and_wait()
    yield launched
    launched.stop()


@pytest.fixture
def client(server: ClickHouseServer) -> Iterator[Client]:
    connection = Client("127.0.0.1", port=server.tcp_port)
    yield connection
    connection.disconnect()


def _leases_table(client: Client) -> str:
    table = f"default.leases_{uuid.uuid4().hex[:8]}"
    client.execute(
        f"CREATE TABLE {table} (lease_id String, number String, status LowCardinality(String), "
        "version UInt64, granted_at DateTime64(3, 'UTC')) "
        "ENGINE = ReplacingMergeTree(version) ORDER BY lease_id"
    )
    return table


def test_final_keeps_only_the_latest_version_of_each_row(client: Client) -> None:
    table = _leases_table(client)
    client.execute(
        f"INSERT INTO {table} (lease_id, number, status, version) VALUES",
        [("l-1", "+12025550101", "granted", 1), ("l-2", "+12025550102", "granted", 1)],
    )
    client.execute(
        f"INSERT INTO {table} (lease_id, number, status, version) VALUES",
        [("l-1", "+12025550101", "expired", 2)],
    )

    rows = client.execute(f"SELECT lease_id, status, version FROM {table} FINAL ORDER BY lease_id")

    assert rows == [("l-1", "expired", 2), ("l-2", "granted", 1)]


def test_rows_survive_a_restart(server: ClickHouseServer, client: Client) -> None:
    table = _leases_table(client)
    client.execute(
        f"INSERT INTO {table} (lease_id, number, status, version) VALUES",
        [(f"l-{n}", "+12025550101", "granted", 1) for n in range(100)],
    )
    client.disconnect()

    server.stop()
    server.start_and_wait()

    assert client.execute(f"SELECT count() FROM {table} FINAL") == [(100,)]


def test_the_http_interface_answers_queries(server: ClickHouseServer) -> None:
    response = httpx.get(f"http://127.0.0.1:{server.http_port}/", params={"query": "SELECT 40 + 2"})

    assert response.status_code == httpx.codes.OK
    assert response.text.strip() == "42"
