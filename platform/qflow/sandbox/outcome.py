"""The run result of SPEC §5, as plain data."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from qflow.display import to_plain_json

STATUSES = ("completed", "failed", "timed_out", "cancelled", "skipped")


@dataclass
class RunResult:
    status: str
    outputs: dict[str, Any] | None = None
    error: dict | None = None
    resource_usage: dict[str, float] = field(default_factory=dict)
    logs: str = ""
    container_id: str | None = None
    python_version: str = "3.11"
    # What the database keeps of the container (not part of the JSON run result).
    container: Any = field(default=None, repr=False, compare=False)

    def to_json(self) -> dict:
        usage = {"cpu_seconds": 0.0, "peak_memory_bytes": 0, "wall_seconds": 0.0, **self.resource_usage}
        return {
            "status": self.status,
            "outputs": None if self.outputs is None else to_plain_json(self.outputs),
            "error": self.error,
            "resource_usage": usage,
            "logs": self.logs,
            "container_id": self.container_id,
            "python_version": self.python_version,
        }


def failure(kind: str, message: str, python_version: str, *, status: str = "failed",
            container_id: str | None = None, traceback: str | None = None) -> RunResult:
    return RunResult(status=status, error={"type": kind, "message": message, "traceback": traceback},
                     container_id=container_id, python_version=python_version)
