"""What a process that runs nodes keeps: its containers per execution, a heartbeat for each node it is
running, and the node runner that ties a job to the state machine and the sandbox.

The same runtime serves an RQ worker (a `SimpleWorker`: jobs run in the worker process itself, no fork
per job) and the embedded in-process executor (a thread pool).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
import uuid
from dataclasses import dataclass
from typing import Callable

from qflow.engine.queue import state
from qflow.engine.queue.snapshot import SnapshotCache
from qflow.engine.queue.state import Job, Tuning
from qflow.sandbox.container import Limits, SandboxFailure
from qflow.sandbox.outcome import RunResult, failure
from qflow.sandbox.run_node import run_prepared

log = logging.getLogger("qflow.engine")

Progress = Callable[[str, str, RunResult | None], None]


# ---------------------------------------------------------------- containers


def _execution_containers_class():
    from qflow.sandbox.sandboxes import ExecutionContainers

    class PooledExecutionContainers(ExecutionContainers):
        """`ExecutionContainers` whose containers come from a pre-start pool when one is ready, so an
        execution's first node on this worker does not wait for `docker create` + `start`. A pooled
        container has never run anything; it then belongs to this execution alone."""

        def __init__(self, client, execution_id: str, pool=None):
            super().__init__(client, execution_id)
            self.pool = pool

        def _new(self, image: str, limits: Limits):
            if self.pool is not None:
                box = self.pool.take(image, limits)
                if box is not None:
                    box.record.isolation = "execution"
                    return box
            return super()._new(image, limits)

    return PooledExecutionContainers


class Sandboxes:
    """This process's sandboxes, one per execution it runs nodes of: a warm container per execution
    (`isolation: execution`) or a fresh container per node (`isolation: node`). An execution's
    sandbox is closed when the execution ends (or, on a worker, when it has been idle a while: another
    worker may have ended it), and its containers' final records are written."""

    def __init__(self, sessions, *, prestart: int = 0, background_close: bool = False):
        self.sessions = sessions
        self.prestart = prestart
        self._items: dict[uuid.UUID, list] = {}  # execution id → [sandbox, last used (monotonic), users]
        self._lock = threading.Lock()
        self._client = None
        self._pool = None
        self._closer = None
        if background_close:
            from concurrent.futures import ThreadPoolExecutor

            self._closer = ThreadPoolExecutor(max_workers=1, thread_name_prefix="qflow-close")

    @property
    def client(self):
        if self._client is None:
            import docker

            self._client = docker.from_env()
        return self._client

    def pool(self):
        if self._pool is None and self.prestart > 0:
            from qflow.sandbox.sandboxes import PrestartPool

            self._pool = PrestartPool(size=self.prestart)
        return self._pool

    def warm(self, python_version: str, limits: Limits) -> None:
        """Have a started container ready for the next execution of these limits."""
        pool = self.pool()
        if pool is not None:
            from qflow.sandbox.images import runner_image

            pool.warm(runner_image(python_version), limits)

    @contextlib.contextmanager
    def use(self, execution_id: uuid.UUID, isolation: str):
        with self._lock:
            item = self._items.get(execution_id)
            if item is None:
                item = self._items[execution_id] = [self._make(execution_id, isolation), time.monotonic(), 0]
            item[2] += 1
        try:
            yield item[0]
        finally:
            with self._lock:
                item[1] = time.monotonic()
                item[2] -= 1

    def _make(self, execution_id: uuid.UUID, isolation: str):
        from qflow.sandbox.container import EXECUTION_LABEL
        from qflow.sandbox.sandboxes import FreshContainers

        if isolation == "node":
            from qflow.engine.inprocess import shared_pool

            return FreshContainers(self.client, {EXECUTION_LABEL: str(execution_id)}, pool=shared_pool())
        return _execution_containers_class()(self.client, str(execution_id), pool=self.pool())

    def close(self, execution_id: uuid.UUID, wait: bool = True) -> None:
        with self._lock:
            item = self._items.pop(execution_id, None)
        if item is None:
            return
        if self._closer is not None and not wait:
            self._closer.submit(self._close, execution_id, item[0])
        else:
            self._close(execution_id, item[0])

    def _close(self, execution_id: uuid.UUID, sandbox) -> None:
        try:
            state.containers_closed(self.sessions, execution_id, sandbox.close())
        except Exception:  # noqa: BLE001 — the reaper removes what this could not
            log.exception("closing the containers of execution %s", execution_id)

    def close_idle(self, idle_seconds: float) -> None:
        """Close the sandboxes of executions that ended, or that have not run a node here lately."""
        with self._lock:
            ids = [e for e, item in self._items.items() if item[2] == 0]
        if not ids:
            return
        ended = {e for e, st in state.statuses(self.sessions, ids).items() if st not in state.EXECUTION_ACTIVE}
        now = time.monotonic()
        with self._lock:
            idle = [e for e in ids if e in self._items and self._items[e][2] == 0
                    and (e in ended or now - self._items[e][1] > idle_seconds)]
        for e in idle:
            self.close(e, wait=False)

    def open_executions(self) -> list[uuid.UUID]:
        with self._lock:
            return list(self._items)

    def close_all(self) -> None:
        for e in self.open_executions():
            self.close(e, wait=True)
        if self._closer is not None:
            self._closer.shutdown(wait=True)
        if self._pool is not None:
            self._pool.close()
            self._pool = None


