"""`ctrack`: set up, start, inspect and stop the local stack.

    ctrack setup                 fetch the Kafka jars (needs java 17+ and mvn)
    ctrack up [--detach] [--infra-only]
    ctrack status
    ctrack down
    ctrack sim [--days 1] [--hold 420] ...   accuracy against ground truth (simulated traffic)
    ctrack plan --peak-hour-arrivals N    smallest pool meeting a target accuracy
    ctrack replay --from ISO --to ISO [--tenant T] [--output-suffix NAME] [--what-if ...]

Configuration comes from the environment (see `config.StackSettings`).
"""

from __future__ import annotations

import signal
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, NoReturn

import httpx
import typer
from rich.console import Console
from rich.table import Table

from ctrack_sim.cli import plan_command, sim_command
from ctrack_stack.config import StackSettings
from ctrack_stack.demo import DemoEndpoints, seed_demo
from ctrack_stack.errors import StackError
from ctrack_stack.kafka_jars import check_tools, ensure_kafka_jars
from ctrack_stack.net import split_host_port, tcp_open
from ctrack_stack.processes import ProcessHandle
from ctrack_stack.replay_cli import replay
from ctrack_stack.services import SERVICES, service_url
from ctrack_stack.state import Component, StackState
from ctrack_stack.supervisor import LocalStack, run_until_signalled, stop_recorded

__all__ = ["app"]

app = typer.Typer(help="The ctrack local stack: Kafka, ClickHouse and the services.", add_completion=False)
console = Console()
app.command()(replay)
app.command("sim")(sim_command)
app.command("plan")(plan_command)

DetachOption = Annotated[
    bool, typer.Option("--detach", "-d", help="Start everything, then return (stop it with `ctrack down`).")
]
DemoOption = Annotated[
    bool,
    typer.Option("--demo", help="Seed a demo tenant, site, numbers and some traffic (see .ctrack/demo.env)."),
]


InfraOnlyOption = Annotated[
    bool, typer.Option("--infra-only", help="Start Kafka, ClickHouse and the topics, not the services.")
]


def _seed_demo(settings: StackSettings) -> None:
    endpoints = DemoEndpoints(
        tracker=service_url("session-tracker", settings),
        allocator=service_url("number-allocator", settings),
        ingest=service_url("call-ingest", settings),
        admin_api_key=settings.ADMIN_API_KEY,
        twilio_auth_token=settings.TWILIO_AUTH_TOKEN,
    )
    env_file = settings.data_dir / "demo.env"
    with console.status("Seeding the demo tenant and some traffic..."):
        tenant = seed_demo(endpoints, env_file)
    console.print(
        f"Demo tenant ready: site key [bold]{tenant.site_key}[/]; `source {env_file}` for its API key."
    )


def _fail(message: str, code: int = 1) -> NoReturn:
    console.print(f"[bold red]error:[/] {message}")
    raise typer.Exit(code)


def _interrupt(signum: int, frame: object) -> None:
    # SIGTERM during start-up takes the same clean-up path as Ctrl-C.
    raise KeyboardInterrupt


