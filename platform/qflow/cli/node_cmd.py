"""`qflow node inspect FILE [--main NAME] [--python X.Y] --json` (SPEC §1, §3)."""

from __future__ import annotations

import json

import typer

app = typer.Typer(no_args_is_help=True)


def _error(message: str, line: int = 1, column: int = 1) -> dict:
    return {"error": {"message": message, "line": line, "column": column}}


@app.callback()
def _node() -> None:
    """Inspect node files."""


@app.command("inspect")
def inspect(
    file: str = typer.Argument(..., help="The node's Python file."),
    main: str = typer.Option("main", "--main", help="Name of the main function."),
    python: str = typer.Option("3.11", "--python", help="The node's Python version (3.9, 3.11, 3.13)."),
    as_json: bool = typer.Option(False, "--json", help="Print the signature as JSON."),
) -> None:
    """Print a node file's signature; exit 2 with an error payload when it cannot be read."""
    from pathlib import Path

    from qflow.authoring import NodeParseError, decode_source, inspect_node

    try:
        try:
            data = Path(file).read_bytes()
        except OSError as exc:
            raise NodeParseError(f"cannot read {file}: {exc.strerror or exc}", 1, 1) from None
        result = inspect_node(decode_source(data), main=main, python_version=python)
    except NodeParseError as err:
        payload = err.to_dict()
    except RecursionError:
        payload = _error("the node is nested too deeply to inspect")
    else:
        payload = None

    if payload is not None:
        if as_json:
            typer.echo(json.dumps(payload, indent=2))
        else:
            e = payload["error"]
            typer.echo(f"{file}:{e['line']}:{e['column']}: {e['message']}", err=True)
        raise typer.Exit(2)

    if as_json:
        typer.echo(json.dumps(result, indent=2))
        return
    typer.echo(f"{'async ' if result['is_async'] else ''}def {result['main_function']}(...)")
    for i in result["inputs"]:
        default = f" = {json.dumps(i['default'])}" if "default" in i else ""
        desc = f"  # {i['description']}" if i["description"] else ""
        typer.echo(f"  in   {i['name']}: {i['type']}{default}{desc}")
    for o in result["outputs"]:
        typer.echo(f"  out  {o['name']}: {o['type']}")
    for name, ct in result["custom_types"].items():
        typer.echo(f"  type {name}: {json.dumps(ct['fields'])} required={ct['required']}")
    if result["dependencies"]:
        typer.echo("  deps " + ", ".join(result["dependencies"]))
    for w in result["warnings"]:
        typer.echo(f"  warning: {w}", err=True)
