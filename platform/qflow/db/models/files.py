"""Stored files (uploads, node outputs passed by file) and who accessed them."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, LargeBinary, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qflow.db.base import Base, CreatedAtMixin, UTCDateTime, UUIDPrimaryKey, utcnow

if TYPE_CHECKING:
    from qflow.db.models.executions import WorkflowExecution
    from qflow.db.models.users import User


class File(UUIDPrimaryKey, CreatedAtMixin, Base):
    __tablename__ = "files"
    __table_args__ = (Index("ix_files_created_at", "created_at"),)

    owner_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    execution_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("workflow_executions.id", ondelete="RESTRICT"), index=True
    )
    name: Mapped[str] = mapped_column(String(255))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size_bytes: Mapped[int] = mapped_column(BigInteger())
    mime_type: Mapped[str] = mapped_column(String(255), default="application/octet-stream")
    # IN_DATABASE when the bytes are in `file_contents`, else relative to settings.files_dir; empty once
    # an expired file's bytes were deleted.
    storage_path: Mapped[str] = mapped_column(String(1024))
    is_temporary: Mapped[bool] = mapped_column(Boolean(), default=False, server_default=false())
    # When a temporary file may be garbage-collected.
    expires_at: Mapped[datetime | None] = mapped_column(index=True)

    owner: Mapped[User | None] = relationship(lazy="raise")
    execution: Mapped[WorkflowExecution | None] = relationship(lazy="raise")


IN_DATABASE = "@database"


class FileContent(Base):
    """The bytes of a file kept in the database (QFLOW_FILE_STORE=database), apart from `files` so that
    listing files never reads them."""

    __tablename__ = "file_contents"

    file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("files.id", ondelete="RESTRICT"), primary_key=True)
    content: Mapped[bytes] = mapped_column(LargeBinary())


class FileAccessLog(UUIDPrimaryKey, Base):
    __tablename__ = "file_access_logs"

    file_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("files.id", ondelete="RESTRICT"), index=True)
    user_id: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    # e.g. "upload", "download", "read", "delete".
    action: Mapped[str] = mapped_column(String(32))
    accessed_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)

    file: Mapped[File] = relationship(lazy="raise")
    user: Mapped[User | None] = relationship(lazy="raise")


__all__ = ["IN_DATABASE", "File", "FileAccessLog", "FileContent"]
