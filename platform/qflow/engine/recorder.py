"""Everything an execution writes to the database, one short explicit transaction per transition, so
the database is the truth of an execution's state at every moment (and what a reader or a resumed
engine sees)."""

from __future__ import annotations

import json
import uuid
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session, sessionmaker

from qflow.db.base import utcnow
from qflow.db.models import (
    Container,
    ErrorLog,
    NodeDataFlow,
    NodeExecution,
    PerformanceMetric,
    WorkflowExecution,
    WorkflowExecutionEvent,
)
from qflow.sandbox.container import ContainerRecord
from qflow.sandbox.outcome import RunResult
from type_system import codec


class Recorder:
    def __init__(self, sessions: sessionmaker[Session], execution_id: uuid.UUID):
        self.sessions = sessions
        self.execution_id = execution_id
        self.node_ids: dict[str, uuid.UUID] = {}

    @classmethod
    def create(cls, sessions: sessionmaker[Session], *, definition: dict, params: dict, node_keys: list[str],
               node_version_ids: dict[str, uuid.UUID | None], queue: str = "inprocess",
               owner_id: uuid.UUID | None = None, workflow_version_id: uuid.UUID | None = None) -> "Recorder":
        with sessions.begin() as s:
            ex = WorkflowExecution(definition=definition, params=codec.encode(params), status="pending",
                                   queue=queue, owner_id=owner_id, workflow_version_id=workflow_version_id)
            s.add(ex)
            s.flush()
            rec = cls(sessions, ex.id)
            for key in node_keys:
                ne = NodeExecution(execution_id=ex.id, node_key=key, status="pending",
                                   node_version_id=node_version_ids.get(key))
                s.add(ne)
                s.flush()
                rec.node_ids[key] = ne.id
        return rec

    # -- execution transitions

    def execution_started(self) -> None:
        with self.sessions.begin() as s:
            s.execute(update(WorkflowExecution).where(WorkflowExecution.id == self.execution_id)
                      .values(status="running", started_at=utcnow()))
            self._event(s, "started", None, {})

    def execution_finished(self, status: str, error: dict | None = None) -> None:
        with self.sessions.begin() as s:
            values: dict[str, Any] = dict(status=status, finished_at=utcnow(), current_node=None, error=error)
            if status == "completed":
                values["progress_percent"] = 100.0
            s.execute(update(WorkflowExecution).where(WorkflowExecution.id == self.execution_id).values(**values))
            self._event(s, status, None, {"error": error} if error else {})

    # -- node transitions

    def node_started(self, key: str, attempt: int, inputs: dict[str, Any]) -> None:
        nid = self.node_ids[key]
        with self.sessions.begin() as s:
            s.execute(update(NodeExecution).where(NodeExecution.id == nid).values(
                status="running", attempt=attempt, inputs=codec.encode(inputs), started_at=utcnow(),
                finished_at=None, error=None))
            s.execute(update(WorkflowExecution).where(WorkflowExecution.id == self.execution_id)
                      .values(current_node=key))
            self._event(s, "node_started" if attempt == 1 else "node_retried", nid, {"node": key, "attempt": attempt})

    def node_finished(self, key: str, result: RunResult, progress: float) -> None:
        container = result.container
        nid = self.node_ids[key]
        usage = result.resource_usage or {}
        with self.sessions.begin() as s:
            container_row_id = self._container(s, container) if container else None
            s.execute(update(NodeExecution).where(NodeExecution.id == nid).values(
                status=result.status,
                outputs=None if result.outputs is None else codec.encode(result.outputs),
                error=result.error, logs=result.logs,
                cpu_seconds=usage.get("cpu_seconds"), peak_memory_bytes=usage.get("peak_memory_bytes"),
                wall_seconds=usage.get("wall_seconds"), container_id=container_row_id, finished_at=utcnow()))
            s.execute(update(WorkflowExecution).where(WorkflowExecution.id == self.execution_id)
                      .values(progress_percent=progress))
            for name, unit in (("cpu_seconds", "s"), ("peak_memory_bytes", "bytes"), ("wall_seconds", "s")):
                if usage.get(name) is not None:
                    s.add(PerformanceMetric(execution_id=self.execution_id, node_execution_id=nid,
                                            container_id=container_row_id, name=f"node.{name}",
                                            value=float(usage[name]), unit=unit))
            if result.error:
                s.add(ErrorLog(execution_id=self.execution_id, node_execution_id=nid,
                               error_type=result.error.get("type", "SandboxError"),
                               message=result.error.get("message", ""), traceback=result.error.get("traceback"),
                               context={"node": key}))
            kind = "node_completed" if result.status == "completed" else "node_failed"
            self._event(s, kind, nid, {"node": key, "status": result.status,
                                       "error_type": (result.error or {}).get("type")})

    def node_skipped(self, key: str, because: str) -> None:
        nid = self.node_ids[key]
        with self.sessions.begin() as s:
            s.execute(update(NodeExecution).where(NodeExecution.id == nid).values(
                status="skipped", finished_at=utcnow()))
            self._event(s, "node_skipped", nid, {"node": key, "because": because})

    def data_flow(self, source_key: str, output: str, target_key: str, input_name: str, value: Any,
                  seconds: float) -> None:
        size = len(json.dumps(codec.encode(value)).encode())
        with self.sessions.begin() as s:
            s.add(NodeDataFlow(execution_id=self.execution_id, source_node_execution_id=self.node_ids[source_key],
                               target_node_execution_id=self.node_ids[target_key], source_output=output,
                               target_input=input_name, transport="json", size_bytes=size,
                               serialization="json", transfer_seconds=seconds))

    # -- helpers

    def _event(self, s: Session, kind: str, node_execution_id: uuid.UUID | None, payload: dict) -> None:
        s.add(WorkflowExecutionEvent(execution_id=self.execution_id, node_execution_id=node_execution_id,
                                     event_type=kind, payload=payload))

    def _container(self, s: Session, rec: ContainerRecord) -> uuid.UUID:
        """Insert the container's row, or bring it up to date: a warm container serves many nodes."""
        values = dict(
            image=rec.image, python_version=rec.image.rsplit(":", 1)[-1].split("-", 1)[0],
            execution_id=self.execution_id, isolation=rec.isolation, status=rec.status,
            memory_limit_bytes=rec.limits.memory_bytes, nano_cpus=int(rec.limits.cpus * 1e9),
            pids_limit=rec.limits.pids, timeout_seconds=rec.limits.timeout_seconds,
            cpu_seconds=rec.cpu_seconds, peak_memory_bytes=rec.peak_memory_bytes,
            exit_code=rec.exit_code, oom_killed=rec.oom_killed, created_at=rec.created_at,
            started_at=rec.started_at, finished_at=rec.finished_at,
            removed_at=utcnow() if rec.status == "removed" else None)
        row = s.scalars(select(Container).where(Container.docker_id == rec.docker_id)).one_or_none()
        if row is None:
            row = Container(docker_id=rec.docker_id, **values)
            s.add(row)
            s.flush()
        else:
            for k, v in values.items():
                setattr(row, k, v)
        return row.id

    def containers_closed(self, records: list[ContainerRecord]) -> None:
        if not records:
            return
        with self.sessions.begin() as s:
            for rec in records:
                self._container(s, rec)


def load_execution(sessions: sessionmaker[Session], execution_id: uuid.UUID) -> tuple[WorkflowExecution, list[NodeExecution]]:
    with sessions() as s:
        ex = s.get(WorkflowExecution, execution_id)
        nodes = list(s.scalars(select(NodeExecution).where(NodeExecution.execution_id == execution_id)))
        return ex, nodes
