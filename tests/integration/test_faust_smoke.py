"""faust-streaming (on aiokafka) works against the broker the local stack launches.

Kafka 4.0 removed old protocol versions (KIP-896) that older aiokafka releases used, so this is
the check that our faust/aiokafka pins and our broker version get along: a worker joins its
consumer group, folds a few events into a table (with its changelog topic), is stopped, and a
second worker run recovers the table from the changelog instead of re-reading the events.

The worker runs in a subprocess: this very file, run as a script, is the faust app. Faust is only
imported there, so its import-time warnings stay out of the test process.
"""

from __future__ import annotations

import json
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from confluent_kafka import Producer
from confluent_kafka.admin import AdminClient
from confluent_kafka.cimpl import NewTopic

from ctrack_stack import KafkaBroker, ProcessHandle, StackSettings
from ctrack_stack.processes import wait_until

PORT_OFFSET = 10100
DEADLINE_SECONDS = 90.0
APP_ID = "ctrack-faust-smoke"
TABLE = "totals"
REPORT_KEY = "__report__"
PROCESSED = "PROCESSED "
REPORT = "REPORT "

EVENTS = [("alpha", 1), ("beta", 10), ("alpha", 2), ("gamma", 7), ("beta", 5), ("alpha", 3)]
EXPECTED_TOTALS = {"alpha": 6, "beta": 15, "gamma": 7}


def run_worker(broker_url: str, topic_name: str, data_dir: str) -> None:
    """The faust app: sum the integer values per key into a changelogged in-memory table."""
    import faust

    app = faust.App(
        APP_ID,
        broker=broker_url,
        store="memory://",
        datadir=data_dir,
        web_enabled=False,
        topic_partitions=1,
        topic_replication_factor=1,
    )
    events = app.topic(
        topic_name, key_type=bytes, value_type=bytes, key_serializer="raw", value_serializer="raw"
    )
    totals = app.Table(TABLE, default=int, partitions=1)

    @app.agent(events)
    async def add(stream: Any) -> None:
        async for key, value in stream.items():
            name = key.decode()
            if name == REPORT_KEY:
                print(REPORT + json.dumps(dict(totals.items()), sort_keys=True), flush=True)
                continue
            totals[name] += int(value)
            print(f"{PROCESSED}{name}={totals[name]}", flush=True)

    sys.argv = [sys.argv[0], "worker", "--loglevel", "info"]
    app.main()


@pytest.fixture(scope="module")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[KafkaBroker]:
    settings = StackSettings.isolated(tmp_path_factory.mktemp("faust-stack"), port_offset=PORT_OFFSET)
    launched = KafkaBroker(settings)
    launched.start_and_wait()
    yield launched
    launched.stop()


def _start_worker(broker: KafkaBroker, topic: str, work_dir: Path, run: int) -> ProcessHandle:
    argv = [sys.executable, __file__, f"kafka://{broker.bootstrap}", topic, str(work_dir / "faust-data")]
    return ProcessHandle.spawn(
        f"faust-worker-{run}", argv, log_path=work_dir / f"worker-{run}.log", cwd=work_dir
    )


def _output(worker: ProcessHandle) -> str:
    assert worker.log_path is not None
    return worker.log_path.read_text(errors="replace")


def _produce(bootstrap: str, topic: str, records: list[tuple[str, str]]) -> None:
    producer = Producer({"bootstrap.servers": bootstrap, "acks": "all"})
    for key, value in records:
        producer.produce(topic, key=key.encode(), value=value.encode())
    assert producer.flush(30) == 0


def _report(worker: ProcessHandle) -> dict[str, int] | None:
    # Faust's worker routes print() through its logging, so the marker sits after a log prefix.
    for line in _output(worker).splitlines():
        if REPORT in line:
            report: dict[str, int] = json.loads(line.split(REPORT, 1)[1])
            return report
    return None


def test_a_second_worker_recovers_the_table_from_its_changelog(broker: KafkaBroker, tmp_path: Path) -> None:
    topic = f"faust-smoke-{uuid.uuid4().hex[:8]}"
    admin = AdminClient({"bootstrap.servers": broker.bootstrap})  # must outlive the future below
    admin.create_topics([NewTopic(topic, 1, 1)])[topic].result(30)
    _produce(broker.bootstrap, topic, [(key, str(amount)) for key, amount in EVENTS])

    first = _start_worker(broker, topic, tmp_path, run=1)
    try:
        wait_until(
            lambda: _output(first).count(PROCESSED) == len(EVENTS),
            timeout=DEADLINE_SECONDS,
            what="the first worker to process every event",
            process=first,
        )
    finally:
        first.stop(30)
    assert f"{PROCESSED}alpha=6" in _output(first)

    second = _start_worker(broker, topic, tmp_path, run=2)
    try:
        wait_until(
            lambda: "Worker ready" in _output(second),
            timeout=DEADLINE_SECONDS,
            what="the second worker to recover and start",
            process=second,
        )
        _produce(broker.bootstrap, topic, [(REPORT_KEY, "")])
        wait_until(
            lambda: _report(second) is not None,
            timeout=DEADLINE_SECONDS,
            what="the second worker's report",
            process=second,
        )
    finally:
        second.stop(30)

    assert _report(second) == EXPECTED_TOTALS
    assert PROCESSED not in _output(second), "the second worker re-read events instead of the changelog"


if __name__ == "__main__":
    run_worker(sys.argv[1], sys.argv[2], sys.argv[3])
