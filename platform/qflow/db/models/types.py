"""The type system's tables: known types, the compatibility matrix between them, users' custom types."""

from __future__ import annotations

import uuid
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from sqlalchemy import Boolean, ForeignKey, String, Text, UniqueConstraint, false, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from qflow.db.base import Base, JSONType, TimestampsMixin, UUIDPrimaryKey, check_in

if TYPE_CHECKING:
    from qflow.db.models.users import User


class TypeKind(StrEnum):
    SCALAR = "scalar"
    GENERIC = "generic"
    SPECIAL = "special"


class CompatibilityVerdict(StrEnum):
    COMPATIBLE = "compatible"
    CONVERTIBLE = "convertible"
    INCOMPATIBLE = "incompatible"


class TypeDefinition(UUIDPrimaryKey, Base):
    __tablename__ = "type_definitions"
    __table_args__ = (check_in("kind", [k.value for k in TypeKind]),)

    name: Mapped[str] = mapped_column(String(255), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    description: Mapped[str] = mapped_column(Text(), default="", server_default=text("''"))
    # Dotted path or annotation text of the Python type, e.g. "builtins.int", "pandas.DataFrame".
    python_type: Mapped[str] = mapped_column(String(255))


class TypeCompatibility(UUIDPrimaryKey, Base):
    """Whether a value of `source_type` may feed an input of `target_type`, and how it is converted."""

    __tablename__ = "type_compatibility"
    __table_args__ = (
        UniqueConstraint("source_type", "target_type"),
        check_in("verdict", [v.value for v in CompatibilityVerdict]),
    )

    source_type: Mapped[str] = mapped_column(String(255))
    target_type: Mapped[str] = mapped_column(String(255))
    verdict: Mapped[str] = mapped_column(String(16))
    # Name of the conversion applied when the verdict is "convertible".
    conversion: Mapped[str | None] = mapped_column(String(255))
    is_builtin: Mapped[bool] = mapped_column(Boolean(), default=False, server_default=false())


class CustomType(UUIDPrimaryKey, TimestampsMixin, Base):
    __tablename__ = "custom_types"
    __table_args__ = (UniqueConstraint("owner_id", "name"),)

    owner_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id", ondelete="RESTRICT"))
    name: Mapped[str] = mapped_column(String(255))
    definition: Mapped[dict[str, Any]] = mapped_column(JSONType())

    owner: Mapped[User] = relationship(lazy="raise")


__all__ = ["CompatibilityVerdict", "CustomType", "TypeCompatibility", "TypeDefinition", "TypeKind"]
