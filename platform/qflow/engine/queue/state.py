"""Every state transition of an execution and its nodes: small functions, one short transaction each,
over the database that is the truth of every execution's state.

Both executors call these and nothing else writes execution state: the RQ workers and the embedded
in-process executor differ only in how a node's job reaches the code that runs it (`dispatch.py`).

Guarantees come from conditional UPDATEs, not from the queue:
- a node is *claimed* by `UPDATE ... WHERE status = 'queued' AND attempt = :attempt - 1` (and its
  execution still running), so of any number of deliveries of one job exactly one runs it;
- a result is *recorded* by `UPDATE ... WHERE status = 'running' AND attempt = :attempt AND worker_id =
  :me`, so a worker that lost its node (the reconciler gave it to another) has its late result refused,
  and a completed node's result is written once;
- what depends on several rows is ordered by row locks, always taken in one order — node rows
  first, the execution row last (so no two transitions wait on each other in a cycle): a child with
  several parents is locked before it is checked, so two parents finishing at once on
  two workers cannot both miss it; and "is every node done?" is counted only after the execution row
  is locked (`FOR NO KEY UPDATE` on PostgreSQL — not `FOR UPDATE`, which would conflict with the
  key-share locks that inserting an event or a data-flow row takes on the rows it references, and
  deadlock; SQLite has one writer, taken by a transaction's first write), so of two last nodes
  finishing at once exactly one ends the execution. The execution row is
  locked at the very end of a transaction, so it is held for a few statements only.

A transition returns the jobs to dispatch *after* its commit; a crash between the commit and the
dispatch leaves a node 'queued' with no job, which the reconciler finds and enqueues again.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from types import SimpleNamespace
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, Float, String, Uuid, any_, bindparam, exists, func, insert, select, update
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session, sessionmaker

from qflow.db.base import JSONType, UTCDateTime, utcnow, uuid7
from qflow.db.models import (
    Container,
    ErrorLog,
    NodeDataFlow,
    NodeExecution,
    PerformanceMetric,
    WorkflowCheckpoint,
    WorkflowExecution,
    WorkflowExecutionEvent,
)
from qflow.engine.queue import files as stored
from qflow.engine.queue.snapshot import Snapshot
from qflow.sandbox.container import ContainerRecord
from qflow.sandbox.outcome import RunResult
from type_system import codec

EX = WorkflowExecution.__table__
NE = NodeExecution.__table__
EV = WorkflowExecutionEvent.__table__
DF = NodeDataFlow.__table__
CT = Container.__table__
PM = PerformanceMetric.__table__
EL = ErrorLog.__table__
CP = WorkflowCheckpoint.__table__

NODE_TERMINAL = ("completed", "failed", "timed_out", "cancelled", "skipped")
EXECUTION_ACTIVE = ("pending", "running", "paused")
EXECUTION_TERMINAL = ("completed", "failed", "cancelled")
# Errors a retry cannot fix: the same inputs give the same refusal.
NOT_RETRIED = {"InputValidationError", "OutputValidationError"}
LOST = "worker_lost"


class TransitionRefused(Exception):
    """The transition does not apply to the execution's current status."""

    def __init__(self, status: str | None):
        super().__init__(status)
        self.status = status


@dataclass(frozen=True)
class Job:
    """One delivery of one attempt of a node: the only thing a queue carries (plain JSON)."""

    execution_id: uuid.UUID
    node_key: str
    attempt: int
    delay: float = 0.0

    @property
    def job_id(self) -> str:
        return job_id(self.execution_id, self.node_key, self.attempt)

    def args(self) -> list:
        return [str(self.execution_id), self.node_key, self.attempt]


def job_id(execution_id: uuid.UUID, node_key: str, attempt: int) -> str:
    return f"qf-{execution_id.hex}-{node_key}-{attempt}"


@dataclass
class Transition:
    """What the caller does after the commit: dispatch `jobs`; `ended` is the execution's terminal
    status when this transition finished it."""

    jobs: list[Job] = field(default_factory=list)
    ended: str | None = None
    recorded: bool = True
    skipped: list[str] = field(default_factory=list)
    node_status: str | None = None  # the recorded node's status after the transition


@dataclass
class Claim:
    node_id: uuid.UUID
    inputs: dict[str, Any]
    input_error: str | None = None


@dataclass
class Tuning:
    """The engine settings a transition needs (see `EngineSettings`)."""

    files_dir: Path
    inline_output_bytes: int = 256 * 1024
    temp_file_ttl_hours: float = 7 * 24
    retry_base_seconds: float = 0.5
    lost_worker_retries: int = 3
    file_store: str = "database"

    @classmethod
    def from_settings(cls, app_settings=None, engine_settings=None) -> "Tuning":
        from qflow.config import get_settings

        a = app_settings or get_settings()
        e = engine_settings or a  # one settings class: the engine's knobs are the app's unless given
        return cls(files_dir=Path(a.files_dir), inline_output_bytes=e.inline_output_bytes,
                   temp_file_ttl_hours=e.temp_file_ttl_hours, retry_base_seconds=e.retry_base_seconds,
                   lost_worker_retries=e.lost_worker_retries, file_store=e.file_store)


# ---------------------------------------------------------------- helpers


def _engine(sessions: sessionmaker[Session]):
    return sessions.kw["bind"]


def _begin(sessions: sessionmaker[Session]):
    """One transaction on a Core connection (the ORM adds nothing to these statements but time). On
    SQLite it holds the writer lock from its first statement: its reads (status checks, FOR UPDATE
    that SQLite ignores) decide its writes, so nothing may commit in between."""
    engine = _engine(sessions)
    return _sqlite_writing(engine) if engine.dialect.name == "sqlite" else engine.begin()


