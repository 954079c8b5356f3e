"""`ctrack up`, `status` and `down` run and stop a whole stack as separate OS processes.

The five services are stand-ins written by the test (a few lines of `http.server` answering
`/readyz` and echoing their environment), put first on PYTHONPATH, so this checks the supervisor
(order, readiness, environment, state file, clean stop) without depending on the real services.
Each test starts its own Kafka and ClickHouse on ports offset from the defaults.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from ctrack_stack import SERVICES, StackSettings
from ctrack_stack.net import tcp_open
from ctrack_stack.processes import ProcessHandle, wait_until
from ctrack_stack.state import StackState

CLI_TIMEOUT_SECONDS = 240.0
FAKE_SERVICE = """
import json, os
from http.server import BaseHTTPRequestHandler, HTTPServer

NAMES = ("KAFKA_BOOTSTRAP_SERVERS", "CLICKHOUSE_HOST", "CLICKHOUSE_PORT", "HTTP_PORT")


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        body = json.dumps({name: os.environ.get(name) for name in NAMES}).encode()
        self.send_response(200)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


HTTPServer(("127.0.0.1", int(os.environ["HTTP_PORT"])), Handler).serve_forever()
"""


def _fake_services(root: Path) -> Path:
    for spec in SERVICES:
        package = root / spec.module
        package.mkdir(parents=True)
        (package / "__init__.py").write_text("")
        (package / "__main__.py").write_text(FAKE_SERVICE)
    return root


def _env(settings: StackSettings, fakes: Path) -> dict[str, str]:
    inherited = {
        name: value
        for name, value in os.environ.items()
        if name not in StackSettings.model_fields and name != "PYTHONPATH"
    }
    python_path = os.pathsep.join([str(fakes), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return {**inherited, **settings.as_env(), "PYTHONPATH": python_path}


def _ctrack(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "ctrack_stack", *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=CLI_TIMEOUT_SECONDS,
        check=False,
    )


@pytest.fixture
def stack_env(
    tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[tuple[StackSettings, dict[str, str]]]:
    offset: int = request.param
    settings = StackSettings.isolated(tmp_path / "data", port_offset=offset)
    env = _env(settings, _fake_services(tmp_path / "fakes"))
    yield settings, env
    _ctrack(env, "down")


@pytest.mark.parametrize("stack_env", [10200], indirect=True)
def test_up_detached_serves_everything_until_down(stack_env: tuple[StackSettings, dict[str, str]]) -> None:
    settings, env = stack_env

    started = _ctrack(env, "up", "--detach")
    assert started.returncode == 0, started.stdout + started.stderr

    for spec in SERVICES:
        seen = httpx.get(f"{spec.url(settings)}/env", timeout=5).json()
        assert seen == {
            "KAFKA_BOOTSTRAP_SERVERS": settings.kafka_bootstrap,
            "CLICKHOUSE_HOST": "127.0.0.1",
            "CLICKHOUSE_PORT": str(settings.CLICKHOUSE_TCP_PORT),
            "HTTP_PORT": str(spec.port(settings)),
        }
    assert _ctrack(env, "status").returncode == 0
    state = StackState.load(settings.state_file)
    assert state is not None
    assert [handle.name for handle in state.processes] == ["kafka", "clickhouse"] + [s.name for s in SERVICES]

    stopped = _ctrack(env, "down")

    assert stopped.returncode == 0, stopped.stdout + stopped.stderr
    assert not any(handle.is_running() for handle in state.processes)
    assert not tcp_open("127.0.0.1", settings.KAFKA_PORT)
    assert _ctrack(env, "status").returncode == 1


@pytest.mark.parametrize("stack_env", [10300], indirect=True)
def test_sigterm_stops_a_foreground_stack(stack_env: tuple[StackSettings, dict[str, str]]) -> None:
    settings, env = stack_env
    supervisor = ProcessHandle.spawn(
        "ctrack up",
        [sys.executable, "-m", "ctrack_stack", "up", "--infra-only"],
        log_path=settings.logs_dir / "ctrack-up.log",
        env=env,
    )
    try:
        wait_until(
            settings.state_file.exists,
            timeout=CLI_TIMEOUT_SECONDS,
            what="the stack to start",
            process=supervisor,
        )
        state = StackState.load(settings.state_file)
        assert state is not None
        assert state.supervisor is not None
        assert state.supervisor.pid == supervisor.pid

        os.kill(supervisor.pid, signal.SIGTERM)
        wait_until(lambda: not supervisor.is_running(), timeout=60, what="the supervisor to stop")
    finally:
        supervisor.stop(30)

    assert supervisor.returncode == 0, supervisor.log_tail()
    assert not any(handle.is_running() for handle in state.processes)
    assert not settings.state_file.exists()
    assert "Stopping services, then ClickHouse, then Kafka" in supervisor.log_tail(50)
