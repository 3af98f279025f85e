"""Plain helpers shared by the tests (fixtures live in conftest.py)."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared"
QFLOW = str(REPO / ".venv" / "bin" / "qflow")


def missing_service(message: str) -> None:
    if os.environ.get("QFLOW_ALLOW_MISSING_SERVICES") == "1":
        pytest.skip(message)
    pytest.fail(message, pytrace=False)


def run_cli(*args: str, env: dict | None = None, timeout: float = 120, input: str | None = None):
    """The real console script, as a user runs it."""
    import subprocess

    return subprocess.run([QFLOW, *args], capture_output=True, text=True, timeout=timeout, input=input,
                          env={**os.environ, **(env or {})})