class Watched:
    """A sandbox seen through one node's run, so another thread can kill that node's container
    (cancel, or the node was taken from this worker) — and only while the node holds it."""

    def __init__(self, inner):
        self.inner = inner
        self.box = None
        self.stopped: str | None = None
        self._lock = threading.Lock()

    def acquire(self, image: str, limits: Limits):
        box = self.inner.acquire(image, limits)
        with self._lock:
            if self.stopped is None:
                self.box = box
                return box
        self.inner.release(box, healthy=True)
        raise SandboxFailure(f"the node was stopped before it started ({self.stopped})")

    def release(self, box, healthy: bool):
        with self._lock:
            self.box = None
            killed = self.stopped is not None
        return self.inner.release(box, healthy=healthy and not killed)

    def stop(self, reason: str) -> None:
        with self._lock:
            if self.stopped is not None:
                return
            self.stopped = reason
            box = self.box
        if box is not None:
            try:
                box.container.kill()
            except Exception:  # noqa: BLE001 — already gone
                pass


# ---------------------------------------------------------------- heartbeats


class Heartbeats:
    """One thread per process: every `interval` seconds it refreshes `heartbeat_at` of the nodes this
    process is running, and stops (kills the container of) any node whose execution was cancelled or
    that the reconciler took away."""

    def __init__(self, sessions, worker_id: str, interval: float):
        self.sessions = sessions
        self.worker_id = worker_id
        self.interval = interval
        self._tracked: dict[uuid.UUID, Watched] = {}
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @contextlib.contextmanager
    def track(self, node_id: uuid.UUID, watched: Watched):
        with self._lock:
            self._tracked[node_id] = watched
            if self._thread is None:
                self._thread = threading.Thread(target=self._loop, name="qflow-heartbeat", daemon=True)
                self._thread.start()
        try:
            yield
        finally:
            with self._lock:
                self._tracked.pop(node_id, None)

    def _loop(self) -> None:
        while not self._stop.wait(self.interval):
            with self._lock:
                tracked = dict(self._tracked)
            if not tracked:
                continue
            try:
                ours, cancelled = state.heartbeat(self.sessions, list(tracked), self.worker_id)
            except Exception as e:  # noqa: BLE001 — try again next beat; a long outage makes the node stale
                log.warning("heartbeat failed: %s", e)
                continue
            with self._lock:
                still = {n: w for n, w in self._tracked.items() if n in tracked}
            for nid, w in still.items():
                if nid in cancelled:
                    w.stop("cancelled")
                elif nid not in ours:
                    w.stop("taken")

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