@contextlib.contextmanager
def _sqlite_writing(engine):
    # pysqlite begins a transaction only at the first write, so the reads before it would run on
    # their own; an explicit BEGIN IMMEDIATE (pysqlite then adds none) waits for the writer lock
    # (busy_timeout) and holds it to the end.
    with engine.begin() as s:
        s.exec_driver_sql("BEGIN IMMEDIATE")
        yield s


def _connect(sessions: sessionmaker[Session]):
    return _engine(sessions).connect()


class _Refused(Exception):
    """Raised inside a transaction to roll it back: the node is not ours to record."""


# Statements of the hot path (claim, finish, heartbeat), built once per dialect with bind parameters:
# building a Core statement and its cache key costs ~0.3 ms a time, three times its execution.
_STATEMENTS: dict[tuple[str, str], Any] = {}


def _bind_keys(dialect: str, column, name: str):
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(String())))
    return column.in_(bindparam(name, expanding=True))


def _build(name: str, dialect: str):
    parent = NE.alias("parent")
    e = bindparam("e", type_=Uuid())
    if name == "claim":
        running = exists().where(EX.c.id == e, EX.c.status == "running")
        return (update(NE).where(NE.c.execution_id == e, NE.c.node_key == bindparam("key"),
                                 NE.c.status == "queued", NE.c.attempt == bindparam("before"), running)
                .values(status="running", attempt=bindparam("b_attempt"), worker_id=bindparam("worker"),
                        heartbeat_at=bindparam("now"), started_at=bindparam("now"), finished_at=None)
                .returning(NE.c.id))
    if name == "parents":
        return select(NE.c.node_key, NE.c.id, NE.c.outputs).where(
            NE.c.execution_id == e, _bind_keys(dialect, NE.c.node_key, "keys"))
    if name == "current_node":
        return update(EX).where(EX.c.id == e).values(current_node=bindparam("key"))
    if name == "event":
        return insert(EV)
    if name == "data_flow":
        return insert(DF)
    if name == "metrics":
        return insert(PM)
    if name == "status":
        return select(EX.c.status, EX.c.owner_id).where(EX.c.id == e)
    if name == "record":
        return (update(NE).where(NE.c.id == bindparam("node_id", type_=Uuid()), NE.c.status == "running",
                                 NE.c.attempt == bindparam("b_attempt"), NE.c.worker_id == bindparam("worker"))
                .values(status=bindparam("b_status"), error=bindparam("b_error", type_=JSONType()),
                        logs=bindparam("b_logs"), cpu_seconds=bindparam("cpu"), peak_memory_bytes=bindparam("mem"),
                        wall_seconds=bindparam("wall"), finished_at=bindparam("now"),
                        outputs=bindparam("b_outputs", type_=JSONType()),
                        queued_at=func.coalesce(bindparam("b_queued_at", type_=UTCDateTime()), NE.c.queued_at),
                        container_id=func.coalesce(bindparam("b_container_id", type_=Uuid()), NE.c.container_id)))
    if name == "queue":
        return (update(NE).where(NE.c.execution_id == e, _bind_keys(dialect, NE.c.node_key, "keys"),
                                 NE.c.status == "pending")
                .values(status="queued", queued_at=bindparam("now")).returning(NE.c.node_key, NE.c.attempt))
    if name == "queue_if_parents_done":
        waiting = exists().where(parent.c.execution_id == e, _bind_keys(dialect, parent.c.node_key, "others"),
                                 parent.c.status != "completed")
        return (update(NE).where(NE.c.execution_id == e, _bind_keys(dialect, NE.c.node_key, "keys"),
                                 NE.c.status == "pending", ~waiting)
                .values(status="queued", queued_at=bindparam("now")).returning(NE.c.node_key, NE.c.attempt))
    if name == "not_started":
        return select(func.count()).where(NE.c.execution_id == e, _bind_keys(dialect, NE.c.node_key, "others"),
                                          NE.c.status.in_(("pending", "queued")))
    if name == "lock_nodes":
        return (select(NE.c.id).where(NE.c.execution_id == e, _bind_keys(dialect, NE.c.node_key, "keys"))
                .order_by(NE.c.node_key).with_for_update(key_share=True))
    if name == "unfinished":
        return select(NE.c.node_key, NE.c.status).where(NE.c.execution_id == e,
                                                         NE.c.status.in_(("pending", "queued", "running")))
    if name == "progress":
        greatest = func.greatest if dialect == "postgresql" else func.max
        return (update(EX).where(EX.c.id == e)
                .values(progress_percent=greatest(EX.c.progress_percent, bindparam("progress", type_=Float())))
                .returning(EX.c.status))
    if name == "lock":
        if dialect == "postgresql":
            return select(EX.c.status, EX.c.owner_id).where(EX.c.id == e).with_for_update(key_share=True)
        return update(EX).where(EX.c.id == e).values(status=EX.c.status)
    if name == "heartbeat":
        return (update(NE).where(NE.c.id.in_(bindparam("ids", expanding=True)), NE.c.worker_id == bindparam("worker"),
                                 NE.c.status == "running")
                .values(heartbeat_at=bindparam("now")).returning(NE.c.id, NE.c.execution_id))
    raise KeyError(name)


def _q(s, name: str):
    key = (name, s.dialect.name)
    stmt = _STATEMENTS.get(key)
    if stmt is None:
        stmt = _STATEMENTS[key] = _build(name, s.dialect.name)
    return stmt


