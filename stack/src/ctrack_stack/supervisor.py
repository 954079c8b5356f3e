"""Starting and stopping the whole local stack in order: the library behind `ctrack up`/`down`.

`LocalStack` is usable without the CLI (pytest fixtures, benchmarks): `start_infra()` brings up
Kafka, ClickHouse and the topics, `start_services()` the five services, `stop()` everything in
reverse (services, ClickHouse, Kafka). A failed start stops what it had started and re-raises,
so a caller never has to clean up after an exception.
"""

from __future__ import annotations

import contextlib
import signal
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from types import TracebackType

import structlog

from ctrack_common.topics import ALL_TOPICS, Topic
from ctrack_stack import clickhouse, kafka
from ctrack_stack.clickhouse import ClickHouseServer
from ctrack_stack.config import StackSettings
from ctrack_stack.kafka import KafkaBroker
from ctrack_stack.processes import ProcessHandle
from ctrack_stack.services import SERVICES, service_by_name, start_service, wait_service_ready
from ctrack_stack.state import Component, StackState
from ctrack_stack.topics_admin import create_topics

__all__ = ["LocalStack", "run_until_signalled", "stop_recorded"]

log = structlog.get_logger(__name__)

MONITOR_INTERVAL_SECONDS = 1.0


class LocalStack:
    """Kafka, ClickHouse, the topics and the services of one data directory."""

    def __init__(self, settings: StackSettings | None = None) -> None:
        self.settings = settings or StackSettings()
        self.kafka = KafkaBroker(self.settings)
        self.clickhouse = ClickHouseServer(self.settings)
        self.services: dict[str, ProcessHandle] = {}
        self.timings: dict[str, float] = {}

    def __enter__(self) -> LocalStack:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    @property
    def kafka_bootstrap(self) -> str:
        return self.settings.kafka_bootstrap

    @property
    def clickhouse_host(self) -> str:
        return self.settings.clickhouse_host

    @property
    def clickhouse_port(self) -> int:
        return self.settings.clickhouse_port

    def start_infra(self, topics: Iterable[Topic] = ALL_TOPICS) -> None:
        """Start (or, when external, wait for) Kafka and ClickHouse, then create the topics.

        Both servers are launched before either is waited for: the JVM and the ClickHouse engine
        warm up side by side, which saves a couple of seconds on every start.
        """
        settings = self.settings
        timeout = settings.CTRACK_START_TIMEOUT
        with self._stop_on_failure():
            started = time.monotonic()
            if not settings.kafka_external:
                self.kafka.start()
            if not settings.clickhouse_external:
                self.clickhouse.start()
            kafka.wait_ready(self.kafka_bootstrap, timeout, process=self.kafka.process)
            self.timings["kafka"] = time.monotonic() - started
            log.info("kafka.ready", bootstrap=self.kafka_bootstrap, seconds=round(self.timings["kafka"], 1))
            clickhouse.wait_ready(
                self.clickhouse_host, self.clickhouse_port, timeout, process=self.clickhouse.process
            )
            self.timings["clickhouse"] = time.monotonic() - started
            log.info(
                "clickhouse.ready",
                address=f"{self.clickhouse_host}:{self.clickhouse_port}",
                seconds=round(self.timings["clickhouse"], 1),
            )
            create_topics(self.kafka_bootstrap, topics)
            self.timings["topics"] = time.monotonic() - started

    def start_services(self, names: Sequence[str] | None = None) -> None:
        """Launch the services (all, or those named), then wait for each `/readyz`."""
        specs = list(SERVICES) if names is None else [service_by_name(name) for name in names]
        started = time.monotonic()
        with self._stop_on_failure():
            for spec in specs:
                self.services[spec.name] = start_service(spec, self.settings)
            for spec in specs:
                wait_service_ready(
                    spec, self.settings, self.settings.CTRACK_START_TIMEOUT, self.services[spec.name]
                )
                self.timings[spec.name] = time.monotonic() - started
                log.info("service.ready", name=spec.name, url=spec.url(self.settings))

    def stop(self) -> None:
        """Stop services (reverse start order), then ClickHouse, then Kafka; safe to call twice."""
        for name in reversed(list(self.services)):
            self.services.pop(name).stop(self.settings.CTRACK_STOP_TIMEOUT)
        self.clickhouse.stop()
        self.kafka.stop()

    def processes(self) -> list[ProcessHandle]:
        """What this stack launched and still holds, in start order."""
        infra = [self.kafka.process, self.clickhouse.process]
        return [handle for handle in infra if handle is not None] + list(self.services.values())

    def exited(self) -> list[ProcessHandle]:
        return [handle for handle in self.processes() if not handle.is_running()]

    def components(self) -> list[Component]:
        settings = self.settings
        kafka_note = (
            "external" if settings.kafka_external else f"Kafka {settings.CTRACK_KAFKA_VERSION}, KRaft"
        )
        ch_note = "external" if settings.clickhouse_external else "chdb 26.9 engine"
        listed = [
            Component("kafka", self.kafka_bootstrap, kafka_note, self.kafka.process),
            Component(
                "clickhouse",
                f"{self.clickhouse_host}:{self.clickhouse_port}",
                ch_note,
                self.clickhouse.process,
            ),
        ]
        if not settings.clickhouse_external:
            http = f"http://{self.clickhouse_host}:{settings.CLICKHOUSE_HTTP_PORT}"
            listed.append(Component("clickhouse-http", http, "HTTP interface"))
        for spec in SERVICES:
            if spec.name in self.services:
                listed.append(
                    Component(spec.name, spec.url(settings), spec.summary, self.services[spec.name])
                )
        return listed

    def state(self, *, supervised: bool) -> StackState:
        supervisor = ProcessHandle.current("ctrack up") if supervised else None
        return StackState(self.components(), supervisor)

    @contextlib.contextmanager
    def _stop_on_failure(self) -> Iterator[None]:
        """On any exception (Ctrl-C included) stop what was started, then re-raise."""
        try:
            yield
        except BaseException as error:
            log.error("stack.start_failed", error=str(error) or type(error).__name__)
            self.stop()
            raise


def run_until_signalled(stack: LocalStack, on_exit: Callable[[ProcessHandle], None]) -> None:
    """Block until SIGINT or SIGTERM, reporting once each launched process that exits meanwhile."""
    stop = threading.Event()

    def request_stop(signum: int, frame: object) -> None:
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    reported: set[str] = set()
    try:
        while not stop.wait(MONITOR_INTERVAL_SECONDS):
            for handle in stack.exited():
                if handle.name not in reported:
                    reported.add(handle.name)
                    on_exit(handle)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def stop_recorded(state: StackState, timeout: float) -> None:
    """Stop what a state file records, from any process (`ctrack down`).

    A foreground supervisor is asked first, since it stops its children in order itself; whatever
    is still running afterwards (a detached stack, or a supervisor that died) is stopped here in
    reverse start order.
    """
    supervisor = state.supervisor
    if supervisor is not None and supervisor.is_running():
        supervisor.stop(timeout * (len(state.processes) + 1))
    for handle in reversed(state.processes):
        handle.stop(timeout)
