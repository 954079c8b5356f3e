"""Launching, watching and stopping the stack's OS processes, and waiting on conditions.

Each process gets its own session (so Ctrl-C in the terminal reaches only the supervisor, which
stops things in order) and its own log file. A handle can be rebuilt from the state file by another
`ctrack` invocation; the kernel's start time of the process guards against signalling a recycled
PID.
"""

from __future__ import annotations

import datetime as dt
import os
import signal
import subprocess
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import structlog

from ctrack_stack.errors import NotReadyError, ProcessExitedError

__all__ = ["ProcessHandle", "wait_until"]

log = structlog.get_logger(__name__)

KILL_GRACE_SECONDS = 5.0
POLL_INTERVAL_SECONDS = 0.1


def _start_ticks(pid: int) -> int | None:
    """The process start time in clock ticks since boot (Linux), or None where /proc is absent."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    # The command name may contain spaces and parentheses: fields are counted after the last ')'.
    fields = stat.rsplit(")", 1)[1].split()
    return int(fields[19])


def _is_zombie(pid: int) -> bool:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] == "Z"


def _pid_alive(pid: int, start_ticks: int | None) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if _is_zombie(pid):
        return False
    return start_ticks is None or _start_ticks(pid) == start_ticks


@dataclass
class ProcessHandle:
    """One launched process (the leader of its own process group) and where it logs."""

    name: str
    pid: int
    log_path: Path | None
    start_ticks: int | None = None
    # False for a process that shares its group with others (the foreground `ctrack up`).
    owns_group: bool = True
    _popen: subprocess.Popen[bytes] | None = field(default=None, repr=False, compare=False)

    @classmethod
    def spawn(
        cls,
        name: str,
        argv: Sequence[str],
        *,
        log_path: Path,
        cwd: Path | None = None,
        env: Mapping[str, str] | None = None,
    ) -> ProcessHandle:
        """Start `argv` in a new session with stdout and stderr appended to `log_path`."""
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("ab") as log_file:
            started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
            log_file.write(f"\n=== {started} ctrack starts {name}: {' '.join(argv)}\n".encode())
            log_file.flush()
            popen = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                cwd=cwd,
                env=dict(env) if env is not None else None,
                start_new_session=True,
            )
        log.info("process.started", name=name, pid=popen.pid, log=str(log_path))
        return cls(name, popen.pid, log_path, _start_ticks(popen.pid), _popen=popen)

    @classmethod
    def from_record(cls, record: Mapping[str, Any]) -> ProcessHandle:
        """Rebuild a handle written by `to_record` (possibly by another `ctrack` process)."""
        return cls(
            str(record["name"]),
            int(record["pid"]),
            Path(record["log_path"]) if record.get("log_path") else None,
            record.get("start_ticks"),
            bool(record.get("owns_group", True)),
        )

    @classmethod
    def current(cls, name: str) -> ProcessHandle:
        """A handle on this very process, recorded so that another `ctrack` can signal it."""
        return cls(name, os.getpid(), None, _start_ticks(os.getpid()), owns_group=False)

    def to_record(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "pid": self.pid,
            "log_path": str(self.log_path) if self.log_path is not None else None,
            "start_ticks": self.start_ticks,
            "owns_group": self.owns_group,
        }

    def is_running(self) -> bool:
        if self._popen is not None:
            return self._popen.poll() is None
        return _pid_alive(self.pid, self.start_ticks)

    @property
    def returncode(self) -> int | None:
        """The exit status if we launched it and it has exited; None otherwise."""
        return None if self._popen is None else self._popen.poll()

    def log_tail(self, lines: int = 25) -> str:
        if self.log_path is None:
            return ""
        try:
            with self.log_path.open("rb") as log_file:
                log_file.seek(0, os.SEEK_END)
                log_file.seek(max(0, log_file.tell() - 16_384))
                text = log_file.read().decode(errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def stop(self, timeout: float) -> None:
        """SIGTERM the process group, wait up to `timeout`, then SIGKILL what is left."""
        if not self.is_running():
            return
        started = time.monotonic()
        self._signal_group(signal.SIGTERM)
        if self._wait_exit(timeout):
            log.info("process.stopped", name=self.name, seconds=round(time.monotonic() - started, 2))
            return
        log.warning("process.kill", name=self.name, reason=f"still running {timeout}s after SIGTERM")
        self._signal_group(signal.SIGKILL)
        self._wait_exit(KILL_GRACE_SECONDS)

    def _signal_group(self, sig: signal.Signals) -> None:
        try:
            if self.owns_group:
                os.killpg(self.pid, sig)
            else:
                os.kill(self.pid, sig)
        except ProcessLookupError:
            pass

    def _wait_exit(self, timeout: float) -> bool:
        if self._popen is not None:
            try:
                self._popen.wait(timeout)
            except subprocess.TimeoutExpired:
                return False
            return True
        try:
            wait_until(lambda: not self.is_running(), timeout=timeout, what=f"{self.name} to exit")
        except NotReadyError:
            return False
        return True


def wait_until(
    check: Callable[[], bool],
    *,
    timeout: float,
    what: str,
    process: ProcessHandle | None = None,
) -> float:
    """Poll `check` until it returns True; return the seconds it took.

    An exception raised by `check` means "not yet" and is kept for the error message. If `process`
    is given and exits meanwhile, fail at once with the end of its log instead of waiting out the
    deadline.
    """
    started = time.monotonic()
    deadline = started + timeout
    last_error: BaseException | None = None
    while True:
        try:
            if check():
                return time.monotonic() - started
        except Exception as error:  # noqa: BLE001 - any failure of a probe means "not ready yet"
            last_error = error
        if process is not None and not process.is_running():
            raise ProcessExitedError(
                f"{process.name} exited (status {process.returncode}) while waiting for {what}; "
                f"last lines of {process.log_path}:\n{process.log_tail()}"
            )
        if time.monotonic() >= deadline:
            reason = f": {last_error}" if last_error is not None else ""
            hint = f"; see {process.log_path}" if process is not None else ""
            raise NotReadyError(f"timed out after {timeout:.0f}s waiting for {what}{reason}{hint}")
        time.sleep(POLL_INTERVAL_SECONDS)  # noqa: TID251 - the poll interval of a deadline-bounded wait