def _keys_in(s, column, keys) -> Any:
    """`column IN keys` — on PostgreSQL as `= ANY(:array)`: one bind parameter, so the statement's text
    is the same for any number of keys (an IN list of 200 is rendered, parsed and planned anew each
    time, and never becomes a prepared statement)."""
    keys = list(keys)
    if s.dialect.name == "postgresql" and len(keys) > 8:
        return column == any_(bindparam(None, keys, type_=ARRAY(String())))
    return column.in_(keys)


def _status(s, execution_id: uuid.UUID):
    """The execution's (status, owner_id), read without a lock; None if there is no such execution."""
    return s.execute(_q(s, "status"), {"e": execution_id}).one_or_none()


def _lock_nodes(s, execution_id: uuid.UUID, keys: list[str]) -> None:
    """Lock these node rows, in key order (PostgreSQL; SQLite's writer lock covers them already)."""
    if keys and s.dialect.name == "postgresql":
        s.execute(_q(s, "lock_nodes"), {"e": execution_id, "keys": keys})


def _lock(s, execution_id: uuid.UUID):
    """Lock the execution row for the rest of this transaction (take it last); its (status, owner_id),
    or None. PostgreSQL: `FOR NO KEY UPDATE`; SQLite: a write takes its single writer lock."""
    if s.dialect.name != "postgresql":
        s.execute(_q(s, "lock"), {"e": execution_id})
        return _status(s, execution_id)
    return s.execute(_q(s, "lock"), {"e": execution_id}).one_or_none()


def _event(s: Connection, execution_id: uuid.UUID, kind: str, node_id: uuid.UUID | None, payload: dict) -> None:
    s.execute(_q(s, "event"), dict(id=uuid7(), execution_id=execution_id, node_execution_id=node_id,
                                   event_type=kind, payload=payload, created_at=utcnow()))


def _error_log(s: Connection, execution_id: uuid.UUID, node_id: uuid.UUID | None, error: dict, context: dict) -> None:
    s.execute(insert(EL).values(id=uuid7(), execution_id=execution_id, node_execution_id=node_id,
                                error_type=error.get("type", "SandboxError"), message=error.get("message", ""),
                                traceback=error.get("traceback"), context=context, created_at=utcnow()))


def upsert_container(s: Connection, execution_id: uuid.UUID, rec: ContainerRecord) -> uuid.UUID:
    """Insert the container's row, or bring it up to date: a warm container serves many nodes."""
    values = dict(
        image=rec.image, python_version=rec.image.rsplit(":", 1)[-1].split("-", 1)[0],
        execution_id=execution_id, isolation=rec.isolation, status=rec.status,
        memory_limit_bytes=rec.limits.memory_bytes, nano_cpus=int(rec.limits.cpus * 1e9),
        pids_limit=rec.limits.pids, timeout_seconds=rec.limits.timeout_seconds,
        cpu_seconds=rec.cpu_seconds, peak_memory_bytes=rec.peak_memory_bytes,
        exit_code=rec.exit_code, oom_killed=rec.oom_killed, created_at=rec.created_at,
        started_at=rec.started_at, finished_at=rec.finished_at,
        removed_at=utcnow() if rec.status == "removed" else None)
    # One statement: two nodes finishing on the same new warm container at once must not both insert.
    insert_for = pg_insert if s.dialect.name == "postgresql" else sqlite_insert
    return s.scalar(insert_for(CT).values(id=uuid7(), docker_id=rec.docker_id, **values)
                    .on_conflict_do_update(index_elements=[CT.c.docker_id], set_=values).returning(CT.c.id))


def containers_closed(sessions: sessionmaker[Session], execution_id: uuid.UUID, records: list[ContainerRecord]) -> None:
    """The final records of an execution's containers (closed: removed, or failed to be)."""
    if records:
        url = str(_engine(sessions).url)
        with _begin(sessions) as s:
            for rec in records:
                upsert_container(s, execution_id, rec)
        for rec in records:
            _CONTAINER_ROWS.pop((url, rec.docker_id), None)


def _queue_ready(s: Connection, execution_id: uuid.UUID, snap: Snapshot, candidates: list[str], now: datetime,
                 done: str | None = None) -> list[Job]:
    """Queue every candidate that is pending and whose parents all completed.
    `done` is a parent known to have just completed. Candidates waiting on the same other parents
    are queued by one UPDATE."""
    groups: dict[tuple[str, ...], list[str]] = {}
    for key in candidates:
        others = tuple(p for p in snap.parents[key] if p != done)
        groups.setdefault(others, []).append(key)
    # A child whose other parents are not all completed waits. If one of them has not even started
    # (pending, queued), its own finish will come later and look again: nothing to lock or do now.
    # Only when the others are completed or running — possibly finishing right now, on another
    # worker — is the child locked first, so that exactly one of the last parents queues it.
    for others in [o for o in groups if o]:
        if s.scalar(_q(s, "not_started"), {"e": execution_id, "others": list(others)}):
            del groups[others]
    _lock_nodes(s, execution_id, sorted(k for others, keys in groups.items() if others for k in keys))
    jobs = []
    for others, keys in groups.items():
        params = {"e": execution_id, "keys": keys, "now": now}
        if others:
            rows = s.execute(_q(s, "queue_if_parents_done"), {**params, "others": list(others)}).all()
        else:
            rows = s.execute(_q(s, "queue"), params).all()
        jobs += [Job(execution_id, k, a + 1) for k, a in sorted(rows, key=lambda r: snap.order.index(r.node_key))]
    return jobs


def _skip_descendants(s: Connection, execution_id: uuid.UUID, snap: Snapshot, key: str, now: datetime) -> list[str]:
    below = snap.descendants(key)
    if not below:
        return []
    rows = s.execute(update(NE).where(NE.c.execution_id == execution_id, _keys_in(s, NE.c.node_key, below),
                                      NE.c.status == "pending")
                     .values(status="skipped", finished_at=now).returning(NE.c.id, NE.c.node_key)).all()
    rows = sorted(rows, key=lambda r: snap.order.index(r.node_key))
    for nid, k in rows:
        _event(s, execution_id, "node_skipped", nid, {"node": k, "because": key})
    return [r.node_key for r in rows]


