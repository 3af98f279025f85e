"""Accounts and login sessions."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qflow.db.base import Base, CreatedAtMixin, TimestampsMixin, UUIDPrimaryKey


class User(UUIDPrimaryKey, TimestampsMixin, Base):
    __tablename__ = "users"

    # Stored as given; the auth layer normalises (lower-cases) addresses before they get here.
    email: Mapped[str] = mapped_column(String(320), unique=True)
    password_hash: Mapped[str] = mapped_column(String(255))
    is_active: Mapped[bool] = mapped_column(Boolean(), default=True, server_default=true())

    sessions: Mapped[list[UserSession]] = relationship(
        back_populates="user", lazy="raise", passive_deletes="all", order_by="UserSession.created_at"
    )


class UserSession(UUIDPrimaryKey, CreatedAtMixin, Base):
    """One bearer token. Only its SHA-256 (hex) is stored; the token itself is shown once, at login."""

    __tablename__ = "user_sessions"

    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    expires_at: Mapped[datetime] = mapped_column(index=True)
    revoked_at: Mapped[datetime | None]
    user_agent: Mapped[str | None] = mapped_column(String(512))

    user: Mapped[User] = relationship(back_populates="sessions", lazy="raise")


__all__ = ["User", "UserSession"]
