"""Starting, controlling, following and reading back executions — what the CLI and the API call."""

from __future__ import annotations

import time
import uuid
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any, Callable

from sqlalchemy import select

from qflow.engine.queue import state
from qflow.engine.queue.snapshot import Snapshot, SnapshotCache, build, definition_with
from qflow.sandbox.outcome import RunResult


@dataclass
class ExecutionOutcome:
    execution_id: uuid.UUID
    status: str
    nodes: dict[str, RunResult] = field(default_factory=dict)

    def to_json(self) -> dict:
        return {"execution_id": str(self.execution_id), "status": self.status,
                "nodes": {k: r.to_json() for k, r in self.nodes.items()}}


def create(sessions, spec, resolved: dict, plan, params: dict[str, Any], *, queue: str,
           owner_id: uuid.UUID | None = None, workflow_version_id: uuid.UUID | None = None,
           app_settings=None, runner_id: str | None = None) -> uuid.UUID:
    """The execution and its nodes, pending, with the snapshot every worker runs from."""
    from qflow.config import get_settings

    snap = build(spec, resolved, plan, app_settings or get_settings())
    return state.create_execution(
        sessions, definition=definition_with(spec, snap), params=params, node_keys=list(plan.order),
        node_version_ids={k: r.node_version_id for k, r in resolved.items()}, queue=queue, owner_id=owner_id,
        workflow_version_id=workflow_version_id, runner_id=runner_id)


def load_snapshot(sessions, execution_id: uuid.UUID) -> Snapshot:
    return SnapshotCache(size=1).get(sessions, execution_id)


def start(sessions, execution_id: uuid.UUID, dispatcher) -> None:
    """pending → running, its first nodes on the queue."""
    t = state.start(sessions, execution_id, load_snapshot(sessions, execution_id))
    dispatcher.dispatch(t.jobs)
    dispatcher.notify(execution_id)


def pause(sessions, execution_id: uuid.UUID, dispatcher=None) -> uuid.UUID:
    checkpoint = state.pause(sessions, execution_id)
    if dispatcher is not None:
        dispatcher.notify(execution_id)
    return checkpoint


def resume(sessions, execution_id: uuid.UUID, dispatcher) -> None:
    t = state.resume(sessions, execution_id, load_snapshot(sessions, execution_id))
    dispatcher.dispatch(t.jobs)
    dispatcher.notify(execution_id, t.ended)


def cancel(sessions, execution_id: uuid.UUID, dispatcher=None) -> None:
    state.cancel(sessions, execution_id)
    if dispatcher is not None:
        dispatcher.notify(execution_id, "cancelled")


# ---------------------------------------------------------------- following an execution


class EventFollower:
    """New `workflow_execution_events` rows of one execution, oldest first, each once. Rows are read
    again over a window behind the newest one seen: a transaction that committed late (or a worker
    whose clock is a little behind) may add a row that sorts before rows already read."""

    def __init__(self, sessions, execution_id: uuid.UUID, window_seconds: float = 30.0, after_id=None):
        self.sessions = sessions
        self.execution_id = execution_id
        self.window = timedelta(seconds=window_seconds)
        self.seen: set[uuid.UUID] = set()
        self.since = None
        if after_id is not None:
            self._skip_through(after_id)

    def _skip_through(self, event_id: uuid.UUID) -> None:
        ev = state.EV
        with self.sessions() as s:
            at = s.scalar(select(ev.c.created_at).where(ev.c.id == event_id, ev.c.execution_id == self.execution_id))
            if at is None:
                return
            self.seen.update(s.scalars(select(ev.c.id).where(ev.c.execution_id == self.execution_id,
                                                            ev.c.created_at <= at)))
        self.since = at

    def poll(self) -> list:
        ev = state.EV
        q = select(ev.c.id, ev.c.event_type, ev.c.node_execution_id, ev.c.payload, ev.c.created_at).where(
            ev.c.execution_id == self.execution_id)
        if self.since is not None:
            q = q.where(ev.c.created_at >= self.since - self.window)
        with self.sessions() as s:
            rows = s.execute(q.order_by(ev.c.created_at, ev.c.id)).all()
        new = [r for r in rows if r.id not in self.seen]
        for r in new:
            self.seen.add(r.id)
            if self.since is None or r.created_at > self.since:
                self.since = r.created_at
        return new


