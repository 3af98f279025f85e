"""Python nodes: a named node, its immutable versions (the code that runs), and tags."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Boolean,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qflow.db.base import Base, CreatedAtMixin, JSONType, TimestampsMixin, UUIDPrimaryKey, immutable

if TYPE_CHECKING:
    from qflow.db.models.users import User

# Link table: its rows go with either end (the only cascading foreign keys in the schema).
python_node_tag_links = Table(
    "python_node_tag_links",
    Base.metadata,
    Column("node_id", ForeignKey("python_nodes.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("node_tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class PythonNode(UUIDPrimaryKey, TimestampsMixin, Base):
    """A node as users see it. `owner_id` NULL means a built-in library node. The code lives in versions."""

    __tablename__ = "python_nodes"
    __table_args__ = (
        UniqueConstraint("owner_id", "name"),
        # NULLs are distinct in the constraint above, so built-in names get their own partial index.
        Index(
            "uq_python_nodes_builtin_name",
            "name",
            unique=True,
            sqlite_where=text("owner_id IS NULL"),
            postgresql_where=text("owner_id IS NULL"),
        ),
    )

    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    description: Mapped[str] = mapped_column(Text(), default="", server_default=text("''"))
    is_template: Mapped[bool] = mapped_column(Boolean(), default=False, server_default=false())
    is_public: Mapped[bool] = mapped_column(Boolean(), default=False, server_default=false())
    # Number of the newest row in python_node_versions (0 before the first version is saved).
    latest_version: Mapped[int] = mapped_column(Integer(), default=0, server_default="0")
    deleted_at: Mapped[datetime | None]

    owner: Mapped[User | None] = relationship(lazy="raise")
    versions: Mapped[list[PythonNodeVersion]] = relationship(
        back_populates="node", lazy="raise", passive_deletes="all", order_by="PythonNodeVersion.version"
    )
    tags: Mapped[list[NodeTag]] = relationship(
        secondary=python_node_tag_links, lazy="raise", passive_deletes=True, order_by="NodeTag.name"
    )


@immutable
class PythonNodeVersion(UUIDPrimaryKey, CreatedAtMixin, Base):
    """One saved version of a node's code. Immutable: a change is a new row with version + 1."""

    __tablename__ = "python_node_versions"
    __table_args__ = (UniqueConstraint("node_id", "version"),)

    node_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("python_nodes.id", ondelete="RESTRICT"))
    version: Mapped[int] = mapped_column(Integer())
    code: Mapped[str] = mapped_column(Text())
    code_sha256: Mapped[str] = mapped_column(String(64), index=True)
    main_function: Mapped[str] = mapped_column(String(255))
    python_version: Mapped[str] = mapped_column(String(16))
    # The parsed signature (inputs/outputs and their types), as the node parser reports it.
    signature: Mapped[dict[str, Any]] = mapped_column(JSONType())
    # Third-party requirements, e.g. ["numpy==2.1.0", "pandas"].
    dependencies: Mapped[list[Any]] = mapped_column(JSONType())

    node: Mapped[PythonNode] = relationship(back_populates="versions", lazy="raise")


class NodeTag(UUIDPrimaryKey, Base):
    __tablename__ = "node_tags"

    name: Mapped[str] = mapped_column(String(64), unique=True)


__all__ = ["NodeTag", "PythonNode", "PythonNodeVersion", "python_node_tag_links"]
