"""The local ClickHouse: chdb's embedded ClickHouse 26.9 served over the network by a subprocess.

The services only ever talk to ClickHouse with clickhouse-driver over the native protocol, so
the local engine (see `clickhouse_server`) and a production server are interchangeable by
configuration. Data lives under `<data_dir>/clickhouse/data` and survives restarts.
"""

from __future__ import annotations

import sys
import time

import structlog
from clickhouse_driver import Client

from ctrack_stack.config import LOCALHOST, StackSettings
from ctrack_stack.net import ensure_port_free, tcp_open
from ctrack_stack.processes import ProcessHandle, wait_until

__all__ = ["ClickHouseServer", "wait_ready"]

log = structlog.get_logger(__name__)


def wait_ready(host: str, port: int, timeout: float, process: ProcessHandle | None = None) -> float:
    """Wait until `SELECT 1` answers over the native protocol; return the seconds waited."""

    def answers() -> bool:
        if not tcp_open(host, port):
            return False
        client = Client(host, port=port, connect_timeout=2, send_receive_timeout=5)
        try:
            return bool(client.execute("SELECT 1") == [(1,)])
        finally:
            client.disconnect()

    return wait_until(answers, timeout=timeout, what=f"ClickHouse at {host}:{port}", process=process)


class ClickHouseServer:
    """The local ClickHouse: its files under `<data_dir>/clickhouse` and, once started, its process."""

    def __init__(self, settings: StackSettings) -> None:
        self.settings = settings
        self.home = settings.data_dir / "clickhouse"
        self.log_path = settings.logs_dir / "clickhouse.log"
        self.process: ProcessHandle | None = None

    @property
    def tcp_port(self) -> int:
        return self.settings.CLICKHOUSE_TCP_PORT

    @property
    def http_port(self) -> int:
        return self.settings.CLICKHOUSE_HTTP_PORT

    def start(self) -> ProcessHandle:
        """Launch the server process (without waiting for it)."""
        ensure_port_free(LOCALHOST, self.tcp_port, "ClickHouse", "CLICKHOUSE_TCP_PORT")
        ensure_port_free(LOCALHOST, self.http_port, "ClickHouse HTTP", "CLICKHOUSE_HTTP_PORT")
        self.home.mkdir(parents=True, exist_ok=True)
        command = [
            sys.executable,
            "-m",
            "ctrack_stack.clickhouse_server",
            "--data-dir",
            str(self.home / "data"),
            "--work-dir",
            str(self.home),
            "--tcp-port",
            str(self.tcp_port),
            "--http-port",
            str(self.http_port),
            "--listen-host",
            LOCALHOST,
        ]
        self.process = ProcessHandle.spawn("clickhouse", command, log_path=self.log_path, cwd=self.home)
        return self.process

    def wait_ready(self, timeout: float | None = None) -> float:
        return wait_ready(
            LOCALHOST, self.tcp_port, timeout or self.settings.CTRACK_START_TIMEOUT, process=self.process
        )

    def start_and_wait(self) -> float:
        """Start and wait for readiness; return the seconds from launch to ready."""
        started = time.monotonic()
        self.start()
        self.wait_ready()
        seconds = time.monotonic() - started
        log.info(
            "clickhouse.ready", tcp_port=self.tcp_port, http_port=self.http_port, seconds=round(seconds, 1)
        )
        return seconds

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(self.settings.CTRACK_STOP_TIMEOUT)
            self.process = None
