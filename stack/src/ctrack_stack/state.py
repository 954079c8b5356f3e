"""The state file (`<data_dir>/stack.json`): what `ctrack up` launched, for `ctrack down`/`status`.

It records each component's address and, for what we launched, its process (PID, start time, log),
plus the foreground supervisor if there is one. It is written after a successful start and removed
after a clean stop; a file whose processes are all gone is stale and ignored.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ctrack_stack.processes import ProcessHandle

__all__ = ["Component", "StackState"]


@dataclass(frozen=True)
class Component:
    """Something the stack provides: where it listens and, if we launched it, its process."""

    name: str
    address: str
    note: str = ""
    process: ProcessHandle | None = None

    def to_record(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "address": self.address,
            "note": self.note,
            "process": None if self.process is None else self.process.to_record(),
        }

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> Component:
        process = record.get("process")
        return cls(
            str(record["name"]),
            str(record["address"]),
            str(record.get("note", "")),
            None if process is None else ProcessHandle.from_record(process),
        )


@dataclass
class StackState:
    """Components in start order, and the supervisor process if `ctrack up` stays in the foreground."""

    components: list[Component] = field(default_factory=list)
    supervisor: ProcessHandle | None = None

    @property
    def processes(self) -> list[ProcessHandle]:
        return [component.process for component in self.components if component.process is not None]

    def any_running(self) -> bool:
        handles = [*self.processes, *([self.supervisor] if self.supervisor else [])]
        return any(handle.is_running() for handle in handles)

    def save(self, path: Path) -> None:
        """Write atomically, so a concurrent `ctrack status` never reads half a file."""
        path.parent.mkdir(parents=True, exist_ok=True)
        record = {
            "components": [component.to_record() for component in self.components],
            "supervisor": None if self.supervisor is None else self.supervisor.to_record(),
        }
        partial = path.with_suffix(".tmp")
        partial.write_text(json.dumps(record, indent=2) + "\n")
        os.replace(partial, path)

    @classmethod
    def load(cls, path: Path) -> StackState | None:
        try:
            record = json.loads(path.read_text())
        except FileNotFoundError:
            return None
        supervisor = record.get("supervisor")
        return cls(
            [Component.from_record(item) for item in record.get("components", [])],
            None if supervisor is None else ProcessHandle.from_record(supervisor),
        )
