"""The embedded executor: runs a validated workflow in this process, node after node in topological
order, each node in its own sandbox container. A failed node fails the execution and its dependents
are skipped. (Issue 6 moves the same steps onto RQ workers.)"""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from typing import Any, Callable

from sqlalchemy.orm import Session, sessionmaker

from qflow.engine.recorder import Recorder
from qflow.engine.resolve import ResolvedNode
from qflow.engine.spec import WorkflowSpec
from qflow.engine.validate import Plan
from qflow.sandbox.container import Limits
from qflow.sandbox.outcome import RunResult, failure
from qflow.sandbox.run_node import PreparedNode, run_prepared

# Errors a retry cannot fix: the same inputs give the same refusal.
NOT_RETRIED = {"InputValidationError", "OutputValidationError"}
RETRY_BASE_SECONDS = 0.5

Progress = Callable[[str, str, RunResult | None], None]


@dataclass
class ExecutionOutcome:
    execution_id: uuid.UUID
    status: str
    nodes: dict[str, RunResult] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"execution_id": str(self.execution_id), "status": self.status,
                "nodes": {k: r.to_json() for k, r in self.nodes.items()}}


def limits_for(spec: WorkflowSpec, node_id: str, settings) -> Limits:
    node = next(n for n in spec.nodes if n.id == node_id)
    return Limits(
        timeout_seconds=node.timeout_seconds or spec.settings.timeout_seconds or settings.default_timeout_seconds,
        memory_mb=node.memory_mb or spec.settings.memory_mb or settings.default_memory_mb,
        pids=settings.default_pids_limit,
        output_bytes=settings.default_output_limit_bytes,
        tmp_mb=settings.default_tmp_size_mb,
    )


def gather_inputs(key: str, plan: Plan, resolved: dict[str, ResolvedNode], outputs: dict[str, dict[str, Any]],
                  recorder: Recorder) -> dict[str, Any]:
    """Constants plus upstream outputs, converted along each connection's verdict. A failed conversion
    raises ValueValidationError naming the connection."""
    from qflow.sandbox.signature_types import custom_registry, input_types, output_types
    from type_system.values import ValueValidationError, convert

    values = dict(plan.constants.get(key, {}))
    for c in plan.upstream.get(key, []):
        sn, so, tn, ti = c.ends()
        started = time.perf_counter()
        value = outputs[sn][so]
        if plan.verdicts[c.label]["verdict"] == "convertible":
            src = output_types(resolved[sn].signature)[so]
            tgt = input_types(resolved[tn].signature)[ti]
            regs = custom_registry(resolved[sn].signature).merged(custom_registry(resolved[tn].signature))
            try:
                value = convert(value, src, tgt, regs, path=ti)
            except ValueValidationError as e:
                raise ValueValidationError(c.label, f"conversion failed: {e}") from None
        recorder.data_flow(sn, so, tn, ti, value, time.perf_counter() - started)
        values[ti] = value
    return values


def run_with_retries(node: PreparedNode, inputs: dict[str, Any], limits: Limits, max_retries: int,
                     sandbox, on_attempt: Callable[[int], None]) -> RunResult:
    attempt = 0
    while True:
        attempt += 1
        on_attempt(attempt)
        result = run_prepared(node, inputs, limits, sandbox=sandbox)
        kind = (result.error or {}).get("type")
        if result.status == "completed" or attempt > max_retries or kind in NOT_RETRIED:
            return result
        time.sleep(RETRY_BASE_SECONDS * 2 ** (attempt - 1))


def create_execution(sessions: sessionmaker[Session], spec: WorkflowSpec, resolved: dict[str, ResolvedNode],
                     plan: Plan, params: dict[str, Any], *, owner_id: uuid.UUID | None = None,
                     workflow_version_id: uuid.UUID | None = None) -> Recorder:
    """The execution's rows, status pending: what the API answers 202 with before the run starts."""
    return Recorder.create(
        sessions, definition=spec.to_json(), params=params, node_keys=plan.order,
        node_version_ids={k: r.node_version_id for k, r in resolved.items()},
        owner_id=owner_id, workflow_version_id=workflow_version_id)


