"""`qflow types check SRC TGT [--custom-types FILE.json] [--json]` (SPEC §1, §4).

Exit 0 with the verdict whatever it is; exit 2 with a one-line error for a bad type string or a bad
custom types file (`{"error": {"message": ...}}` on stdout with `--json`, `error: ...` on stderr
without). The type system is imported inside the command so `qflow --help` stays fast."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Optional

import typer

app = typer.Typer(no_args_is_help=True, add_completion=False, pretty_exceptions_enable=False)


@app.callback()
def _types() -> None:
    """Check type compatibility."""


def _fail(message: str, as_json: bool) -> None:
    message = " ".join(message.split())  # one line
    if as_json:
        sys.stdout.write(json.dumps({"error": {"message": message}}, ensure_ascii=False) + "\n")
    else:
        sys.stderr.write(f"error: {message}\n")
    raise typer.Exit(2)


@app.command("check")
def check_cmd(
    source: str = typer.Argument(..., metavar="SRC", help="Source type, e.g. 'list[int]'."),
    target: str = typer.Argument(..., metavar="TGT", help="Target type, e.g. 'list[float] | None'."),
    custom_types: Optional[Path] = typer.Option(
        None, "--custom-types", metavar="FILE.json", help='Custom types: {"Point": {"fields": {...}, "required": [...]}}.'
    ),
    as_json: bool = typer.Option(False, "--json", help="Print the verdict as JSON."),
) -> None:
    """Print the compatibility verdict of a value of SRC flowing into TGT."""
    from type_system import CustomTypeError, TypeChecker, TypeParseError, load_custom_types, parse_type

    registry = None
    if custom_types is not None:
        if not custom_types.is_file():
            _fail(f"custom types file not found: {custom_types}", as_json)
        try:
            registry = load_custom_types(custom_types)
        except CustomTypeError as e:
            _fail(f"{custom_types}: {e}", as_json)
    names = registry.names() if registry is not None else frozenset()
    parsed = []
    for label, text in (("source", source), ("target", target)):
        try:
            parsed.append(parse_type(text, names))
        except TypeParseError as e:
            _fail(f"invalid {label} type {text!r}: {e.message} at position {e.position}", as_json)
    verdict = TypeChecker(registry).check(parsed[0], parsed[1])
    if as_json:
        sys.stdout.write(json.dumps(verdict.to_json(), ensure_ascii=False) + "\n")
    else:
        conv = f" ({verdict.conversion})" if verdict.conversion else ""
        sys.stdout.write(f"{verdict.verdict}{conv}: {verdict.reason}\n")
