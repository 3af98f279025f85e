"""Workflow runs: the execution, one row per node run, the data passed between nodes, events, checkpoints."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import BigInteger, CheckConstraint, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qflow.db.base import Base, CreatedAtMixin, JSONType, UUIDPrimaryKey, check_in

if TYPE_CHECKING:
    from qflow.db.models.files import File
    from qflow.db.models.nodes import PythonNodeVersion
    from qflow.db.models.sandbox import Container
    from qflow.db.models.users import User
    from qflow.db.models.workflows import WorkflowVersion


class ExecutionStatus(StrEnum):
    PENDING = "pending"
    RUNNING = "running"
    PAUSED = "paused"
    COMPLETED = "completed"
    FAILED = "failed"
    CANCELLED = "cancelled"


class ExecutionQueue(StrEnum):
    INPROCESS = "inprocess"
    RQ = "rq"


class NodeExecutionStatus(StrEnum):
    PENDING = "pending"
    QUEUED = "queued"
    RUNNING = "running"
    COMPLETED = "completed"
    FAILED = "failed"
    TIMED_OUT = "timed_out"
    CANCELLED = "cancelled"
    SKIPPED = "skipped"


class DataTransport(StrEnum):
    JSON = "json"
    FILE = "file"


class EventType(StrEnum):
    STARTED = "started"
    NODE_STARTED = "node_started"
    NODE_COMPLETED = "node_completed"
    NODE_FAILED = "node_failed"
    NODE_RETRIED = "node_retried"
    NODE_SKIPPED = "node_skipped"
    PAUSED = "paused"
    RESUMED = "resumed"
    CANCELLED = "cancelled"
    COMPLETED = "completed"
    FAILED = "failed"


class WorkflowExecution(UUIDPrimaryKey, CreatedAtMixin, Base):
    """One run of a workflow. `definition` is a snapshot of exactly what ran (a file-based workflow has no
    `workflow_version_id`)."""

    __tablename__ = "workflow_executions"
    __table_args__ = (
        check_in("status", [s.value for s in ExecutionStatus]),
        check_in("queue", [q.value for q in ExecutionQueue], nullable=True),
        Index("ix_workflow_executions_owner_id_created_at", "owner_id", "created_at"),
        Index("ix_workflow_executions_created_at", "created_at"),
    )

    workflow_version_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("workflow_versions.id", ondelete="RESTRICT"), index=True
    )
    # Indexed by (owner_id, created_at) above.
    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType())
    params: Mapped[dict[str, Any]] = mapped_column(JSONType(), default=dict)
    status: Mapped[str] = mapped_column(String(16), default=ExecutionStatus.PENDING.value, index=True)
    progress_percent: Mapped[float] = mapped_column(Float(), default=0.0, server_default="0")
    current_node: Mapped[str | None] = mapped_column(String(255))
    error: Mapped[dict[str, Any] | None] = mapped_column(JSONType())
    queue: Mapped[str | None] = mapped_column(String(16))
    # The process (host:pid:start time) running an in-process execution; a server that starts after it
    # died takes the execution over by a compare-and-set of this column. NULL for RQ executions.
    runner_id: Mapped[str | None] = mapped_column(String(255))
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    workflow_version: Mapped[WorkflowVersion | None] = relationship(lazy="raise")
    owner: Mapped[User | None] = relationship(lazy="raise")
    node_executions: Mapped[list[NodeExecution]] = relationship(
        back_populates="execution", lazy="raise", passive_deletes="all", order_by="NodeExecution.id"
    )
    events: Mapped[list[WorkflowExecutionEvent]] = relationship(
        back_populates="execution", lazy="raise", passive_deletes="all", order_by="WorkflowExecutionEvent.id"
    )
    checkpoints: Mapped[list[WorkflowCheckpoint]] = relationship(
        back_populates="execution", lazy="raise", passive_deletes="all", order_by="WorkflowCheckpoint.id"
    )


class NodeExecution(UUIDPrimaryKey, Base):
    """One node of one execution. A retry reuses the row and increments `attempt`."""

    __tablename__ = "node_executions"
    __table_args__ = (
        UniqueConstraint("execution_id", "node_key"),
        check_in("status", [s.value for s in NodeExecutionStatus]),
    )

    execution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflow_executions.id", ondelete="RESTRICT"))
    node_key: Mapped[str] = mapped_column(String(255))
    node_version_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("python_node_versions.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(String(16), default=NodeExecutionStatus.PENDING.value, index=True)
    # Attempts started so far (0 until the node first runs).
    attempt: Mapped[int] = mapped_column(Integer(), default=0, server_default="0")
    inputs: Mapped[dict[str, Any] | None] = mapped_column(JSONType())
    outputs: Mapped[dict[str, Any] | None] = mapped_column(JSONType())
    error: Mapped[dict[str, Any] | None] = mapped_column(JSONType())
    logs: Mapped[str | None] = mapped_column(Text())
    cpu_seconds: Mapped[float | None] = mapped_column(Float())
    peak_memory_bytes: Mapped[int | None] = mapped_column(BigInteger())
    wall_seconds: Mapped[float | None] = mapped_column(Float())
    container_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("containers.id", ondelete="RESTRICT"), index=True
    )
    worker_id: Mapped[str | None] = mapped_column(String(255))
    heartbeat_at: Mapped[datetime | None]
    queued_at: Mapped[datetime | None]
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]

    execution: Mapped[WorkflowExecution] = relationship(back_populates="node_executions", lazy="raise")
    node_version: Mapped[PythonNodeVersion | None] = relationship(lazy="raise")
    container: Mapped[Container | None] = relationship(lazy="raise")


class NodeDataFlow(UUIDPrimaryKey, CreatedAtMixin, Base):
    """One value handed from a node's output to another node's input. A NULL source is the workflow's own
    parameters; a NULL target is the workflow's result. Big values travel as files (`file_id`)."""

    __tablename__ = "node_data_flow"
    __table_args__ = (
        check_in("transport", [t.value for t in DataTransport]),
        CheckConstraint(
            "source_node_execution_id IS NOT NULL OR target_node_execution_id IS NOT NULL", name="has_endpoint"
        ),
    )

    execution_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("workflow_executions.id", ondelete="RESTRICT"), index=True
    )
    source_node_execution_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("node_executions.id", ondelete="RESTRICT"), index=True
    )
    target_node_execution_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("node_executions.id", ondelete="RESTRICT"), index=True
    )
    source_output: Mapped[str] = mapped_column(String(255))
    target_input: Mapped[str] = mapped_column(String(255))
    transport: Mapped[str] = mapped_column(String(8), default=DataTransport.JSON.value)
    file_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("files.id", ondelete="RESTRICT"), index=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger(), default=0, server_default="0")
    # How the value was encoded, e.g. "json", "pickle", "parquet".
    serialization: Mapped[str] = mapped_column(String(32), default="json", server_default="json")
    transfer_seconds: Mapped[float | None] = mapped_column(Float())

    execution: Mapped[WorkflowExecution] = relationship(lazy="raise")
    source: Mapped[NodeExecution | None] = relationship(foreign_keys=[source_node_execution_id], lazy="raise")
    target: Mapped[NodeExecution | None] = relationship(foreign_keys=[target_node_execution_id], lazy="raise")
    file: Mapped[File | None] = relationship(lazy="raise")


