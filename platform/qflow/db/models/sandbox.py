"""Docker sandboxes: every container that ran user code, and the dependency layers built for nodes."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qflow.db.base import Base, CreatedAtMixin, UUIDPrimaryKey, check_in

if TYPE_CHECKING:
    from qflow.db.models.executions import WorkflowExecution


class ContainerIsolation(StrEnum):
    NODE = "node"  # one container per node run
    EXECUTION = "execution"  # one container shared by the nodes of an execution


class ContainerStatus(StrEnum):
    CREATED = "created"
    RUNNING = "running"
    EXITED = "exited"
    REMOVED = "removed"
    FAILED = "failed"


class DependencyStatus(StrEnum):
    PENDING = "pending"
    INSTALLED = "installed"
    FAILED = "failed"


class Container(UUIDPrimaryKey, CreatedAtMixin, Base):
    """One Docker container: the limits it was given and what it used."""

    __tablename__ = "containers"
    __table_args__ = (
        check_in("isolation", [i.value for i in ContainerIsolation]),
        check_in("status", [s.value for s in ContainerStatus]),
    )

    # NULL until Docker has created the container (the row is written first, so a failed create is recorded).
    docker_id: Mapped[str | None] = mapped_column(String(64), unique=True)
    image: Mapped[str] = mapped_column(String(255))
    python_version: Mapped[str] = mapped_column(String(16))
    execution_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("workflow_executions.id", ondelete="RESTRICT"), index=True
    )
    isolation: Mapped[str] = mapped_column(String(16), default=ContainerIsolation.NODE.value)
    status: Mapped[str] = mapped_column(String(16), default=ContainerStatus.CREATED.value, index=True)
    memory_limit_bytes: Mapped[int | None] = mapped_column(BigInteger())
    nano_cpus: Mapped[int | None] = mapped_column(BigInteger())
    pids_limit: Mapped[int | None] = mapped_column(Integer())
    timeout_seconds: Mapped[float | None] = mapped_column(Float())
    cpu_seconds: Mapped[float | None] = mapped_column(Float())
    peak_memory_bytes: Mapped[int | None] = mapped_column(BigInteger())
    exit_code: Mapped[int | None] = mapped_column(Integer())
    oom_killed: Mapped[bool] = mapped_column(Boolean(), default=False, server_default=false())
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
    removed_at: Mapped[datetime | None]

    execution: Mapped[WorkflowExecution | None] = relationship(lazy="raise")


class ContainerDependency(UUIDPrimaryKey, CreatedAtMixin, Base):
    """One package installed into a dependency layer image (`image` is that layer's tag)."""

    __tablename__ = "container_dependencies"
    __table_args__ = (
        UniqueConstraint("image", "package"),
        check_in("status", [s.value for s in DependencyStatus]),
    )

    image: Mapped[str] = mapped_column(String(255))
    python_version: Mapped[str] = mapped_column(String(16))
    package: Mapped[str] = mapped_column(String(255))
    # The requested specifier or the resolved version; NULL when unpinned and not yet resolved.
    version: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default=DependencyStatus.PENDING.value, index=True)
    install_seconds: Mapped[float | None] = mapped_column(Float())
    error: Mapped[str | None] = mapped_column(Text())


__all__ = ["Container", "ContainerDependency", "ContainerIsolation", "ContainerStatus", "DependencyStatus"]