def _settle(s: Connection, execution_id: uuid.UUID, snap: Snapshot, now: datetime,
            transition: "Transition | None" = None) -> str | None:
    """Progress, and the execution's end once every node is terminal; the execution row is written
    last. Returns the terminal status reached here, if any. Should the execution have been paused or
    cancelled since this transaction's node was claimed, what `transition` queued goes back to
    pending or is cancelled (`_hold_queued`).

    Only the last of the nodes to finish may end the execution, and two finishing at once must not
    both miss that. When some node waits (pending or queued) whose ancestors are all finished, this
    transaction cannot be the last — that node will run and finish later, and no concurrent failure
    can skip it — so it just writes progress (greatest wins: counts may commit out of order).
    Otherwise it locks the execution row first and counts again, in a fresh snapshot."""
    total = len(snap.order)
    unfinished = dict(s.execute(_q(s, "unfinished"), {"e": execution_id}).all())
    if any(st != "running" and not (snap.ancestors[k] & unfinished.keys()) for k, st in unfinished.items()):
        status = s.scalar(_q(s, "progress"), {"e": execution_id,
                                              "progress": round(100.0 * (total - len(unfinished)) / total, 1)})
        _hold_queued(s, execution_id, status, transition, now)
        return None
    row = _lock(s, execution_id)
    if row is None:
        return None
    status = row.status
    _hold_queued(s, execution_id, status, transition, now)
    unfinished = dict(s.execute(_q(s, "unfinished"), {"e": execution_id}).all())
    values: dict[str, Any] = {"progress_percent": round(100.0 * (total - len(unfinished)) / total, 1)}
    ended = None
    if not unfinished and status in ("running", "paused"):
        bad = s.execute(select(NE.c.node_key, NE.c.status, NE.c.error).where(
            NE.c.execution_id == execution_id, NE.c.status != "completed")).all()
        ended = "failed" if bad else "completed"
        error = None
        failed = [r for r in bad if r.status in ("failed", "timed_out", "cancelled")]
        if failed:
            first = min(failed, key=lambda r: snap.order.index(r.node_key))
            error = {"node": first.node_key, **(first.error or {"type": "SandboxError", "message": first.status})}
        values.update(status=ended, finished_at=now, current_node=None, error=error)
        _event(s, execution_id, ended, None, {"error": error} if error else {})
    s.execute(update(EX).where(EX.c.id == execution_id).values(**values))
    return ended


def _hold_queued(s: Connection, execution_id: uuid.UUID, status: str | None, transition: "Transition | None",
                 now: datetime) -> None:
    """The execution was paused or cancelled after this transaction's node was claimed: what the
    transaction queued (rows it holds already) goes back to pending (a resume queues it again) or is
    cancelled, instead of being delivered."""
    if status not in ("paused", "cancelled") or transition is None or not transition.jobs:
        return
    values = {"status": "pending"} if status == "paused" else {"status": "cancelled", "finished_at": now}
    s.execute(update(NE).where(NE.c.execution_id == execution_id,
                               _keys_in(s, NE.c.node_key, [j.node_key for j in transition.jobs]),
                               NE.c.status == "queued").values(**values))
    transition.jobs = []


def _lost_runs(s: Connection, node_id: uuid.UUID) -> int:
    payloads = s.scalars(select(EV.c.payload).where(EV.c.node_execution_id == node_id,
                                                    EV.c.event_type == "node_retried")).all()
    return sum(1 for p in payloads if (p or {}).get("reason") == LOST)


# ---------------------------------------------------------------- creation and start


def create_execution(sessions: sessionmaker[Session], *, definition: dict, params: dict, node_keys: list[str],
                     node_version_ids: dict[str, uuid.UUID | None], queue: str,
                     owner_id: uuid.UUID | None = None, workflow_version_id: uuid.UUID | None = None,
                     runner_id: str | None = None) -> uuid.UUID:
    """The execution's rows, status pending (what the API answers 202 with before anything runs);
    `runner_id` names the process that will run an in-process execution."""
    eid = uuid7()
    now = utcnow()
    with _begin(sessions) as s:
        s.execute(insert(EX).values(id=eid, definition=definition, params=codec.encode(params), status="pending",
                                    queue=queue, owner_id=owner_id, workflow_version_id=workflow_version_id,
                                    runner_id=runner_id, progress_percent=0.0, created_at=now))
        s.execute(insert(NE), [dict(id=uuid7(), execution_id=eid, node_key=k, status="pending", attempt=0,
                                    node_version_id=node_version_ids.get(k)) for k in node_keys])
    return eid


def start(sessions: sessionmaker[Session], execution_id: uuid.UUID, snap: Snapshot) -> Transition:
    """pending → running; the nodes without parents are queued."""
    now = utcnow()
    with _begin(sessions) as s:
        row = _status(s, execution_id)
        if row is None or row.status != "pending":
            raise TransitionRefused(row.status if row else None)
        # Node rows first, the execution row last (the lock order of every transition; a cancel
        # that came first leaves the execution not pending, and this rolls back).
        jobs = _queue_ready(s, execution_id, snap, snap.roots, now)
        if s.execute(update(EX).where(EX.c.id == execution_id, EX.c.status == "pending")
                     .values(status="running", started_at=now)).rowcount != 1:
            raise TransitionRefused((_status(s, execution_id) or SimpleNamespace(status=None)).status)
        _event(s, execution_id, "started", None, {"nodes": len(snap.order)})
    return Transition(jobs)


