"""`qflow run-node` (SPEC §1, §5) and `qflow run` (SPEC §6)."""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path
from typing import Annotated, Optional

import typer

from qflow.cli.output import emit, fail


def register(app: typer.Typer) -> None:
    app.command("run-node")(run_node)
    app.command("run")(run_workflow)


def run_node(
    file: Annotated[Path, typer.Argument(help="the node's .py file")],
    inputs: Annotated[str, typer.Option("--inputs", help="the inputs as a JSON object")] = "{}",
    python: Annotated[Optional[str], typer.Option("--python", help="3.9, 3.11 or 3.13")] = None,
    timeout: Annotated[Optional[float], typer.Option("--timeout", help="seconds")] = None,
    memory: Annotated[Optional[int], typer.Option("--memory", help="MiB")] = None,
    main: Annotated[str, typer.Option("--main", help="the main function's name")] = "main",
    as_json: Annotated[bool, typer.Option("--json", help="print the run result as JSON")] = False,
) -> None:
    """Run one node in its sandbox container and print its run result."""
    from qflow.authoring import NodeParseError
    from qflow.config import get_settings
    from qflow.sandbox.container import Limits
    from qflow.sandbox.images import ImageBuildError, ensure_runner_image
    from qflow.sandbox.outcome import failure
    from qflow.sandbox.run_node import prepare, run_prepared

    settings = get_settings()
    version = python or settings.default_python_version
    code = _read_source(file, as_json)
    try:
        given = json.loads(inputs)
    except ValueError as e:
        fail(f"--inputs is not valid JSON: {e}", as_json)
    if not isinstance(given, dict):
        fail("--inputs must be a JSON object mapping input names to values", as_json)
    _check_limits(timeout, memory, as_json)
    limits = Limits(
        timeout_seconds=timeout if timeout is not None else settings.default_timeout_seconds,
        memory_mb=memory if memory is not None else settings.default_memory_mb,
        pids=settings.default_pids_limit,
        output_bytes=settings.default_output_limit_bytes,
        tmp_mb=settings.default_tmp_size_mb,
    )
    try:
        node = prepare(code, main=main, python_version=version)
    except NodeParseError as e:
        result = failure("NodeError", f"{e.message} (line {e.line}, column {e.column})", version)
    else:
        try:
            ensure_runner_image(version, log=lambda m: print(m, file=sys.stderr, flush=True))
        except ImageBuildError as e:
            result = failure("SandboxError", str(e), version)
        else:
            result = run_prepared(node, given, limits)
    if as_json:
        emit(result.to_json())
    else:
        from qflow.cli.render import print_run_result

        print_run_result(result.to_json())
    raise typer.Exit(0 if result.status == "completed" else 1)


def run_workflow(
    workflow: Annotated[Path, typer.Argument(help="the workflow's YAML file")],
    param: Annotated[Optional[list[str]], typer.Option("--param", help="K=V (V read as JSON when it parses)")] = None,
    queue: Annotated[bool, typer.Option("--queue", help="run through Redis/RQ workers")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="print the result as JSON")] = False,
) -> None:
    """Validate and run a workflow; progress goes to stderr, the result to stdout."""
    from qflow.cli.run_workflow import run_workflow_file

    code = run_workflow_file(workflow, param or [], queue=queue, as_json=as_json)
    raise typer.Exit(code)


_LIMIT_OPTIONS = {"timeout_seconds": ("--timeout", "seconds"), "memory_mb": ("--memory", "MiB")}


def _check_limits(timeout: float | None, memory: int | None, as_json: bool) -> None:
    """--timeout and --memory within a workflow's bounds for the same limits (SPEC §6): `float` options
    accept "nan" and "inf", which slipped past a bare `<= 0` check and failed in the sandbox, as did a
    timeout too large for its clock (1e300)."""
    from pydantic import ValidationError

    from qflow.engine.spec import LimitOverrides

    if timeout is not None and not math.isfinite(timeout):
        fail(f"--timeout must be a finite number of seconds, not {timeout}", as_json)
    try:
        LimitOverrides(timeout_seconds=timeout, memory_mb=memory)
    except ValidationError as e:
        problem = e.errors()[0]  # "Input should be greater than 0"
        option, unit = _LIMIT_OPTIONS[problem["loc"][0]]
        value = f"{timeout:g}" if option == "--timeout" else str(memory)
        bound = problem["msg"].removeprefix("Input should be ")
        fail(f"{option} must be {bound} ({unit}), not {value}", as_json)


def _read_source(file: Path, as_json: bool) -> str:
    """The node's text decoded as `node inspect` and Python decode it: a UTF-8 BOM or a PEP 263 coding
    cookie is honoured (a plain UTF-8 read keeps the BOM, which then fails at run time)."""
    from qflow.authoring import NodeParseError, decode_source

    try:
        return decode_source(file.read_bytes())
    except FileNotFoundError:
        fail(f"{file}: no such file", as_json)
    except OSError as e:
        fail(f"{file}: cannot read it ({e.strerror or e})", as_json)
    except NodeParseError as e:
        fail(f"{file}: {e.message}", as_json)
