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
    """What a killed run left goes before this one starts: its execution fails (it would stay
    `running` for ever) and its containers are removed. Executions submitted through the API are left
    to the next server start, which resumes them."""
    import docker

    from qflow.engine.queue.orphans import abort_orphaned_inprocess
    from qflow.sandbox.reaper import reap

    for execution_id in abort_orphaned_inprocess(sessions, only_unowned=True):
        print(f"execution {execution_id} was left running by a process that ended: marked failed", file=sys.stderr)
    removed = reap(docker.from_env(), sessions)
    if removed:
        print(f"removed {len(removed)} abandoned container(s)", file=sys.stderr)


def expire_old_files(sessions, files_dir) -> None:
    """Temporary files (big node outputs) past their expiry go too (workers do this in server mode)."""
    from qflow.engine.queue.files import expire_files

    expire_files(sessions, Path(files_dir))


def run_workflow_file(path: Path, param_pairs: list[str], *, queue: bool, as_json: bool) -> int:
    from qflow.cli.render import print_execution
    from qflow.config import get_settings
    from qflow.db.migrate import ensure_migrated
    from qflow.db.session import session_factory
    from qflow.sandbox.images import ImageBuildError

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
    settings = get_settings()
    if queue and not settings.redis_url:
        print("error: --queue needs QFLOW_REDIS_URL (the Redis the workers listen on)", file=sys.stderr)
        return 2
    ensure_migrated(settings.database_url)
    sessions = session_factory(settings.database_url)
    if queue:
        code, result = _run_on_queue(sessions, spec, resolved, plan, params, settings)
        if result is None:
            return code
    else:
        from qflow.engine.images import ensure_images

        try:
            ensure_images(resolved, sessions, log=lambda m: print(m, file=sys.stderr, flush=True))
        except ImageBuildError as e:
            print(f"error: {e}", file=sys.stderr)
            return 1
        from qflow.engine.inprocess import execute

        reap_abandoned(sessions)
        expire_old_files(sessions, settings.files_dir)
        print(f"running {spec.name!r}: {len(plan.order)} nodes", file=sys.stderr)
        result = execute(sessions, spec, resolved, plan, params,
                         progress=_progress_printer(len(plan.order))).to_json()
    if as_json:
        emit(result)
    else:
        print_execution(result)
    return 0 if result["status"] == "completed" else 1


def _run_on_queue(sessions, spec, resolved, plan, params, settings) -> tuple[int, dict | None]:
    """Submit to RQ, follow the execution's events until it ends (reconciling it meanwhile, so it
    finishes even if every worker that had its nodes died), and read the result back."""
    from redis.exceptions import RedisError

    from qflow.engine.queue import submit
    from qflow.engine.queue.dispatch import RQDispatcher
    from qflow.engine.queue.reconciler import reconcile
    from qflow.engine.queue.snapshot import SnapshotCache
    from qflow.engine.queue.state import Tuning

    es = settings  # the engine's knobs are fields of the one settings class
    try:
        dispatcher = RQDispatcher(settings.redis_url, es.queue_name)
        dispatcher.connection.ping()
    except RedisError as e:
        print(f"error: Redis at QFLOW_REDIS_URL does not answer: {e}", file=sys.stderr)
        return 1, None
    execution_id = submit.create(sessions, spec, resolved, plan, params, queue="rq", app_settings=settings)
    print(f"queued {spec.name!r}: {len(plan.order)} nodes, execution {execution_id} on queue {es.queue_name!r}",
          file=sys.stderr)
    submit.start(sessions, execution_id, dispatcher)
    from rq import Worker

    if not Worker.count(queue=dispatcher.queue):
        print(f"no worker listens on queue {es.queue_name!r} yet: the execution waits for one "
              f"(start `qflow worker` with the same QFLOW_REDIS_URL and QFLOW_DATABASE_URL)", file=sys.stderr)
    show = _progress_printer(len(plan.order))
    snapshots, tuning = SnapshotCache(size=1), Tuning.from_settings(settings, es)

    def on_event(ev) -> None:
        node = (ev.payload or {}).get("node")
        kind = ev.event_type
        if kind == "node_started":
            attempt = ev.payload.get("attempt", 1)
            show(node, "running" if attempt == 1 else f"attempt {attempt}", None)
        elif kind == "node_completed":
            show(node, "completed", None)
        elif kind == "node_failed":
            show(node, ev.payload.get("status") or "failed", None)
        elif kind == "node_skipped":
            show(node, "skipped", None)
        elif kind == "node_retried":
            print(f"  ↻ {node} attempt {ev.payload.get('attempt')} {ev.payload.get('reason')}; retrying",
                  file=sys.stderr)
        elif kind in ("paused", "resumed", "cancelled"):
            print(f"execution {kind}", file=sys.stderr)

    try:
        submit.wait(sessions, execution_id, dispatcher, on_event=on_event, reconcile_seconds=es.reconcile_seconds,
                    reconcile=lambda: reconcile(sessions, dispatcher, snapshots, tuning, es,
                                                execution_id=execution_id))
    except KeyboardInterrupt:
        print(f"\nstopped waiting: execution {execution_id} goes on on the workers "
              f"(GET /api/v1/executions/{execution_id}, or cancel it there)", file=sys.stderr)
        return 130, None
    return 0, submit.outcome(sessions, execution_id, settings.files_dir).to_json()