def execute(sessions: sessionmaker[Session], spec: WorkflowSpec, resolved: dict[str, ResolvedNode], plan: Plan,
            params: dict[str, Any], *, owner_id: uuid.UUID | None = None,
            workflow_version_id: uuid.UUID | None = None, progress: Progress | None = None) -> ExecutionOutcome:
    recorder = create_execution(sessions, spec, resolved, plan, params, owner_id=owner_id,
                                workflow_version_id=workflow_version_id)
    return run_execution(recorder, spec, resolved, plan, progress)


def run_execution(recorder: Recorder, spec: WorkflowSpec, resolved: dict[str, ResolvedNode], plan: Plan,
                  progress: Progress | None = None) -> ExecutionOutcome:
    from qflow.config import get_settings

    settings = get_settings()
    notify = progress or (lambda *a: None)
    outcome = ExecutionOutcome(recorder.execution_id, "running")
    recorder.execution_started()
    sandbox = make_sandbox(spec, str(recorder.execution_id))
    try:
        _run_nodes(recorder, spec, resolved, plan, settings, notify, outcome, sandbox)
    finally:
        recorder.containers_closed(sandbox.close())
    failed = [k for k in plan.order if outcome.nodes[k].status != "completed"]
    outcome.status = "failed" if failed else "completed"
    error = None
    if failed:
        first = next(k for k in failed if outcome.nodes[k].status != "skipped")
        error = {"node": first, **(outcome.nodes[first].error or {})}
    recorder.execution_finished(outcome.status, error)
    return outcome


def make_sandbox(spec: WorkflowSpec, execution_id: str):
    import docker

    from qflow.sandbox.container import EXECUTION_LABEL
    from qflow.sandbox.sandboxes import ExecutionContainers, FreshContainers

    client = docker.from_env()
    if spec.settings.isolation == "node":
        return FreshContainers(client, {EXECUTION_LABEL: execution_id}, pool=shared_pool())
    return ExecutionContainers(client, execution_id)


_POOL = None


def shared_pool():
    """One pre-start pool per process, shared by every execution it runs (a long-lived server or
    worker keeps it warm across executions)."""
    global _POOL
    if _POOL is None:
        import atexit

        from qflow.sandbox.sandboxes import PrestartPool

        _POOL = PrestartPool(size=2)
        atexit.register(_POOL.close)
    return _POOL


def _run_nodes(recorder: Recorder, spec: WorkflowSpec, resolved: dict[str, ResolvedNode], plan: Plan, settings,
               notify: Progress, outcome: ExecutionOutcome, sandbox) -> None:
    from type_system.values import ValueValidationError

    outputs: dict[str, dict[str, Any]] = {}
    failed: set[str] = set()
    for done, key in enumerate(plan.order, start=1):
        progress_after = round(100.0 * done / len(plan.order), 1)
        blocked = [c.ends()[0] for c in plan.upstream.get(key, []) if c.ends()[0] in failed]
        if blocked:
            recorder.node_skipped(key, because=blocked[0])
            outcome.nodes[key] = RunResult(status="skipped", python_version=resolved[key].python_version)
            failed.add(key)
            notify(key, "skipped", None)
            continue
        node = PreparedNode(code=resolved[key].code, signature=resolved[key].signature,
                            python_version=resolved[key].python_version)
        try:
            inputs = gather_inputs(key, plan, resolved, outputs, recorder)
        except ValueValidationError as e:
            recorder.node_started(key, 1, {})
            result = failure("InputValidationError", str(e), node.python_version)
        else:
            def started(attempt: int, key: str = key, inputs: dict = inputs) -> None:
                recorder.node_started(key, attempt, inputs)
                notify(key, "running" if attempt == 1 else f"retry {attempt - 1}", None)

            result = run_with_retries(node, inputs, limits_for(spec, key, settings), spec.settings.max_retries,
                                      sandbox, started)
        recorder.node_finished(key, result, progress_after)
        outcome.nodes[key] = result
        notify(key, result.status, result)
        if result.status == "completed":
            outputs[key] = result.outputs or {}
        else:
            failed.add(key)
