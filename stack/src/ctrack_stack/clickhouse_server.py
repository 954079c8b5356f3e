"""Process entry point that serves chdb's embedded ClickHouse 26.9 over TCP and HTTP.

Run as `python -m ctrack_stack.clickhouse_server --data-dir D --tcp-port P --http-port H`; stop it
with SIGTERM. chdb's command-line entry point (`chdb._chdb.query`) is clickhouse-local, which
accepts `SYSTEM START LISTEN QUERIES ALL` and then serves the ports named in `./config.xml` of the
working directory for as long as that call runs. So the call ends in a keep-alive query that never
finishes: one row per second from an endless `system.numbers`, one row per block so each sleep
stays under the per-block sleep limit. The keep-alive must never be `KILL QUERY`-ed.

This relies on chdb's private `_chdb` module, hence the exact pin of chdb-core and the launcher
smoke test.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
from pathlib import Path

__all__ = ["KEEP_ALIVE_SQL", "config_xml", "main"]

KEEP_ALIVE_SQL = "SELECT sleepEachRow(1) FROM system.numbers SETTINGS max_block_size = 1 FORMAT Null"


def config_xml(tcp_port: int, http_port: int, listen_host: str) -> str:
    # No TLS and a passwordless default user: listen on loopback only.
    return (
        "<clickhouse>\n"
        f"  <tcp_port>{tcp_port}</tcp_port>\n"
        f"  <http_port>{http_port}</http_port>\n"
        f"  <listen_host>{listen_host}</listen_host>\n"
        "</clickhouse>\n"
    )


def _parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m ctrack_stack.clickhouse_server", description=__doc__)
    parser.add_argument("--data-dir", type=Path, required=True, help="ClickHouse data path")
    parser.add_argument("--work-dir", type=Path, required=True, help="where config.xml is written")
    parser.add_argument("--tcp-port", type=int, default=9000)
    parser.add_argument("--http-port", type=int, default=8123)
    parser.add_argument("--listen-host", default="127.0.0.1")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Serve until killed; returning at all means the listeners failed (the reason is on stderr)."""
    args = _parse(argv)
    args.data_dir.mkdir(parents=True, exist_ok=True)
    args.work_dir.mkdir(parents=True, exist_ok=True)
    (args.work_dir / "config.xml").write_text(config_xml(args.tcp_port, args.http_port, args.listen_host))
    # clickhouse-local reads ./config.xml of the working directory when the query below starts it.
    os.chdir(args.work_dir)
    engine = importlib.import_module("chdb._chdb")
    print(
        f"ctrack clickhouse_server: serving {args.data_dir} on tcp {args.tcp_port}, http {args.http_port}",
        flush=True,
    )
    result = engine.query(
        f"SYSTEM START LISTEN QUERIES ALL; {KEEP_ALIVE_SQL}", "CSV", path=str(args.data_dir.resolve())
    )
    reason = result.error_message() if result.has_error() else "the keep-alive query returned"
    print(f"ctrack clickhouse_server: stopped serving: {reason}", file=sys.stderr, flush=True)
    return 1


if __name__ == "__main__":
    sys.exit(main())
