"""Tiny TCP probes used before the protocol-level readiness checks.

Probing the port first keeps the client libraries from logging a burst of "connection refused"
errors while a server is still starting, and lets us refuse to start on a port already taken.
"""

from __future__ import annotations

import socket

from ctrack_stack.errors import StackError

__all__ = ["ensure_port_free", "split_host_port", "tcp_open"]


def tcp_open(host: str, port: int, timeout: float = 0.5) -> bool:
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def ensure_port_free(host: str, port: int, what: str, setting: str) -> None:
    """Fail early, naming the setting to change, when something already listens on `port`."""
    if tcp_open(host, port):
        raise StackError(
            f"cannot start {what}: {host}:{port} is already in use "
            f"(stop what listens there, or set {setting} to another port)"
        )


def split_host_port(address: str, default_port: int) -> tuple[str, int]:
    """`host:port` (first of a comma-separated list) as a pair."""
    first = address.split(",", maxsplit=1)[0].strip()
    host, _, port = first.rpartition(":")
    if not host:
        return first, default_port
    return host.strip("[]"), int(port)
