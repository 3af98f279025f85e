"""Printing results and errors the same way in every command: JSON on stdout with --json, a one-line
message on stderr otherwise, and never a traceback for bad input."""

from __future__ import annotations

import json
import sys
from typing import Any, NoReturn

import typer


def emit(obj: Any) -> None:
    sys.stdout.write(json.dumps(obj, indent=2, ensure_ascii=False) + "\n")
    sys.stdout.flush()


def fail(message: str, as_json: bool, code: int = 2, **extra: Any) -> NoReturn:
    if as_json:
        emit({"error": {"message": message, **extra}})
    else:
        print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(code)
