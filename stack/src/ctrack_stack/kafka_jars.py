"""Fetching the Apache Kafka broker's jars from Maven Central (`ctrack setup`).

Kafka publishes the broker as ordinary Maven artifacts, so the only prerequisites are `java` and
`mvn`; the bundled `maven/pom.xml` names the broker and a log4j2 binding and Maven resolves the rest.
The fetch is skipped when the libs folder already holds the requested version (a marker file).
"""

from __future__ import annotations

import importlib.resources
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import structlog

from ctrack_stack.config import StackSettings
from ctrack_stack.errors import MissingToolError, StackError

__all__ = [
    "MIN_JAVA_MAJOR",
    "VERSION_MARKER",
    "check_tools",
    "ensure_kafka_jars",
    "jars_present",
    "java_executable",
]

log = structlog.get_logger(__name__)

VERSION_MARKER = ".ctrack-kafka-version"
MIN_JAVA_MAJOR = 17
INSTALL_HINT = "install them with: sudo apt-get install openjdk-17-jre-headless maven"
MAVEN_TIMEOUT_SECONDS = 900


def java_executable() -> str:
    """`$JAVA_HOME/bin/java` when JAVA_HOME is set, else `java` from PATH."""
    java_home = os.environ.get("JAVA_HOME")
    if java_home and Path(java_home, "bin", "java").exists():
        return str(Path(java_home, "bin", "java"))
    found = shutil.which("java")
    if found is None:
        raise MissingToolError(f"`java` ({MIN_JAVA_MAJOR}+) is needed to run Kafka; {INSTALL_HINT}")
    return found


def _java_major(java: str) -> int:
    output = subprocess.run([java, "-version"], capture_output=True, text=True, check=False).stderr
    match = re.search(r'version "(\d+)(?:\.(\d+))?', output)
    if match is None:
        raise MissingToolError(f"could not read the Java version from `{java} -version`: {output.strip()}")
    major = int(match.group(1))
    # Java 8 and older report "1.8.0_…".
    return int(match.group(2) or 0) if major == 1 else major


def check_tools(*, need_maven: bool = True) -> None:
    """Fail with an install hint unless java 17+ (and, to fetch jars, mvn) are available."""
    java = java_executable()
    major = _java_major(java)
    if major < MIN_JAVA_MAJOR:
        raise MissingToolError(
            f"Kafka 4 needs Java {MIN_JAVA_MAJOR}+, {java} is Java {major}; {INSTALL_HINT}"
        )
    if need_maven and shutil.which("mvn") is None:
        raise MissingToolError(f"`mvn` (Maven) is needed to fetch Kafka from Maven Central; {INSTALL_HINT}")


def jars_present(libs_dir: Path, version: str) -> bool:
    marker = libs_dir / VERSION_MARKER
    return (
        marker.is_file()
        and marker.read_text().strip() == version
        and any(libs_dir.glob(f"kafka_2.13-{version}.jar"))
    )


def ensure_kafka_jars(settings: StackSettings) -> float | None:
    """Copy Kafka `settings.CTRACK_KAFKA_VERSION` and its dependencies into the libs folder.

    Returns the seconds the fetch took, or None when the jars were already there. Maven writes
    into a sibling folder first so an interrupted fetch never leaves a half-filled libs folder.
    """
    libs = settings.kafka_libs_dir
    version = settings.CTRACK_KAFKA_VERSION
    if jars_present(libs, version):
        return None
    check_tools()
    partial = libs.with_name(libs.name + ".partial")
    shutil.rmtree(partial, ignore_errors=True)
    partial.parent.mkdir(parents=True, exist_ok=True)
    log.info("kafka.fetch", version=version, into=str(libs))
    started = time.monotonic()
    pom_resource = importlib.resources.files("ctrack_stack") / "maven" / "pom.xml"
    with importlib.resources.as_file(pom_resource) as pom:
        command = [
            "mvn",
            "-B",
            "-q",
            "-f",
            str(pom),
            "dependency:copy-dependencies",
            f"-DoutputDirectory={partial}",
            f"-Dkafka.version={version}",
        ]
        result = subprocess.run(
            command, capture_output=True, text=True, check=False, timeout=MAVEN_TIMEOUT_SECONDS
        )
    if result.returncode != 0:
        raise StackError(
            f"Maven could not fetch Kafka {version} ({' '.join(command)}):\n{result.stdout}{result.stderr}"
        )
    (partial / VERSION_MARKER).write_text(version + "\n")
    shutil.rmtree(libs, ignore_errors=True)
    partial.rename(libs)
    seconds = time.monotonic() - started
    log.info("kafka.fetched", version=version, jars=len(list(libs.glob("*.jar"))), seconds=round(seconds, 1))
    return seconds
