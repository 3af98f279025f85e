"""Metrics, error logs and health checks.

These tables reference executions, node executions and containers by id *without* foreign keys, on purpose:
they are best-effort telemetry, written from anywhere (workers, the API, the health checker), possibly
before the row they describe is committed or after a failed transaction; a missing parent must never make
recording an error fail. Indexes make the lookups by id cheap all the same.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Float, Index, String, Text, Uuid, text
from sqlalchemy.orm import Mapped, mapped_column

from qflow.db.base import Base, CreatedAtMixin, JSONType, UTCDateTime, UUIDPrimaryKey, utcnow


class PerformanceMetric(UUIDPrimaryKey, Base):
    __tablename__ = "performance_metrics"
    __table_args__ = (Index("ix_performance_metrics_name_recorded_at", "name", "recorded_at"),)

    execution_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), index=True)
    node_execution_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), index=True)
    container_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), index=True)
    # The metric's name, e.g. "node.wall_seconds", "container.peak_memory_bytes".
    name: Mapped[str] = mapped_column(String(128))
    value: Mapped[float] = mapped_column(Float())
    unit: Mapped[str] = mapped_column(String(32), default="", server_default=text("''"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


class ErrorLog(UUIDPrimaryKey, CreatedAtMixin, Base):
    __tablename__ = "error_logs"

    execution_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), index=True)
    node_execution_id: Mapped[uuid.UUID | None] = mapped_column(Uuid(), index=True)
    error_type: Mapped[str] = mapped_column(String(255), index=True)
    message: Mapped[str] = mapped_column(Text())
    traceback: Mapped[str | None] = mapped_column(Text())
    context: Mapped[dict[str, Any]] = mapped_column(JSONType(), default=dict)


class SystemHealth(UUIDPrimaryKey, Base):
    __tablename__ = "system_health"
    __table_args__ = (Index("ix_system_health_component_checked_at", "component", "checked_at"),)

    # e.g. "database", "docker", "redis", "worker:<id>".
    component: Mapped[str] = mapped_column(String(64))
    # e.g. "ok", "degraded", "down".
    status: Mapped[str] = mapped_column(String(16))
    details: Mapped[dict[str, Any]] = mapped_column(JSONType(), default=dict)
    checked_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)


__all__ = ["ErrorLog", "PerformanceMetric", "SystemHealth"]
