"""Declarative base and the column types every model shares.

* Every primary key is a time-ordered UUIDv7 (`uuid7()`), stored with `sqlalchemy.Uuid`
  (native UUID on PostgreSQL, CHAR(32) on SQLite).
* Every timestamp is timezone-aware UTC (`UTCDateTime`): SQLite stores no offset, so values read back
  from it are tagged UTC again; naive datetimes are refused on the way in.
* `JSONType` is JSONB on PostgreSQL and JSON elsewhere; Python `None` is stored as SQL NULL.
* A naming convention names every constraint and index, so Alembic can address them by name
  (needed for batch mode on SQLite, which recreates tables) and both backends get the same names.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, TypeVar

import uuid6
from sqlalchemy import JSON, CheckConstraint, DateTime, MetaData, Uuid, event, text
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column, object_session
from sqlalchemy.types import TypeDecorator

NAMING_CONVENTION: dict[str, str] = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# PostgreSQL truncates identifiers longer than this; every generated name must stay within it.
MAX_IDENTIFIER_LENGTH = 63


def uuid7() -> uuid.UUID:
    """A new time-ordered UUIDv7 as a plain `uuid.UUID` (ids generated later sort after earlier ones)."""
    return uuid.UUID(int=uuid6.uuid7().int)


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator[datetime]):
    """`DateTime(timezone=True)` that always hands back aware UTC datetimes, on SQLite too."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"naive datetime {value!r}: use an aware datetime (qflow.db.base.utcnow())")
        value = value.astimezone(UTC)
        if dialect.name == "sqlite":
            # SQLite keeps the text as given; store UTC without an offset so values sort and compare.
            return value.replace(tzinfo=None)
        return value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


class JSONType(TypeDecorator[Any]):
    """JSONB on PostgreSQL, JSON elsewhere. `None` is stored as SQL NULL, not JSON `null`."""

    impl = JSON(none_as_null=True)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> Any:
        if dialect.name == "postgresql":
            return dialect.type_descriptor(JSONB(none_as_null=True))
        return dialect.type_descriptor(JSON(none_as_null=True))


def check_in(column: str, values: Iterable[str], *, nullable: bool = False) -> CheckConstraint:
    """CHECK that `column` holds one of `values`; named `ck_<table>_<column>` by the convention."""
    quoted = ", ".join("'" + v.replace("'", "''") + "'" for v in values)
    sql = f"{column} IN ({quoted})"
    if nullable:
        sql = f"{column} IS NULL OR {sql}"
    return CheckConstraint(sql, name=column)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {
        uuid.UUID: Uuid(),
        datetime: UTCDateTime(),
        dict[str, Any]: JSONType(),
        list[Any]: JSONType(),
    }

    def __repr__(self) -> str:
        ident = getattr(self, "id", None)
        return f"<{type(self).__name__} id={ident}>"


class UUIDPrimaryKey:
    """Mixin: `id` UUIDv7 primary key, generated client-side."""

    id: Mapped[uuid.UUID] = mapped_column(Uuid(), primary_key=True, default=uuid7, sort_order=-1000)


class CreatedAtMixin:
    """`created_at`: set by the application (utcnow) and, for raw SQL inserts, by the database."""

    created_at: Mapped[datetime] = mapped_column(
        UTCDateTime(), default=utcnow, server_default=text("CURRENT_TIMESTAMP"), nullable=False, sort_order=1000
    )


class TimestampsMixin(CreatedAtMixin):
    """`created_at` plus `updated_at`, bumped by the ORM on every UPDATE."""

    updated_at: Mapped[datetime] = mapped_column(
        UTCDateTime(),
        default=utcnow,
        onupdate=utcnow,
        server_default=text("CURRENT_TIMESTAMP"),
        nullable=False,
        sort_order=1001,
    )


class ImmutableRowError(RuntimeError):
    """An UPDATE of a row that history depends on (a node or workflow version) was attempted."""


_ModelT = TypeVar("_ModelT", bound=type["Base"])


def immutable(cls: _ModelT) -> _ModelT:
    """Class decorator: the ORM refuses to UPDATE rows of this model (new versions are new rows)."""

    def _refuse(mapper: Any, connection: Any, target: Any) -> None:
        session = object_session(target)
        if session is not None and session.is_modified(target, include_collections=False):
            raise ImmutableRowError(f"{type(target).__name__} rows are immutable; add a new version instead")

    event.listen(cls, "before_update", _refuse)
    return cls
