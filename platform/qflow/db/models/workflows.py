"""Workflows: a named workflow, its immutable versions (the definition), the node versions each uses, tags."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Column, ForeignKey, Integer, String, Table, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qflow.db.base import Base, CreatedAtMixin, JSONType, TimestampsMixin, UUIDPrimaryKey, immutable

if TYPE_CHECKING:
    from qflow.db.models.nodes import PythonNodeVersion
    from qflow.db.models.users import User

workflow_tag_links = Table(
    "workflow_tag_links",
    Base.metadata,
    Column("workflow_id", ForeignKey("workflows.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("workflow_tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Workflow(UUIDPrimaryKey, TimestampsMixin, Base):
    __tablename__ = "workflows"

    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text(), default="", server_default=text("''"))
    latest_version: Mapped[int] = mapped_column(Integer(), default=0, server_default="0")
    deleted_at: Mapped[datetime | None]

    owner: Mapped[User | None] = relationship(lazy="raise")
    versions: Mapped[list[WorkflowVersion]] = relationship(
        back_populates="workflow", lazy="raise", passive_deletes="all", order_by="WorkflowVersion.version"
    )
    tags: Mapped[list[WorkflowTag]] = relationship(
        secondary=workflow_tag_links, lazy="raise", passive_deletes=True, order_by="WorkflowTag.name"
    )


@immutable
class WorkflowVersion(UUIDPrimaryKey, CreatedAtMixin, Base):
    """One saved version of a workflow definition. Immutable: a change is a new row with version + 1."""

    __tablename__ = "workflow_versions"
    __table_args__ = (UniqueConstraint("workflow_id", "version"),)

    workflow_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflows.id", ondelete="RESTRICT"))
    version: Mapped[int] = mapped_column(Integer())
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType())

    workflow: Mapped[Workflow] = relationship(back_populates="versions", lazy="raise")
    nodes: Mapped[list[WorkflowVersionNode]] = relationship(
        back_populates="workflow_version", lazy="raise", passive_deletes="all", order_by="WorkflowVersionNode.node_key"
    )


class WorkflowVersionNode(UUIDPrimaryKey, Base):
    """Which node version each node of a workflow version runs. The RESTRICT foreign key to
    python_node_versions is what refuses deleting a node version (and so its node) while a workflow uses it."""

    __tablename__ = "workflow_version_nodes"
    __table_args__ = (UniqueConstraint("workflow_version_id", "node_key"),)

    workflow_version_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("workflow_versions.id", ondelete="RESTRICT"))
    # The node's id inside the workflow definition.
    node_key: Mapped[str] = mapped_column(String(255))
    # NULL when the workflow took the node from a file path rather than the node library.
    node_version_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("python_node_versions.id", ondelete="RESTRICT"), index=True
    )

    workflow_version: Mapped[WorkflowVersion] = relationship(back_populates="nodes", lazy="raise")
    node_version: Mapped[PythonNodeVersion | None] = relationship(lazy="raise")


class WorkflowTag(UUIDPrimaryKey, Base):
    __tablename__ = "workflow_tags"

    name: Mapped[str] = mapped_column(String(64), unique=True)


__all__ = ["Workflow", "WorkflowTag", "WorkflowVersion", "WorkflowVersionNode", "workflow_tag_links"]