@contextmanager
def _signals_ignored() -> Iterator[None]:
    """Let a stop run to its end even if the user presses Ctrl-C again."""
    previous = {sig: signal.signal(sig, signal.SIG_IGN) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _listening(component: Component) -> bool:
    address = component.address.removeprefix("http://")
    host, port = split_host_port(address, 80)
    return tcp_open(host, port)


def _components_table(components: list[Component], logs_dir: Path, *, probe: bool) -> Table:
    table = Table(title="ctrack local stack", title_justify="left", caption=f"logs in {logs_dir}")
    table.add_column("component", style="bold", no_wrap=True)
    table.add_column("listens on", no_wrap=True)
    table.add_column("pid", justify="right")
    if probe:
        table.add_column("state")
    table.add_column("log / note")
    for component in components:
        process = component.process
        pid = "-" if process is None else str(process.pid)
        log_path = None if process is None else process.log_path
        row = [component.name, component.address, pid]
        if probe:
            running = process is None or process.is_running()
            up = running and _listening(component)
            row.append("[green]up[/]" if up else ("[yellow]silent[/]" if running else "[red]exited[/]"))
        table.add_row(*row, component.note if log_path is None else log_path.name)
    return table


def _print_next_steps(settings: StackSettings, *, infra_only: bool, demo: bool) -> None:
    http = f"http://{settings.clickhouse_host}:{settings.CLICKHOUSE_HTTP_PORT}"
    console.print("[bold]What to try next[/]")
    if demo:
        tracker = service_url("session-tracker", settings)
        reports = service_url("attribution", settings)
        console.print(f"  source {settings.data_dir / 'demo.env'}")
        console.print(
            f"  curl -s -X POST {tracker}/v1/visits -H 'content-type: application/json' -d "
            '"{\\"site_key\\": \\"$CTRACK_SITE_KEY\\", \\"visitor_id\\": \\"me\\", '
            '\\"url\\": \\"https://shop.example/?utm_source=google&utm_medium=cpc\\"}"',
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
        console.print(
            f'  curl -s "{reports}/v1/reports/calls-by-source?from=$(date -u -d yesterday +%F)'
            f'&to=$(date -u -d tomorrow +%F)" -H "Authorization: Bearer $CTRACK_API_KEY"',
            markup=False,
            highlight=False,
            soft_wrap=True,
        )
    elif not infra_only:
        console.print(f"  curl {SERVICES[0].url(settings)}/readyz")
    if not infra_only:
        console.print(f"  open {service_url('number-allocator', settings)}/docs  (each service serves /docs)")
    console.print(f"  curl '{http}/?query=SHOW+DATABASES'")
    console.print("  ctrack status    ctrack down    (README.md: 'Try it')")


def _report_exit(handle: ProcessHandle) -> None:
    console.print(f"[bold red]{handle.name} exited[/] (status {handle.returncode}); last lines of its log:")
    console.print(handle.log_tail(), markup=False, highlight=False)


def _refuse_if_running(settings: StackSettings) -> None:
    state = StackState.load(settings.state_file)
    if state is None:
        return
    if state.any_running():
        _fail(f"a stack from {settings.data_dir} is already running: `ctrack status`, `ctrack down`")
    settings.state_file.unlink(missing_ok=True)


@app.command()
def setup() -> None:
    """Check for java and mvn, and fetch the Kafka broker's jars from Maven Central (once)."""
    settings = StackSettings()
    try:
        check_tools()
        seconds = ensure_kafka_jars(settings)
    except StackError as error:
        _fail(str(error))
    version = settings.CTRACK_KAFKA_VERSION
    if seconds is None:
        console.print(f"Kafka {version} jars already in {settings.kafka_libs_dir}")
    else:
        console.print(f"Fetched Kafka {version} into {settings.kafka_libs_dir} in {seconds:.1f}s")


@app.command()
def up(detach: DetachOption = False, infra_only: InfraOnlyOption = False, demo: DemoOption = False) -> None:
    """Start Kafka, ClickHouse, the topics and the services; stay in the foreground unless --detach."""
    settings = StackSettings()
    _refuse_if_running(settings)
    stack = LocalStack(settings)
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        stack.start_infra()
        if not infra_only:
            stack.start_services()
    except StackError as error:
        _fail(str(error))
    except KeyboardInterrupt:
        _fail("interrupted; everything started so far has been stopped", code=130)
    state = stack.state(supervised=not detach)
    state.save(settings.state_file)
    failure: str | None = None
    try:
        # From here on a stop request (Ctrl-C, SIGTERM) at any moment takes the clean stop below.
        if demo and not infra_only:
            _seed_demo(settings)
        console.print(_components_table(state.components, settings.logs_dir, probe=False))
        _print_next_steps(settings, infra_only=infra_only, demo=demo)
        if detach:
            return
        console.print("[dim]Running in the foreground: Ctrl-C stops everything.[/]")
        run_until_signalled(stack, on_exit=_report_exit)
    except KeyboardInterrupt:
        console.print("Interrupted.")
    except httpx.HTTPError as error:
        failure = f"seeding the demo data failed: {error!r}; see the service logs in {settings.logs_dir}"
    console.print("Stopping services, then ClickHouse, then Kafka...")
    with _signals_ignored():
        stack.stop()
        settings.state_file.unlink(missing_ok=True)
    if failure is not None:
        _fail(failure)
    console.print("Stopped.")


@app.command()
def down() -> None:
    """Stop the stack recorded in the data directory (foreground or detached)."""
    settings = StackSettings()
    state = StackState.load(settings.state_file)
    if state is None:
        console.print(f"Nothing recorded in {settings.state_file}; nothing to stop.")
        return
    with _signals_ignored():
        stop_recorded(state, settings.CTRACK_STOP_TIMEOUT)
        settings.state_file.unlink(missing_ok=True)
    console.print("Stopped.")


@app.command()
def status() -> None:
    """Show what runs where; exit status 1 unless everything recorded is up."""
    settings = StackSettings()
    state = StackState.load(settings.state_file)
    if state is None:
        _fail(f"not running (no {settings.state_file})")
    console.print(_components_table(state.components, settings.logs_dir, probe=True))
    if not all(_listening(component) for component in state.components):
        raise typer.Exit(1)
