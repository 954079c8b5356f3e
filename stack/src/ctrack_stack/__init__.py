"""The ctrack local stack: a real Kafka broker and ClickHouse engine launched by our own code.

Public surface for test fixtures, benchmarks and `make run` (the `ctrack` CLI is built on it):

    settings = StackSettings.isolated(tmp_path)        # or StackSettings() from the environment
    with LocalStack(settings) as stack:
        stack.start_infra()                             # Kafka, ClickHouse, topics
        stack.start_services()                          # the five services, each `/readyz` 200
        ...                                             # stack.kafka_bootstrap, stack.clickhouse_port
"""

from ctrack_stack.clickhouse import ClickHouseServer
from ctrack_stack.config import StackSettings
from ctrack_stack.errors import MissingToolError, NotReadyError, ProcessExitedError, StackError
from ctrack_stack.kafka import KafkaBroker
from ctrack_stack.kafka_jars import check_tools, ensure_kafka_jars
from ctrack_stack.processes import ProcessHandle, wait_until
from ctrack_stack.services import SERVICES, ServiceSpec, service_env
from ctrack_stack.supervisor import LocalStack
from ctrack_stack.topics_admin import create_topics

__all__ = [
    "SERVICES",
    "ClickHouseServer",
    "KafkaBroker",
    "LocalStack",
    "MissingToolError",
    "NotReadyError",
    "ProcessExitedError",
    "ProcessHandle",
    "ServiceSpec",
    "StackError",
    "StackSettings",
    "check_tools",
    "create_topics",
    "ensure_kafka_jars",
    "service_env",
    "wait_until",
]