def wait(sessions, execution_id: uuid.UUID, dispatcher, *, on_event: Callable[[Any], None] | None = None,
         reconcile: Callable[[], Any] | None = None, reconcile_seconds: float = 2.0,
         stop_when: tuple[str, ...] = state.EXECUTION_TERMINAL, timeout: float | None = None) -> str:
    """Block until the execution's status is in `stop_when`; returns it. Wakes on the workers'
    notifications (Redis pub/sub) and at least every half second; runs `reconcile` every
    `reconcile_seconds`."""
    follower = EventFollower(sessions, execution_id) if on_event else None
    pubsub = None
    connection = getattr(dispatcher, "connection", None)
    if connection is not None:
        try:
            pubsub = connection.pubsub(ignore_subscribe_messages=True)
            pubsub.subscribe(f"qflow:execution:{execution_id}")
        except Exception:  # noqa: BLE001 — polling alone still works
            pubsub = None
    deadline = None if timeout is None else time.monotonic() + timeout
    last_reconcile = time.monotonic()
    try:
        while True:
            if follower is not None:
                for ev in follower.poll():
                    on_event(ev)
            status = state.execution_status(sessions, execution_id)
            if status in stop_when or status is None:
                if follower is not None:  # events written between the poll above and the status read
                    for ev in follower.poll():
                        on_event(ev)
                return status
            if deadline is not None and time.monotonic() > deadline:
                raise TimeoutError(f"execution {execution_id} is still {status}")
            if reconcile is not None and time.monotonic() - last_reconcile >= reconcile_seconds:
                last_reconcile = time.monotonic()
                try:
                    reconcile()
                except Exception:  # noqa: BLE001 — Redis or the database blinked: next time
                    pass
            if pubsub is not None:
                try:
                    got = pubsub.get_message(timeout=0.5)
                    while got is not None:  # drain: one read of the database covers them all
                        got = pubsub.get_message(timeout=0)
                except Exception:  # noqa: BLE001 — Redis went away: poll until it is back
                    pubsub = None
                    time.sleep(0.5)
            else:
                time.sleep(0.2)
    finally:
        if pubsub is not None:
            try:
                pubsub.close()
            except Exception:  # noqa: BLE001
                pass


# ---------------------------------------------------------------- reading an execution back


def outcome(sessions, execution_id: uuid.UUID, files_dir: Path | None = None) -> ExecutionOutcome:
    """The execution's status and every node's run result (SPEC §5), from the database."""
    from qflow.config import get_settings
    from qflow.engine.queue.files import StoredValueError, load_outputs

    files_dir = Path(files_dir or get_settings().files_dir)
    snap = load_snapshot(sessions, execution_id)
    ne, ct = state.NE, state.CT
    with sessions() as s:
        status = state.execution_status(sessions, execution_id)
        rows = s.execute(select(ne, ct.c.docker_id).outerjoin(ct, ct.c.id == ne.c.container_id)
                         .where(ne.c.execution_id == execution_id)).all()
        nodes: dict[str, RunResult] = {}
        for r in sorted(rows, key=lambda r: snap.order.index(r.node_key)):
            usage = {k: getattr(r, k) for k in ("cpu_seconds", "peak_memory_bytes", "wall_seconds")
                     if getattr(r, k) is not None}
            error = r.error
            try:
                outputs = load_outputs(s, r.outputs, files_dir) if r.status == "completed" else None
            except StoredValueError as e:
                outputs, error = None, {"type": "SandboxError", "message": str(e), "traceback": None}
            nodes[r.node_key] = RunResult(status=r.status, outputs=outputs, error=error, resource_usage=usage,
                                          logs=r.logs or "", container_id=r.docker_id,
                                          python_version=snap.python_version(r.node_key))
    return ExecutionOutcome(execution_id, status, nodes)