# ---------------------------------------------------------------- a node's run


def claim(sessions: sessionmaker[Session], snap: Snapshot, execution_id: uuid.UUID, key: str, attempt: int,
          worker_id: str, files_dir: Path) -> Claim | None:
    """queued → running for this attempt, if the execution is running; gathers the node's inputs
    (constants plus parents' outputs, converted along convertible connections) and records the data
    flow of each connection on the first attempt. None when someone else has the node, or it is not
    this attempt's turn, or the execution is paused or over."""
    from type_system.values import ValueValidationError

    now = utcnow()
    with _begin(sessions) as s:
        node_id = s.scalar(_q(s, "claim"), {"e": execution_id, "key": key, "before": attempt - 1,
                                            "b_attempt": attempt, "worker": worker_id, "now": now})
        if node_id is None:
            return None
        inputs, flows, input_error = {}, [], None
        try:
            inputs, flows = _gather(s, snap, execution_id, key, files_dir)
        except (ValueValidationError, stored.StoredValueError) as e:
            input_error = str(e)
        if attempt == 1 and flows:
            s.execute(_q(s, "data_flow"), [dict(id=uuid7(), execution_id=execution_id,
                                                target_node_execution_id=node_id, created_at=now, **f)
                                           for f in flows])
        _event(s, execution_id, "node_started", node_id, {"node": key, "attempt": attempt, "worker": worker_id})
        s.execute(_q(s, "current_node"), {"e": execution_id, "key": key})
    return Claim(node_id, inputs, input_error)


def _gather(s: Connection, snap: Snapshot, execution_id: uuid.UUID, key: str,
            files_dir: Path) -> tuple[dict[str, Any], list[dict]]:
    from qflow.sandbox.signature_types import custom_registry, input_types, output_types
    from type_system.values import ValueValidationError, convert

    values = snap.constants(key)
    edges = snap.edges_into[key]
    if not edges:
        return values, []
    rows = {r.node_key: r for r in s.execute(_q(s, "parents"), {"e": execution_id, "keys": snap.parents[key]})}
    flows = []
    for e in edges:
        started = time.perf_counter()
        src = rows[e.source]
        column = src.outputs or {}
        file_id = stored.file_refs(column).get(e.output)
        if file_id is not None:
            value, size = stored.read_file(s, file_id, files_dir)
        else:
            if e.output not in column:
                raise ValueValidationError(e.label, f"{e.source} has no output {e.output!r} recorded")
            encoded = column[e.output]
            value = codec.decode(encoded)
            size = len(stored.dumps(encoded).encode())
        if e.verdict == "convertible":
            src_t = output_types(snap.signature(e.source))[e.output]
            tgt_t = input_types(snap.signature(key))[e.input]
            regs = custom_registry(snap.signature(e.source)).merged(custom_registry(snap.signature(key)))
            try:
                value = convert(value, src_t, tgt_t, regs, path=e.input, matrix=snap.matrix)
            except ValueValidationError as err:
                raise ValueValidationError(e.label, f"conversion failed: {err}") from None
        values[e.input] = value
        flows.append(dict(source_node_execution_id=src.id, source_output=e.output, target_input=e.input,
                          transport="file" if file_id else "json", file_id=file_id, size_bytes=size,
                          serialization="json", transfer_seconds=time.perf_counter() - started))
    return values, flows


def heartbeat(sessions: sessionmaker[Session], node_ids: list[uuid.UUID], worker_id: str
              ) -> tuple[set[uuid.UUID], set[uuid.UUID]]:
    """Refresh the heartbeat of this worker's running nodes. Returns (nodes still ours, nodes whose
    execution was cancelled): a node missing from the first was taken from us (the reconciler gave it
    to another worker) and must stop; one in the second must stop too."""
    if not node_ids:
        return set(), set()
    with _begin(sessions) as s:
        rows = s.execute(_q(s, "heartbeat"), {"ids": list(node_ids), "worker": worker_id, "now": utcnow()}).all()
        execs = {r.execution_id for r in rows}
        over = set(s.scalars(select(EX.c.id).where(EX.c.id.in_(execs), EX.c.status == "cancelled"))) if execs else set()
    return {r.id for r in rows}, {r.id for r in rows if r.execution_id in over}


_CONTAINER_ROWS: dict[tuple[str, str], uuid.UUID] = {}  # (database, docker id) → containers row, once committed


