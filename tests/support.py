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


def rows(db_url: str, sql: str, **params) -> list[dict]:
    """The rows of one query, as dicts, on a throwaway engine (the process's engines stay as they are)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(db_url)
    try:
        with engine.connect() as c:
            return [dict(r._mapping) for r in c.execute(text(sql), params)]
    finally:
        engine.dispose()
