"""The embedded executor: the engine's state machine (`qflow.engine.queue.state`) with a thread pool in
this process instead of RQ. Every transition — claim, record, retry with backoff, skip, pause, resume,
cancel — is the same code the RQ workers run; only the delivery of a node's job differs. Nodes run one
at a time by default (`QFLOW_INPROCESS_CONCURRENCY`), each in the execution's sandbox."""

from __future__ import annotations

import logging
import threading
import time
import uuid
from types import SimpleNamespace
from typing import Any, Callable

from sqlalchemy.orm import Session, sessionmaker

from qflow.engine.queue import state
from qflow.engine.queue.dispatch import LocalDispatcher
from qflow.engine.queue.reconciler import reconcile
from qflow.engine.queue.runtime import Heartbeats, NodeRunner, RunnerParts, Sandboxes
from qflow.engine.queue.snapshot import SnapshotCache
from qflow.engine.queue.state import Tuning
from qflow.engine.queue.submit import ExecutionOutcome, create, outcome
from qflow.engine.resolve import ResolvedNode
from qflow.engine.spec import WorkflowSpec
from qflow.engine.validate import Plan
from qflow.sandbox.outcome import RunResult

log = logging.getLogger("qflow.engine")

Progress = Callable[[str, str, RunResult | None], None]

# How many times a stalled in-process execution is recovered before it is failed.
MAX_RECOVERIES = 10

# Executions this process runs in-process, so a resume (API) reaches the thread pool that runs them.
_LOCAL: dict[uuid.UUID, LocalDispatcher] = {}
_LOCAL_LOCK = threading.Lock()

__all__ = ["ExecutionOutcome", "create_execution", "execute", "local_dispatcher", "run_execution"]


class _LocalQueue(LocalDispatcher):
    """The reconciler's questions, answered for a thread pool that is idle: nothing is in flight."""

    def missing(self, jobs):
        return list(jobs)

    def started(self, jobs):
        return []

    def redeliver(self, jobs):
        self.dispatch(jobs)


def create_execution(sessions: sessionmaker[Session], spec: WorkflowSpec, resolved: dict[str, ResolvedNode],
                     plan: Plan, params: dict[str, Any], *, owner_id: uuid.UUID | None = None,
                     workflow_version_id: uuid.UUID | None = None, app_settings=None) -> uuid.UUID:
    """The execution's rows, status pending: what the API answers 202 with before the run starts. This
    process is its runner (`orphans.py` takes it over should the process die)."""
    from qflow.sandbox.sandboxes import worker_identity

    return create(sessions, spec, resolved, plan, params, queue="inprocess", owner_id=owner_id,
                  workflow_version_id=workflow_version_id, app_settings=app_settings,
                  runner_id=worker_identity())


def execute(sessions: sessionmaker[Session], spec: WorkflowSpec, resolved: dict[str, ResolvedNode], plan: Plan,
            params: dict[str, Any], *, owner_id: uuid.UUID | None = None,
            workflow_version_id: uuid.UUID | None = None, progress: Progress | None = None,
            app_settings=None) -> ExecutionOutcome:
    execution_id = create_execution(sessions, spec, resolved, plan, params, owner_id=owner_id,
                                    workflow_version_id=workflow_version_id, app_settings=app_settings)
    return run_execution(sessions, execution_id, progress, app_settings=app_settings)


def local_dispatcher(execution_id: uuid.UUID) -> LocalDispatcher | None:
    with _LOCAL_LOCK:
        return _LOCAL.get(execution_id)


def run_execution(sessions: sessionmaker[Session], execution_id: uuid.UUID, progress: Progress | None = None, *,
                  app_settings=None, engine_settings=None, concurrency: int | None = None) -> ExecutionOutcome:
    """Run a created (pending) execution here until it completes, fails or is cancelled; a paused
    one waits here for its resume."""
    from qflow.config import get_settings
    from qflow.sandbox.sandboxes import worker_identity

    app = app_settings or get_settings()
    es = engine_settings or app  # one settings class: the engine's knobs are the app's unless given
    tuning = Tuning.from_settings(app, es)
    snapshots = SnapshotCache(size=4)
    worker_id = worker_identity()
    sandboxes = Sandboxes(sessions)
    heartbeats = Heartbeats(sessions, worker_id, es.heartbeat_seconds)
    runner = NodeRunner(RunnerParts(sessions, worker_id, tuning, sandboxes, heartbeats, snapshots),
                        progress=progress)
    dispatcher = _LocalQueue(runner.run, concurrency or es.inprocess_concurrency)
    runner.dispatcher = dispatcher
    with _LOCAL_LOCK:
        _LOCAL[execution_id] = dispatcher
    try:
        started = [False]
        recoveries = [0]
        # Recovery as the reconciler does it, with every node of this idle pool counted as lost: this
        # process is the execution's only runner (`runner_id`), so a running node it is not running
        # was lost.
        now_stale = SimpleNamespace(stale_after_seconds=0.0, requeue_grace_seconds=0.0)

        def watch() -> bool:
            """One look at the execution; True once it is over (or no longer this process's to run)."""
            if not started[0]:
                try:
                    dispatcher.dispatch(state.start(sessions, execution_id, snapshots.get(sessions, execution_id)).jobs)
                except state.TransitionRefused as e:
                    if e.status not in ("running", "paused"):  # already over: nothing to run
                        return True
                started[0] = True
            status, runner = state.execution_status_and_runner(sessions, execution_id)
            if status in state.EXECUTION_TERMINAL or status is None:
                return True
            if runner is not None and runner != worker_id:
                log.warning("execution %s is run by %s now; this process stops running it", execution_id, runner)
                return True
            if not dispatcher.wait_idle(timeout=0.5):
                return False
            status = state.execution_status(sessions, execution_id)
            if status != "running":
                if status == "paused":
                    time.sleep(0.2)
                return False
            # Idle, yet running: a job died before it could record its node. Put it right.
            time.sleep(0.05)
            if not dispatcher.idle():
                return False
            recoveries[0] += 1
            if recoveries[0] > MAX_RECOVERIES:
                state.abort(sessions, execution_id, {"type": "SandboxError", "traceback": None,
                                                     "message": "the in-process engine could not make progress"})
                return True
            reconcile(sessions, dispatcher, snapshots, tuning, now_stale, queue="inprocess",
                      execution_id=execution_id)
            return False

        failures = 0
        while True:
            try:
                if watch():
                    break
                failures = 0
            except Exception as e:  # noqa: BLE001 — the database blinked: the jobs go on; look again
                # Never give up while this process is the runner: nobody else would take it over.
                failures += 1
                log.warning("watching execution %s failed (%d in a row): %s", execution_id, failures, e)
                time.sleep(min(5.0, 0.5 * failures))
        dispatcher.wait_idle(timeout=30)  # a cancelled node's job records its end
    finally:
        with _LOCAL_LOCK:
            _LOCAL.pop(execution_id, None)
        dispatcher.close()
        heartbeats.stop()
        sandboxes.close_all()
    return outcome(sessions, execution_id, tuning.files_dir)


_POOL = None


def shared_pool():
    """One pre-start pool per process for `isolation: node`, shared by every execution it runs (a
    long-lived server or worker keeps it warm across executions)."""
    global _POOL
    if _POOL is None:
        import atexit

        from qflow.sandbox.sandboxes import PrestartPool

        _POOL = PrestartPool(size=2)
        atexit.register(_POOL.close)
    return _POOL