def finish(sessions: sessionmaker[Session], snap: Snapshot, execution_id: uuid.UUID, key: str, node_id: uuid.UUID,
           attempt: int, worker_id: str, result: RunResult, tuning: Tuning) -> Transition:
    """Record one attempt's result. A completed node queues the children whose parents are all done;
    a failed one is retried with exponential backoff while it has retries left, else it fails and its
    dependents are skipped; the execution ends when every node is terminal."""
    now = utcnow()
    engine = _engine(sessions)
    rec = result.container
    container_key = (str(engine.url), rec.docker_id) if rec is not None else None
    written: list = []
    try:
        with _begin(sessions) as s:
            # The execution was running when the node was claimed; should it have been paused or
            # cancelled since, `_settle` (which sees its status as of this commit) puts that right.
            kind = (result.error or {}).get("type")
            final_status = result.status
            retry_in = None
            if result.status != "completed" and kind not in NOT_RETRIED and result.status != "cancelled":
                failures = attempt - _lost_runs(s, node_id)
                if failures <= snap.max_retries:
                    retry_in = tuning.retry_base_seconds * 2 ** (failures - 1)
                    final_status = "queued"
            usage = result.resource_usage or {}
            params: dict[str, Any] = dict(
                node_id=node_id, b_attempt=attempt, worker=worker_id, b_status=final_status, b_error=result.error,
                b_logs=result.logs, cpu=usage.get("cpu_seconds"), mem=usage.get("peak_memory_bytes"),
                wall=usage.get("wall_seconds"), now=now, b_outputs=None, b_container_id=None,
                b_queued_at=now + timedelta(seconds=retry_in) if retry_in is not None else None)
            container_row = None
            if rec is not None:
                container_row = _CONTAINER_ROWS.get(container_key) or upsert_container(s, execution_id, rec)
                params["b_container_id"] = container_row
            if result.status == "completed":
                params["b_outputs"] = stored.store_outputs(
                    s, result.outputs or {}, execution_id=execution_id,
                    owner_id=lambda: (_status(s, execution_id) or SimpleNamespace(owner_id=None)).owner_id, node_key=key,
                    files_dir=tuning.files_dir, inline_limit=tuning.inline_output_bytes,
                    ttl_hours=tuning.temp_file_ttl_hours, written=written, store=tuning.file_store)
            if s.execute(_q(s, "record"), params).rowcount != 1:
                raise _Refused()
            metrics = [dict(id=uuid7(), execution_id=execution_id, node_execution_id=node_id,
                            container_id=container_row, name=f"node.{name}", value=float(usage[name]), unit=unit,
                            recorded_at=now)
                       for name, unit in (("cpu_seconds", "s"), ("peak_memory_bytes", "bytes"),
                                          ("wall_seconds", "s"))
                       if usage.get(name) is not None]
            if metrics:
                s.execute(_q(s, "metrics"), metrics)
            if result.error:
                _error_log(s, execution_id, node_id, result.error, {"node": key, "attempt": attempt})
            transition = Transition(node_status=final_status)
            if retry_in is not None:
                _event(s, execution_id, "node_retried", node_id,
                       {"node": key, "attempt": attempt, "next_attempt": attempt + 1, "delay_seconds": retry_in,
                        "reason": "failed", "status": result.status, "error_type": kind})
                if final_status == "queued":
                    transition.jobs.append(Job(execution_id, key, attempt + 1, delay=retry_in))
            else:
                done = "node_completed" if final_status == "completed" else "node_failed"
                _event(s, execution_id, done, node_id, {"node": key, "attempt": attempt, "status": final_status,
                                                        "error_type": kind})
                if final_status == "completed":
                    if snap.children[key]:
                        transition.jobs += _queue_ready(s, execution_id, snap, snap.children[key], now, done=key)
                else:
                    transition.skipped = _skip_descendants(s, execution_id, snap, key, now)
            transition.ended = _settle(s, execution_id, snap, now, transition)
    except _Refused:
        # Not ours any more (the reconciler gave it to another worker): this result is not recorded.
        stored.discard(written)
        return Transition(recorded=False)
    if container_row is not None:
        _CONTAINER_ROWS[container_key] = container_row
    return transition


# ---------------------------------------------------------------- control: pause, resume, cancel
#
# Each changes node rows first and locks the execution row last, then checks the status it read at
# the start is still the execution's (else it rolls back and refuses): the lock order of every
# transition.


def _expect(s, execution_id: uuid.UUID, allowed: tuple[str, ...], seen: str) -> None:
    row = _lock(s, execution_id)
    if row is None or row.status != seen or seen not in allowed:
        raise TransitionRefused(row.status if row else None)


def pause(sessions: sessionmaker[Session], execution_id: uuid.UUID) -> uuid.UUID:
    """running → paused, with a checkpoint. Queued nodes go back to pending (their jobs find nothing
    to claim); running nodes finish and are recorded, but nothing new is scheduled. Returns the
    checkpoint's id."""
    now = utcnow()
    with _begin(sessions) as s:
        row = _status(s, execution_id)
        if row is None or row.status != "running":
            raise TransitionRefused(row.status if row else None)
        s.execute(update(NE).where(NE.c.execution_id == execution_id, NE.c.status == "queued")
                  .values(status="pending"))
        _expect(s, execution_id, ("running",), row.status)
        s.execute(update(EX).where(EX.c.id == execution_id).values(status="paused"))
        nodes = s.execute(select(NE.c.node_key, NE.c.status, NE.c.attempt).where(NE.c.execution_id == execution_id)).all()
        state = {"reason": "pause", "at": now.isoformat(),
                 "nodes": {n.node_key: {"status": n.status, "attempt": n.attempt} for n in nodes}}
        cid = uuid7()
        s.execute(insert(CP).values(id=cid, execution_id=execution_id, state=state, created_at=now))
        _event(s, execution_id, "paused", None, {"checkpoint_id": str(cid),
                                                 "running": sorted(n.node_key for n in nodes if n.status == "running")})
    return cid


def resume(sessions: sessionmaker[Session], execution_id: uuid.UUID, snap: Snapshot) -> Transition:
    """paused → running from the latest checkpoint: what completed (before the checkpoint, or while
    the nodes running at the checkpoint finished) stays completed; nodes still queued are delivered
    again, and the pending nodes whose parents are all completed are queued."""
    now = utcnow()
    with _begin(sessions) as s:
        row = _status(s, execution_id)
        if row is None or row.status != "paused":
            raise TransitionRefused(row.status if row else None)
        checkpoint = s.execute(select(CP.c.id).where(CP.c.execution_id == execution_id)
                               .order_by(CP.c.created_at.desc(), CP.c.id.desc()).limit(1)).scalar()
        nodes = s.execute(select(NE.c.node_key, NE.c.status, NE.c.attempt)
                          .where(NE.c.execution_id == execution_id)).all()
        pending = [k for k in snap.order if any(n.node_key == k and n.status == "pending" for n in nodes)]
        again = [Job(execution_id, n.node_key, n.attempt + 1) for n in nodes if n.status == "queued"]
        t = Transition(again + _queue_ready(s, execution_id, snap, pending, now))
        _expect(s, execution_id, ("paused",), row.status)
        s.execute(update(EX).where(EX.c.id == execution_id).values(status="running"))
        _event(s, execution_id, "resumed", None, {"checkpoint_id": str(checkpoint) if checkpoint else None,
                                                  "queued": [j.node_key for j in t.jobs]})
        t.ended = _settle(s, execution_id, snap, now)
    return t


