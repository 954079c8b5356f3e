"""A single-node Apache Kafka broker in KRaft combined mode, launched from the fetched jars.

The broker is the real thing (`kafka.Kafka` on Java 17), configured for one node: replication
factors of 1, no topic auto-creation (topics come from the registry), no rebalance delay. Its log
directory lives under the stack's data directory, formatted once, so data survives restarts.
"""

from __future__ import annotations

import base64
import subprocess
import time
import uuid
from pathlib import Path
from typing import Any

import structlog
from confluent_kafka.admin import AdminClient

from ctrack_stack.config import LOCALHOST, StackSettings
from ctrack_stack.errors import StackError
from ctrack_stack.kafka_jars import check_tools, ensure_kafka_jars, java_executable
from ctrack_stack.net import ensure_port_free, split_host_port, tcp_open
from ctrack_stack.processes import ProcessHandle, wait_until

__all__ = ["KafkaBroker", "wait_ready"]

log = structlog.get_logger(__name__)

NODE_ID = 1
FORMAT_TIMEOUT_SECONDS = 120
LOG4J2_XML = """<?xml version="1.0" encoding="UTF-8"?>
<!-- Written by ctrack_stack.kafka: the broker logs to stdout, which the launcher appends to a file. -->
<Configuration status="WARN">
  <Appenders>
    <Console name="stdout" target="SYSTEM_OUT">
      <PatternLayout pattern="[%d] %p %m (%c)%n"/>
    </Console>
  </Appenders>
  <Loggers>
    <Root level="INFO"><AppenderRef ref="stdout"/></Root>
    <!-- The full config dump at every start drowns the useful lines. -->
    <Logger name="org.apache.kafka.common.config.AbstractConfig" level="WARN"/>
    <Logger name="kafka.request.logger" level="WARN"/>
    <Logger name="state.change.logger" level="WARN"/>
  </Loggers>
</Configuration>
"""


def _random_cluster_id() -> str:
    """A cluster id in Kafka's `Uuid` text form (URL-safe base64, no padding, no leading '-')."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not text.startswith("-"):
            return text


def wait_ready(bootstrap: str, timeout: float, process: ProcessHandle | None = None) -> float:
    """Wait until a broker at `bootstrap` answers a metadata request; return the seconds waited."""
    host, port = split_host_port(bootstrap, 9092)
    admin: AdminClient | None = None

    def metadata_answered() -> bool:
        nonlocal admin
        if not tcp_open(host, port):
            return False
        if admin is None:
            admin = AdminClient({"bootstrap.servers": bootstrap, "log.connection.close": False})
        return bool(admin.list_topics(timeout=2).brokers)

    return wait_until(metadata_answered, timeout=timeout, what=f"Kafka at {bootstrap}", process=process)


class KafkaBroker:
    """The local broker: its files under `<data_dir>/kafka` and, once started, its process."""

    def __init__(self, settings: StackSettings) -> None:
        self.settings = settings
        self.home = settings.data_dir / "kafka"
        self.config_dir = self.home / "config"
        self.log_dir = self.home / "data"
        self.log_path = settings.logs_dir / "kafka.log"
        self.process: ProcessHandle | None = None

    @property
    def bootstrap(self) -> str:
        return f"{LOCALHOST}:{self.settings.KAFKA_PORT}"

    @property
    def controller_endpoint(self) -> str:
        return f"{LOCALHOST}:{self.settings.KAFKA_CONTROLLER_PORT}"

    def server_properties(self) -> dict[str, Any]:
        port = self.settings.KAFKA_PORT
        return {
            "process.roles": "broker,controller",
            "node.id": NODE_ID,
            "controller.quorum.bootstrap.servers": self.controller_endpoint,
            "listeners": f"PLAINTEXT://{LOCALHOST}:{port},CONTROLLER://{self.controller_endpoint}",
            "advertised.listeners": f"PLAINTEXT://{LOCALHOST}:{port}",
            "controller.listener.names": "CONTROLLER",
            "inter.broker.listener.name": "PLAINTEXT",
            "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
            "log.dirs": str(self.log_dir),
            "num.partitions": 1,
            "auto.create.topics.enable": "false",
            "offsets.topic.replication.factor": 1,
            "transaction.state.log.replication.factor": 1,
            "transaction.state.log.min.isr": 1,
            "share.coordinator.state.topic.replication.factor": 1,
            "share.coordinator.state.topic.min.isr": 1,
            "min.insync.replicas": 1,
            "group.initial.rebalance.delay.ms": 0,
        }

    def write_config(self) -> Path:
        """(Re)write server.properties and log4j2.xml; ports may differ from the last start."""
        self.config_dir.mkdir(parents=True, exist_ok=True)
        lines = [f"{key}={value}" for key, value in self.server_properties().items()]
        properties = self.config_dir / "server.properties"
        properties.write_text("# Written by ctrack_stack.kafka at every start.\n" + "\n".join(lines) + "\n")
        (self.config_dir / "log4j2.xml").write_text(LOG4J2_XML)
        return properties

    def _java(self, main_class: str, *args: str, heap: str) -> list[str]:
        return [
            java_executable(),
            f"-Xmx{heap}",
            "-XX:+UseG1GC",
            "-XX:+ExitOnOutOfMemoryError",
            "-Djava.awt.headless=true",
            f"-Dlog4j2.configurationFile={self.config_dir / 'log4j2.xml'}",
            "-cp",
            f"{self.settings.kafka_libs_dir}/*",
            main_class,
            *args,
        ]

    def format_storage(self, properties: Path) -> bool:
        """Format the KRaft log directory once, as a standalone one-voter quorum; True if it did."""
        if (self.log_dir / "meta.properties").exists():
            return False
        command = self._java(
            "kafka.tools.StorageTool",
            "format",
            "--cluster-id",
            _random_cluster_id(),
            "--config",
            str(properties),
            "--standalone",
            heap="256m",
        )
        result = subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=FORMAT_TIMEOUT_SECONDS
        )
        if result.returncode != 0:
            raise StackError(f"formatting Kafka storage failed:\n{result.stdout}{result.stderr}")
        log.info("kafka.formatted", log_dir=str(self.log_dir))
        return True

    def start(self) -> ProcessHandle:
        """Fetch the jars if needed, format once, and launch the broker (without waiting)."""
        check_tools(need_maven=False)
        ensure_kafka_jars(self.settings)
        ensure_port_free(LOCALHOST, self.settings.KAFKA_PORT, "Kafka", "KAFKA_PORT")
        ensure_port_free(
            LOCALHOST, self.settings.KAFKA_CONTROLLER_PORT, "the Kafka controller", "KAFKA_CONTROLLER_PORT"
        )
        properties = self.write_config()
        self.format_storage(properties)
        command = self._java("kafka.Kafka", str(properties), heap=self.settings.CTRACK_KAFKA_HEAP)
        self.process = ProcessHandle.spawn("kafka", command, log_path=self.log_path, cwd=self.home)
        return self.process

    def wait_ready(self, timeout: float | None = None) -> float:
        return wait_ready(self.bootstrap, timeout or self.settings.CTRACK_START_TIMEOUT, process=self.process)

    def start_and_wait(self) -> float:
        """Start and wait for readiness; return the seconds from launch to ready."""
        started = time.monotonic()
        self.start()
        self.wait_ready()
        seconds = time.monotonic() - started
        log.info("kafka.ready", bootstrap=self.bootstrap, seconds=round(seconds, 1))
        return seconds

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop(self.settings.CTRACK_STOP_TIMEOUT)
            self.process = None
