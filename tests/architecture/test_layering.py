"""The architecture holds: pure domain cores, one registry of topic names, explicit public surfaces."""

from __future__ import annotations

import ast
import importlib
import pkgutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DOMAIN_DIRS = sorted(ROOT.glob("services/*/src/*/domain"))
# What a domain core may not touch: brokers, databases, the network, the web, the clock, randomness.
FORBIDDEN_IN_DOMAIN = {
    "confluent_kafka",
    "faust",
    "aiokafka",
    "clickhouse_driver",
    "httpx",
    "fastapi",
    "starlette",
    "uvicorn",
    "ctrack_common.messaging",
    "ctrack_common.web",
    "time",
    "random",
    "secrets",
    "os",
}
CLOCK_CALLS = {"now", "utcnow", "today", "time", "monotonic"}


def imported_modules(tree: ast.AST) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
    return found


def domain_files() -> list[Path]:
    return sorted(path for directory in DOMAIN_DIRS for path in directory.rglob("*.py"))


def test_every_service_has_a_domain_core() -> None:
    services = {p.name for p in (ROOT / "services").iterdir() if p.is_dir()}
    assert {d.parents[2].name for d in DOMAIN_DIRS} == services


@pytest.mark.parametrize("path", domain_files(), ids=lambda p: str(p.relative_to(ROOT / "services")))
def test_domain_code_does_no_io_and_reads_no_clock(path: Path) -> None:
    tree = ast.parse(path.read_text())
    package = path.relative_to(ROOT / "services").parts[2]  # services/<service>/src/<package>/domain/...
    bad_imports = {
        module
        for module in imported_modules(tree)
        if any(module == f or module.startswith(f + ".") for f in FORBIDDEN_IN_DOMAIN)
        or module.startswith((f"{package}.adapters", f"{package}.entrypoints", f"{package}.bootstrap"))
    }
    clock_reads = [
        f"line {node.lineno}"
        for node in ast.walk(tree)
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in CLOCK_CALLS
        and isinstance(node.func.value, ast.Name)
        and node.func.value.id in {"datetime", "date", "time"}
    ]
    assert not bad_imports, f"{path.name} imports {sorted(bad_imports)}"
    assert not clock_reads, f"{path.name} reads the clock at {clock_reads}: pass `now` in"


TOPIC_NAMES = {
    "visits",
    "leases",
    "calls",
    "attributed-calls",
    "lease-history-by-number",
    "config-tenants",
    "config-sites",
    "config-pools",
    "config-numbers",
    "config-webhooks",
    "webhook-deliveries",
    "dead-letters",
}


KAFKA_CALLS = {"produce", "subscribe", "TopicPartition", "NewTopic", "list_topics", "Topic"}


def _call_name(node: ast.Call) -> str:
    func = node.func
    return func.attr if isinstance(func, ast.Attribute) else func.id if isinstance(func, ast.Name) else ""


def test_topic_names_are_written_only_in_the_registry() -> None:
    registry = ROOT / "libs/common/src/ctrack_common/topics.py"
    sources = [
        *ROOT.glob("services/*/src/**/*.py"),
        *ROOT.glob("libs/common/src/**/*.py"),
        *ROOT.glob("stack/src/**/*.py"),
    ]
    offenders = []
    for path in sources:
        if path == registry:
            continue
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call) or _call_name(node) not in KAFKA_CALLS:
                continue
            literals = [n for arg in node.args for n in ast.walk(arg) if isinstance(n, ast.Constant)]
            offenders += [
                f"{path.relative_to(ROOT)}:{n.lineno} {n.value!r}" for n in literals if n.value in TOPIC_NAMES
            ]
    assert offenders == [], "name topics through ctrack_common.topics, not string literals"


@pytest.mark.parametrize("package", ["ctrack_common", "ctrack_stack"])
def test_every_public_surface_exports_names_that_exist(package: str) -> None:
    root = importlib.import_module(package)
    missing = []
    for info in pkgutil.walk_packages(root.__path__, prefix=f"{package}."):
        if info.name.endswith(("__main__", ".testing")):
            continue
        module = importlib.import_module(info.name)
        missing += [
            f"{info.name}.{name}" for name in getattr(module, "__all__", ()) if not hasattr(module, name)
        ]
    assert missing == []