# ---------------------------------------------------------------- the node runner


def _again(transition, *args):
    """Run a transition; once more if the database connection it got had died (a restarted server):
    the pool has dropped that connection by then, and every transition is safe to try twice."""
    from sqlalchemy.exc import DBAPIError

    try:
        return transition(*args)
    except DBAPIError as e:
        if not e.connection_invalidated:
            raise
        log.warning("database connection lost (%s); trying again", e.orig)
        return transition(*args)


@dataclass
class RunnerParts:
    sessions: object
    worker_id: str
    tuning: Tuning
    sandboxes: Sandboxes
    heartbeats: Heartbeats
    snapshots: SnapshotCache


class NodeRunner:
    """Runs one job: claim the node, run it in the execution's sandbox under a heartbeat, record the
    result, dispatch what became ready."""

    def __init__(self, parts: RunnerParts, dispatcher=None, progress: Progress | None = None):
        self.p = parts
        self.dispatcher = dispatcher
        self.progress = progress
        self._layers: set[tuple] = set()

    def _dependency_layer(self, snap, key: str) -> None:
        """A node with requirements runs in its dependency layer: built (and recorded in
        container_dependencies) the first time this process needs it. A layer that cannot be built
        is the node's failure, reported by `run_prepared` naming the package."""
        node = snap.prepared(key)
        requirements = tuple(node.signature.get("dependencies") or ())
        if not requirements or (node.python_version, requirements) in self._layers:
            return
        from qflow.sandbox.dependencies import DependencyError, record_dependencies
        from qflow.sandbox.run_node import image_for

        try:
            image_for(node, record=lambda rows: record_dependencies(self.p.sessions, rows))
        except DependencyError:
            return
        self._layers.add((node.python_version, requirements))

    def run(self, job: Job) -> str:
        p = self.p
        e, key, attempt = job.execution_id, job.node_key, job.attempt
        snap = p.snapshots.get(p.sessions, e)
        c = _again(state.claim, p.sessions, snap, e, key, attempt, p.worker_id, p.tuning.files_dir)
        if c is None:
            return "not claimed"
        if self.progress:
            self.progress(key, "running" if attempt == 1 else f"attempt {attempt}", None)
        version = snap.python_version(key)
        try:
            if c.input_error is not None:
                result = failure("InputValidationError", c.input_error, version)
            else:
                with p.sandboxes.use(e, snap.isolation) as sandbox:
                    watched = Watched(sandbox)
                    with p.heartbeats.track(c.node_id, watched):
                        # Building a dependency layer can take minutes: heartbeats go on meanwhile,
                        # or the reconciler would take the node away as lost.
                        self._dependency_layer(snap, key)
                        result = run_prepared(snap.prepared(key), c.inputs, snap.limits(key), sandbox=watched)
                    if watched.stopped == "cancelled" and result.status != "completed":
                        result.status, result.error = "cancelled", None
        except Exception as ex:  # noqa: BLE001 — the platform's own failure, recorded as the node's
            log.exception("node %s of %s", key, e)
            result = failure("SandboxError", f"{type(ex).__name__}: {ex}", version)
        t = _again(state.finish, p.sessions, snap, e, key, c.node_id, attempt, p.worker_id, result, p.tuning)
        if t.jobs:
            self.dispatcher.dispatch(t.jobs)
        if t.ended:
            self.dispatcher.notify(e, t.ended)
        if self.progress and t.recorded:
            shown = t.node_status if t.node_status in state.NODE_TERMINAL else f"failed, retrying ({result.status})"
            self.progress(key, shown, result)
            for k in t.skipped:
                self.progress(k, "skipped", None)
        if t.ended:
            p.sandboxes.close(e, wait=False)
        return "recorded" if t.recorded else "discarded"