class WorkflowExecutionEvent(UUIDPrimaryKey, CreatedAtMixin, Base):
    """Append-only timeline of an execution (what the live-progress stream replays)."""

    __tablename__ = "workflow_execution_events"
    __table_args__ = (
        check_in("event_type", [e.value for e in EventType]),
        Index("ix_workflow_execution_events_execution_id_created_at", "execution_id", "created_at"),
    )

    execution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflow_executions.id", ondelete="RESTRICT"))
    node_execution_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("node_executions.id", ondelete="RESTRICT"), index=True
    )
    event_type: Mapped[str] = mapped_column(String(32))
    payload: Mapped[dict[str, Any]] = mapped_column(JSONType(), default=dict)

    execution: Mapped[WorkflowExecution] = relationship(back_populates="events", lazy="raise")
    node_execution: Mapped[NodeExecution | None] = relationship(lazy="raise")


class WorkflowCheckpoint(UUIDPrimaryKey, CreatedAtMixin, Base):
    """Saved engine state from which a paused or interrupted execution resumes."""

    __tablename__ = "workflow_checkpoints"
    __table_args__ = (Index("ix_workflow_checkpoints_execution_id_created_at", "execution_id", "created_at"),)

    execution_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflow_executions.id", ondelete="RESTRICT"))
    state: Mapped[dict[str, Any]] = mapped_column(JSONType())

    execution: Mapped[WorkflowExecution] = relationship(back_populates="checkpoints", lazy="raise")


__all__ = [
    "DataTransport",
    "EventType",
    "ExecutionQueue",
    "ExecutionStatus",
    "NodeDataFlow",
    "NodeExecution",
    "NodeExecutionStatus",
    "WorkflowCheckpoint",
    "WorkflowExecution",
    "WorkflowExecutionEvent",
]