def cancel(sessions: sessionmaker[Session], execution_id: uuid.UUID) -> None:
    """Any active status → cancelled. Nodes not yet running are cancelled now; a running node's worker
    sees it at its next heartbeat and kills the node's container."""
    now = utcnow()
    with _begin(sessions) as s:
        row = _status(s, execution_id)
        if row is None or row.status not in EXECUTION_ACTIVE:
            raise TransitionRefused(row.status if row else None)
        s.execute(update(NE).where(NE.c.execution_id == execution_id, NE.c.status.in_(("pending", "queued")))
                  .values(status="cancelled", finished_at=now))
        _expect(s, execution_id, EXECUTION_ACTIVE, row.status)
        s.execute(update(EX).where(EX.c.id == execution_id).values(status="cancelled", finished_at=now,
                                                                  current_node=None))
        running = s.scalars(select(NE.c.node_key).where(NE.c.execution_id == execution_id,
                                                        NE.c.status == "running")).all()
        _event(s, execution_id, "cancelled", None, {"running": sorted(running)})


def abort(sessions: sessionmaker[Session], execution_id: uuid.UUID, error: dict) -> bool:
    """The engine itself cannot go on (in-process: a node's job keeps failing before it can record
    anything): the execution fails with `error`; nodes not finished are cancelled."""
    now = utcnow()
    try:
        with _begin(sessions) as s:
            row = _status(s, execution_id)
            if row is None or row.status not in EXECUTION_ACTIVE:
                return False
            s.execute(update(NE).where(NE.c.execution_id == execution_id,
                                       NE.c.status.in_(("pending", "queued", "running")))
                      .values(status="cancelled", finished_at=now))
            _expect(s, execution_id, EXECUTION_ACTIVE, row.status)
            s.execute(update(EX).where(EX.c.id == execution_id).values(status="failed", finished_at=now,
                                                                      current_node=None, error=error))
            _event(s, execution_id, "failed", None, {"error": error})
    except TransitionRefused:
        return False
    return True


# ---------------------------------------------------------------- recovery


def take_runner(sessions: sessionmaker[Session], execution_id: uuid.UUID, runner_id: str,
                expected: str | None) -> bool:
    """Compare-and-set of an active in-process execution's runner: True when `runner_id` replaced
    `expected` (so of two processes taking over the same execution, exactly one wins). The take-over
    is a `resumed` event (reason `runner_lost`)."""
    same = EX.c.runner_id.is_(None) if expected is None else EX.c.runner_id == expected
    with _begin(sessions) as s:
        if s.execute(update(EX).where(EX.c.id == execution_id, same, EX.c.status.in_(EXECUTION_ACTIVE))
                     .values(runner_id=runner_id)).rowcount != 1:
            return False
        _event(s, execution_id, "resumed", None,
               {"reason": "runner_lost", "previous_runner": expected, "runner": runner_id})
    return True


def requeue_lost(sessions: sessionmaker[Session], snap: Snapshot, execution_id: uuid.UUID, node_id: uuid.UUID,
                 attempt: int, cutoff: datetime, tuning: Tuning) -> Transition:
    """A running node whose heartbeat is older than `cutoff` lost its worker: run it again (a new
    attempt) — or, after `lost_worker_retries` such losses, fail it."""
    now = utcnow()
    try:
        with _begin(sessions) as s:
            status = (_status(s, execution_id) or SimpleNamespace(status=None)).status
            row = s.execute(select(NE.c.node_key, NE.c.worker_id, NE.c.heartbeat_at).where(
                NE.c.id == node_id, NE.c.status == "running", NE.c.attempt == attempt,
                NE.c.heartbeat_at < cutoff).with_for_update(key_share=True)).one_or_none()
            if row is None:
                return Transition(recorded=False)
            key = row.node_key
            error = {"type": "SandboxError", "traceback": None,
                     "message": f"worker {row.worker_id} stopped answering during attempt {attempt} "
                                f"(last heartbeat {row.heartbeat_at.isoformat()})"}
            lost = _lost_runs(s, node_id) + 1
            t = Transition()
            if status in EXECUTION_TERMINAL or status is None:  # cancelled, or failed by another branch
                new = "cancelled"
            elif lost > tuning.lost_worker_retries:
                new = "failed"
            else:
                new = "queued" if status == "running" else "pending"
            if s.execute(update(NE).where(NE.c.id == node_id, NE.c.status == "running", NE.c.attempt == attempt)
                         .values(status=new, error=error, finished_at=now, queued_at=now)).rowcount != 1:
                raise _Refused()  # recorded meanwhile: the read above was not under a lock after all
            _error_log(s, execution_id, node_id, error, {"node": key, "attempt": attempt, "reason": LOST})
            if new == "cancelled":  # the execution ended meanwhile: every transition has its event
                _event(s, execution_id, "node_failed", node_id, {"node": key, "attempt": attempt,
                                                                 "status": "cancelled", "reason": LOST})
            if new in ("queued", "pending"):
                _event(s, execution_id, "node_retried", node_id,
                       {"node": key, "attempt": attempt, "next_attempt": attempt + 1, "delay_seconds": 0,
                        "reason": LOST, "worker": row.worker_id})
                if new == "queued":
                    t.jobs.append(Job(execution_id, key, attempt + 1))
            elif new == "failed":
                _event(s, execution_id, "node_failed", node_id, {"node": key, "attempt": attempt, "status": "failed",
                                                                 "error_type": "SandboxError", "reason": LOST})
                t.skipped = _skip_descendants(s, execution_id, snap, key, now)
            t.ended = _settle(s, execution_id, snap, now, t)
    except _Refused:
        return Transition(recorded=False)
    return t


