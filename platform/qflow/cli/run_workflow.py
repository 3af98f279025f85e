"""`qflow run WORKFLOW.yaml`: load, resolve, validate, then execute and print (SPEC §6)."""

from __future__ import annotations

import sys
from pathlib import Path

from qflow.cli.output import emit
from qflow.engine.prepare import WorkflowInvalid, load_spec, prepare_workflow
from qflow.engine.templates import TemplateError, parse_param_overrides


def _progress_printer(total: int):
    from rich.console import Console

    console = Console(stderr=True)
    state = {"done": 0}
    icons = {"completed": "[green]✓[/green]", "failed": "[red]✗[/red]", "timed_out": "[red]⏱[/red]",
             "skipped": "[yellow]↷[/yellow]"}

    def show(key: str, status: str, result) -> None:
        if status in icons:
            state["done"] += 1
            extra = ""
            if result is not None and result.resource_usage:
                extra = f" [dim]{result.resource_usage.get('wall_seconds', 0):.3f}s[/dim]"
            if result is not None and result.error:
                extra += f" [red]{result.error['type']}: {result.error['message'][:120]}[/red]"
            console.print(f"[{state['done']}/{total}] {icons[status]} {key} {status}{extra}")
        else:
            console.print(f"[{state['done']}/{total}] … {key} {status}")

    return show


def reap_abandoned(sessions) -> None:
    """Containers left by a run that was killed go before this one starts."""
    import docker

    from qflow.sandbox.reaper import reap

    removed = reap(docker.from_env(), sessions)
    if removed:
        print(f"removed {len(removed)} abandoned container(s)", file=sys.stderr)


def run_workflow_file(path: Path, param_pairs: list[str], *, queue: bool, as_json: bool) -> int:
    from qflow.cli.render import print_execution
    from qflow.config import get_settings
    from qflow.db.migrate import ensure_migrated
    from qflow.db.session import session_factory
    from qflow.engine.inprocess import execute
    from qflow.sandbox.images import ImageBuildError, ensure_runner_image

    try:
        spec = load_spec(path)
        try:
            params = {**spec.params, **parse_param_overrides(param_pairs)}
        except TemplateError as e:
            raise WorkflowInvalid(str(e), []) from None
        resolved, plan = prepare_workflow(spec, params, path.parent)
    except WorkflowInvalid as e:
        if as_json:
            emit(e.to_json())
        else:
            print(f"error: {e.message}", file=sys.stderr)
            for p in e.problems:
                where = p.connection or p.node or "workflow"
                print(f"  - {where}: {p.message}", file=sys.stderr)
        return 2
    if queue:
        print("error: --queue needs the RQ engine, which is not built yet (issue 6)", file=sys.stderr)
        return 2
    settings = get_settings()
    ensure_migrated(settings.database_url)
    try:
        for version in sorted({r.python_version for r in resolved.values()}):
            ensure_runner_image(version, log=lambda m: print(m, file=sys.stderr, flush=True))
    except ImageBuildError as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    sessions = session_factory(settings.database_url)
    reap_abandoned(sessions)
    print(f"running {spec.name!r}: {len(plan.order)} nodes", file=sys.stderr)
    outcome = execute(sessions, spec, resolved, plan, params, progress=_progress_printer(len(plan.order)))
    result = outcome.to_json()
    if as_json:
        emit(result)
    else:
        print_execution(result)
    return 0 if outcome.status == "completed" else 1
