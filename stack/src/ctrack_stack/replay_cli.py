"""`ctrack replay`: recompute attribution for a time range from the log, or estimate a pool-policy what-if.

    ctrack replay --from 2026-11-01 --to 2026-11-08 [--tenant T] [--output-suffix NAME]
    ctrack replay --from ... --to ... --what-if hold=120,quarantine=7d,delay=50s,reclaim=1h,pool-size=30

Reads the stack's Kafka and ClickHouse (the same variables as `ctrack up`); the
join's grace and the ClickHouse database come from the attribution service's settings.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Annotated, NoReturn

import typer
from confluent_kafka import KafkaException
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from ctrack_stack.config import StackSettings

if TYPE_CHECKING:
    from attribution.config import Settings as AttributionSettings
    from attribution.replay import ReplayOutput, ReplayRange, ReplaySummary

__all__ = ["replay", "summary_tables"]

console = Console()

FromOption = Annotated[
    str, typer.Option("--from", help="Start of the range: ISO date or date-time (UTC if no offset).")
]
ToOption = Annotated[str, typer.Option("--to", help="End of the range, exclusive.")]
TenantOption = Annotated[str | None, typer.Option("--tenant", help="Only this tenant's calls.")]
SuffixOption = Annotated[
    str | None,
    typer.Option(
        "--output-suffix",
        help="Replay id (a-z, 0-9, _): output table attributed_calls_replay_<id>. Default: from the range.",
    ),
]
WhatIfOption = Annotated[
    str | None,
    typer.Option(
        "--what-if",
        help="Re-run the pool policy over the recorded visits with other settings instead: "
        "hold=120,quarantine=7d,delay=50s,reclaim=1h,pool-size=30 (durations in s/m/h/d).",
    ),
]

# How many differing calls to list by id; the counts cover all of them.
_LISTED_DIFFERENCES = 10


def _fail(message: str) -> NoReturn:
    console.print(f"[bold red]error:[/] {escape(message)}")
    raise typer.Exit(2)


def _counts(title: str, counts: Mapping[str, int]) -> Table:
    table = Table(title=title, title_justify="left")
    table.add_column("value")
    table.add_column("calls", justify="right")
    for name, count in counts.items():
        table.add_row(name, str(count))
    return table


def summary_tables(summary: ReplaySummary) -> list[Table]:
    """The replay's classifications, and its comparison with the live final versions."""
    tables = [_counts("classifications (replay)", summary.classifications)]
    if summary.unattributed_reasons:
        tables.append(_counts("unattributed, why", summary.unattributed_reasons))
    compared = Table(title="against the live attributed-calls (final versions)", title_justify="left")
    compared.add_column("outcome")
    compared.add_column("calls", justify="right")
    compared.add_row("same answer", str(summary.same_as_live))
    compared.add_row(
        "  of which reached in a different number of versions", str(summary.version_count_differs)
    )
    compared.add_row("different answer", str(len(summary.differences)))
    for change, count in summary.classification_changes.most_common():
        compared.add_row(f"  classification {change}", str(count))
    for name, count in summary.differing_fields.most_common():
        compared.add_row(f"  field {name} differs", str(count))
    compared.add_row("no live answer", str(len(summary.missing_live)))
    compared.add_row("live answer, none replayed", str(len(summary.missing_replay)))
    tables.append(compared)
    return tables


def _print_replay(output: ReplayOutput) -> None:
    summary = output.summary
    console.print(
        f"replay [bold]{summary.replay_id}[/]: {summary.calls} calls, {summary.versions} versions "
        f"-> topic {output.topic} (header replay-id={summary.replay_id}), table {output.table}",
        soft_wrap=True,
    )
    for table in summary_tables(summary):
        console.print(table)
    for difference in summary.differences[:_LISTED_DIFFERENCES]:
        console.print(
            f"  {difference.call_id}: {difference.live_classification} -> {difference.replay_classification}"
            f" ({', '.join(difference.fields)})",
            markup=False,
            soft_wrap=True,
        )
    phases = ", ".join(f"{name} {seconds:.2f} s" for name, seconds in summary.seconds.items())
    console.print(f"throughput: {summary.calls_per_second:.0f} calls/s ({phases})")


def _print_what_if(
    settings: AttributionSettings, selection: ReplayRange, overrides: Mapping[str, float]
) -> None:
    # Imported here: the simulator (numpy, the engine) loads only for a what-if, not for every command.
    from attribution.replay.what_if import recorded_traffic
    from ctrack_sim.what_if import Overrides
    from ctrack_sim.what_if import what_if as estimate

    with console.status("Reading the recorded visits, leases, calls and configuration..."):
        events = recorded_traffic(settings.KAFKA_BOOTSTRAP_SERVERS, selection)
    with console.status("Re-running the pool policy with the recorded and the what-if settings..."):
        report = estimate(events, Overrides.from_mapping(overrides))
    console.print(report.table())


def replay(
    from_: FromOption,
    to: ToOption,
    tenant: TenantOption = None,
    output_suffix: SuffixOption = None,
    what_if: WhatIfOption = None,
) -> None:
    """Recompute attribution for calls that started in [--from, --to) into a separate topic and table."""
    # Imported here: attribution's join and ClickHouse code load only for this command, not for `ctrack up`.
    from attribution.config import Settings as AttributionSettings
    from attribution.replay import ReplayRange, replay_id_for, run_replay
    from attribution.replay.selection import InvalidReplayRange, parse_instant
    from attribution.replay.what_if import InvalidWhatIf, parse_overrides

    try:
        selection = ReplayRange(parse_instant(from_, "from"), parse_instant(to, "to"), tenant)
        replay_id = replay_id_for(selection, output_suffix)
        overrides = parse_overrides(what_if) if what_if is not None else None
    except (InvalidReplayRange, InvalidWhatIf) as error:
        _fail(str(error))
    stack = StackSettings()
    settings = AttributionSettings(
        KAFKA_BOOTSTRAP_SERVERS=stack.kafka_bootstrap,
        CLICKHOUSE_HOST=stack.clickhouse_host,
        CLICKHOUSE_PORT=stack.clickhouse_port,
    )
    try:
        if overrides is not None:
            _print_what_if(settings, selection, overrides)
            return
        with console.status(f"Replaying {selection.start.isoformat()} .. {selection.end.isoformat()}..."):
            output = run_replay(settings, selection, replay_id)
    except (KafkaException, TimeoutError) as error:
        _fail(f"cannot read the log at {settings.KAFKA_BOOTSTRAP_SERVERS} (is the stack up?): {error}")
    _print_replay(output)
