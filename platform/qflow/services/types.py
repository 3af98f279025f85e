"""The type system's platform side: the compatibility matrix as the database holds it, users' custom types.

    matrix = load_matrix(session)              # type_compatibility → a matrix for type_system.check
    registry = user_registry(session, user.id) # custom_types of that user → CustomRegistry

`type_compatibility` starts as SPEC §4's base matrix (seeded by migration 0002, `is_builtin` true);
operators extend it with rows of their own (e.g. `pandas.DataFrame → str`, convertible with `str()`), and
every check the platform makes (workflow validation, constant inputs, `POST /types/check`) reads it here.

Caching: the table is small (a few dozen rows), so each call reads its rows in one query and compares
them with the rows the cached matrix was built from; only a change rebuilds it. A change made by hand
(INSERT, UPDATE or DELETE in SQL) is therefore seen by the next call, with no restart and no
`invalidate()` needed. When the rows are exactly the base matrix, `BASE_MATRIX` itself is returned (the
type system's fastest path).
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from qflow.db.models import CustomType, TypeCompatibility
from type_system import (
    BASE_MATRIX,
    EMPTY_REGISTRY,
    CustomRegistry,
    CustomT,
    CustomTypeDef,
    CustomTypeError,
    TypeParseError,
    load_custom_types,
    matrix_from_rows,
    parse_type,
)

log = logging.getLogger(__name__)

Matrix = Mapping[tuple[str, str], tuple[str, "str | None"]]
Row = tuple[str, str, str, "str | None"]

_cache: dict[str, tuple[tuple[Row, ...], Matrix]] = {}
_lock = threading.Lock()


def _bind_key(session: Session) -> str:
    bind = session.get_bind()
    return bind.url.render_as_string(hide_password=False)


def matrix_rows_from_db(session: Session) -> tuple[Row, ...]:
    """Every `type_compatibility` row as (source, target, verdict, conversion), in a stable order."""
    stmt = select(TypeCompatibility.source_type, TypeCompatibility.target_type, TypeCompatibility.verdict,
                  TypeCompatibility.conversion).order_by(TypeCompatibility.source_type, TypeCompatibility.target_type)
    return tuple((s, t, v, c) for s, t, v, c in session.execute(stmt))


def build_matrix(rows: tuple[Row, ...]) -> Matrix:
    """The matrix of these rows (incompatible rows mean "no entry"). A row the type system refuses (a
    convertible row without a conversion) is skipped with a warning rather than breaking every check."""
    good: list[Row] = []
    for row in rows:
        try:
            matrix_from_rows([row])
        except ValueError as e:
            log.warning("type_compatibility: ignoring a bad row: %s", e)
            continue
        good.append(row)
    built = matrix_from_rows(good)
    if built == dict(BASE_MATRIX):
        return BASE_MATRIX
    return MappingProxyType(built)


def load_matrix(session: Session) -> Matrix:
    """The compatibility matrix as `type_compatibility` holds it now (base rows plus operator rows),
    for `type_system.check(..., matrix=...)`. One small query; rebuilt only when the rows changed."""
    rows = matrix_rows_from_db(session)
    key = _bind_key(session)
    hit = _cache.get(key)
    if hit is not None and hit[0] == rows:
        return hit[1]
    matrix = build_matrix(rows)
    with _lock:
        _cache[key] = (rows, matrix)
    return matrix


def invalidate() -> None:
    """Forget every cached matrix (not needed for correctness: `load_matrix` compares rows itself)."""
    with _lock:
        _cache.clear()


# --------------------------------------------------------------------------------------------------
# Custom types


def user_custom_documents(session: Session, user_id: uuid.UUID) -> dict[str, Any]:
    """The user's custom types in the JSON form `{"Point": {"fields": {...}, "required": [...]}}`."""
    stmt = select(CustomType.name, CustomType.definition).where(CustomType.owner_id == user_id) \
        .order_by(CustomType.name)
    return {name: definition for name, definition in session.execute(stmt)}


def user_registry(session: Session, user_id: uuid.UUID) -> CustomRegistry:
    """A CustomRegistry of that user's `custom_types` (their definitions may name one another)."""
    docs = user_custom_documents(session, user_id)
    return load_custom_types(docs) if docs else EMPTY_REGISTRY


def validate_custom_type(name: str, definition: Any, known_names: set[str] | frozenset[str] = frozenset()
                         ) -> CustomTypeDef:
    """Check a custom type before it is stored: `name` an identifier, `definition` of the form
    `{"fields": {"x": "float"}, "required": ["x"]}` with every field type parsing (custom names known:
    `known_names` and `name` itself) and `required` a subset of the fields (absent: every field). A
    built-in name (`int`, `Any`, `Literal`, ...) cannot be a custom type's. Raises CustomTypeError."""
    if not isinstance(name, str) or not name.isidentifier():
        raise CustomTypeError(f"custom type name {name!r} is not an identifier")
    try:
        named = parse_type(name, frozenset({name}))
    except TypeParseError:
        named = None
    if named != CustomT(name):
        raise CustomTypeError(f"custom type name {name!r} is a built-in type name")
    return CustomTypeDef.from_json(definition, frozenset(known_names) | {name}, name=name)


__all__ = [
    "build_matrix",
    "invalidate",
    "load_matrix",
    "matrix_rows_from_db",
    "user_custom_documents",
    "user_registry",
    "validate_custom_type",
]