def settle(sessions: sessionmaker[Session], execution_id: uuid.UUID, snap: Snapshot) -> Transition:
    """Queue what is ready and end the execution if every node is terminal — what the transitions do
    anyway; the reconciler calls it for a running execution with nothing queued or running."""
    now = utcnow()
    with _begin(sessions) as s:
        row = _status(s, execution_id)
        if row is None or row.status != "running":
            return Transition()
        statuses = dict(s.execute(select(NE.c.node_key, NE.c.status).where(NE.c.execution_id == execution_id)).all())
        t = Transition(_queue_ready(s, execution_id, snap, [k for k in snap.order if statuses.get(k) == "pending"],
                                    now))
        t.ended = _settle(s, execution_id, snap, now, t)
    return t


def execution_status_and_runner(sessions: sessionmaker[Session], execution_id: uuid.UUID) -> tuple[str | None, str | None]:
    with _connect(sessions) as s:
        row = s.execute(select(EX.c.status, EX.c.runner_id).where(EX.c.id == execution_id)).one_or_none()
    return (row.status, row.runner_id) if row is not None else (None, None)


def nodes_running(sessions: sessionmaker[Session], execution_id: uuid.UUID) -> bool:
    with _connect(sessions) as s:
        return bool(s.scalar(select(exists().where(NE.c.execution_id == execution_id, NE.c.status == "running"))))


def lost_nodes(sessions: sessionmaker[Session], cutoff: datetime, queue: str,
               execution_id: uuid.UUID | None = None) -> list:
    """Running nodes of executions on `queue` whose heartbeat is older than `cutoff` — of ended ones
    too: a node of a cancelled (or failed) execution whose worker died would stay `running`."""
    q = (select(NE.c.id, NE.c.execution_id, NE.c.attempt)
         .join(EX, EX.c.id == NE.c.execution_id)
         .where(NE.c.status == "running", NE.c.heartbeat_at < cutoff, EX.c.queue == queue))
    if execution_id is not None:
        q = q.where(NE.c.execution_id == execution_id)
    with _connect(sessions) as s:
        return s.execute(q).all()


def queued_nodes(sessions: sessionmaker[Session], due_before: datetime, queue: str,
                 execution_id: uuid.UUID | None = None) -> list:
    """Queued nodes of running executions on `queue`, due (queued_at) before `due_before`."""
    q = (select(NE.c.execution_id, NE.c.node_key, NE.c.attempt, NE.c.queued_at)
         .join(EX, EX.c.id == NE.c.execution_id)
         .where(NE.c.status == "queued", NE.c.queued_at < due_before, EX.c.queue == queue,
                EX.c.status == "running"))
    if execution_id is not None:
        q = q.where(NE.c.execution_id == execution_id)
    with _connect(sessions) as s:
        return s.execute(q).all()


def idle_executions(sessions: sessionmaker[Session], queue: str, execution_id: uuid.UUID | None = None) -> list:
    """Running executions on `queue` with no node queued or running (something must be settled)."""
    busy = exists().where(NE.c.execution_id == EX.c.id, NE.c.status.in_(("queued", "running")))
    q = select(EX.c.id).where(EX.c.status == "running", EX.c.queue == queue, ~busy)
    if execution_id is not None:
        q = q.where(EX.c.id == execution_id)
    with _connect(sessions) as s:
        return list(s.scalars(q))


def stuck_pending(sessions: sessionmaker[Session], queue: str, created_before: datetime,
                  execution_id: uuid.UUID | None = None) -> list[uuid.UUID]:
    """Executions on `queue` still pending long after they were created (their submitter died)."""
    q = select(EX.c.id).where(EX.c.status == "pending", EX.c.queue == queue, EX.c.created_at < created_before)
    if execution_id is not None:
        q = q.where(EX.c.id == execution_id)
    with _connect(sessions) as s:
        return list(s.scalars(q))


def touch_queued(sessions: sessionmaker[Session], execution_id: uuid.UUID, key: str, attempt: int) -> bool:
    """Re-date a queued node that is being enqueued again (so the next reconcile waits its grace)."""
    with _begin(sessions) as s:
        got = s.execute(update(NE).where(NE.c.execution_id == execution_id, NE.c.node_key == key,
                                         NE.c.status == "queued", NE.c.attempt == attempt)
                        .values(queued_at=utcnow()))
        return got.rowcount == 1


def execution_status(sessions: sessionmaker[Session], execution_id: uuid.UUID) -> str | None:
    with _connect(sessions) as s:
        return s.scalar(select(EX.c.status).where(EX.c.id == execution_id))


def statuses(sessions: sessionmaker[Session], execution_ids) -> dict[uuid.UUID, str]:
    ids = list(execution_ids)
    if not ids:
        return {}
    with _connect(sessions) as s:
        return dict(s.execute(select(EX.c.id, EX.c.status).where(EX.c.id.in_(ids))).all())


__all__ = [
    "Claim", "Job", "Transition", "TransitionRefused", "Tuning", "cancel", "claim", "containers_closed",
    "create_execution", "finish", "heartbeat", "pause", "requeue_lost", "resume", "settle", "start",
]

