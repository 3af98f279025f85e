"""seed the type system: type_definitions and the base compatibility matrix

Revision ID: 0002_seed_type_matrix
Revises: 0001_initial
Create Date: 2026-11-21 23:00:00.000000

Must run identically on SQLite (batch mode) and PostgreSQL, upgrade and downgrade.
Never import application code (qflow.*, type_system.*) here: a revision is a frozen snapshot, so the
rows below are literals — a copy of SPEC §2's canonical forms and of SPEC §4's base matrix
(`type_system.matrix.BASE_ROWS` at the time of writing; tests/db checks the two stay equal).

Every seeded `type_compatibility` row has `is_builtin = true`; operators add their own rows
(`is_builtin = false`) and the platform reads the whole table as its matrix. Ids are UUIDv7-shaped and
deterministic (a fixed timestamp, the row's position, a hash of its key), so an upgrade always writes the
same rows. A row whose key already exists (added by hand before this revision) is left as it is.
Downgrade deletes exactly the rows this revision seeds: the builtin compatibility rows and the
definitions it named.
"""

import hashlib
import uuid
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = '0002_seed_type_matrix'
down_revision: str | Sequence[str] | None = '0001_initial'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# 2026-11-21T23:00:00Z in milliseconds: the timestamp part of every seeded id.
SEED_TIMESTAMP_MS = 1_795_302_000_000

# (name, kind, python_type, description) — one row per canonical scalar and generic/special form (SPEC §2).
TYPE_DEFINITIONS: list[tuple[str, str, str, str]] = [
    ("int", "scalar", "builtins.int", "Integer."),
    ("float", "scalar", "builtins.float", "Floating-point number."),
    ("bool", "scalar", "builtins.bool", "True or False."),
    ("str", "scalar", "builtins.str", "Text."),
    ("bytes", "scalar", "builtins.bytes", "Binary data."),
    ("None", "scalar", "types.NoneType", "No value; matches None, Any and unions holding None."),
    ("datetime", "scalar", "datetime.datetime", "Date and time."),
    ("date", "scalar", "datetime.date", "Calendar date."),
    ("Decimal", "scalar", "decimal.Decimal", "Exact decimal number."),
    ("UUID", "scalar", "uuid.UUID", "Universally unique identifier."),
    ("Any", "special", "typing.Any",
     "Anything (typing.Any and object): every value goes to Any; a value from Any is checked when it arrives."),
    ("list[T]", "generic", "builtins.list",
     "List of T; typing.List and Sequence spell the same; bare list is list[Any]."),
    ("set[T]", "generic", "builtins.set", "Set of T; typing.Set spells the same; bare set is set[Any]."),
    ("dict[K, V]", "generic", "builtins.dict",
     "Mapping of K to V; typing.Dict and Mapping spell the same; bare dict is dict[Any, Any]."),
    ("tuple[A, B]", "generic", "builtins.tuple", "Fixed-length tuple, one type per item."),
    ("tuple[T, ...]", "generic", "builtins.tuple",
     "Variable-length tuple of T; bare tuple is tuple[Any, ...]."),
    ("A | B", "special", "typing.Union",
     "Union; Optional[T] and Union[...] spell the same; flattened, duplicates dropped, None last."),
    ("Literal[...]", "special", "typing.Literal", "One of the given values (int, str, bool, bytes or None)."),
]

# (source, target, verdict, conversion) — SPEC §4's base matrix; every other pair of distinct scalars is
# incompatible (no row).
COMPATIBILITY: list[tuple[str, str, str, str | None]] = [
    ("bool", "int", "compatible", None),
    ("bool", "float", "compatible", None),
    ("int", "float", "compatible", None),
    ("float", "int", "convertible", "int()"),
    ("Decimal", "int", "convertible", "int()"),
    ("str", "int", "convertible", "int()"),
    ("str", "float", "convertible", "float()"),
    ("Decimal", "float", "convertible", "float()"),
    ("int", "Decimal", "convertible", "Decimal()"),
    ("float", "Decimal", "convertible", "Decimal()"),
    ("str", "Decimal", "convertible", "Decimal()"),
    ("int", "str", "convertible", "str()"),
    ("float", "str", "convertible", "str()"),
    ("bool", "str", "convertible", "str()"),
    ("Decimal", "str", "convertible", "str()"),
    ("UUID", "str", "convertible", "str()"),
    ("date", "str", "convertible", "isoformat()"),
    ("datetime", "str", "convertible", "isoformat()"),
    ("str", "datetime", "convertible", "datetime.fromisoformat()"),
    ("str", "date", "convertible", "date.fromisoformat()"),
    ("datetime", "date", "convertible", ".date()"),
    ("str", "UUID", "convertible", "UUID()"),
    ("bytes", "str", "convertible", "bytes.decode()"),
    ("str", "bytes", "convertible", "str.encode()"),
]

type_definitions = sa.table(
    "type_definitions",
    sa.column("id", sa.Uuid()),
    sa.column("name", sa.String(255)),
    sa.column("kind", sa.String(16)),
    sa.column("description", sa.Text()),
    sa.column("python_type", sa.String(255)),
)

type_compatibility = sa.table(
    "type_compatibility",
    sa.column("id", sa.Uuid()),
    sa.column("source_type", sa.String(255)),
    sa.column("target_type", sa.String(255)),
    sa.column("verdict", sa.String(16)),
    sa.column("conversion", sa.String(255)),
    sa.column("is_builtin", sa.Boolean()),
)


def seed_id(table: int, position: int, key: str) -> uuid.UUID:
    """A deterministic UUIDv7: the fixed seed timestamp, then (table, position) in rand_a so the ids sort
    in seeding order, then 62 bits of the key's SHA-256 in rand_b."""
    rand_a = (table << 8 | position) & 0xFFF
    rand_b = int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") & ((1 << 62) - 1)
    value = SEED_TIMESTAMP_MS << 80 | 0x7 << 76 | rand_a << 64 | 0b10 << 62 | rand_b
    return uuid.UUID(int=value)


def definition_rows() -> list[dict]:
    return [
        {"id": seed_id(1, i, f"type_definitions:{name}"), "name": name, "kind": kind, "description": description,
         "python_type": python_type}
        for i, (name, kind, python_type, description) in enumerate(TYPE_DEFINITIONS)
    ]


def compatibility_rows() -> list[dict]:
    return [
        {"id": seed_id(2, i, f"type_compatibility:{source}->{target}"), "source_type": source,
         "target_type": target, "verdict": verdict, "conversion": conversion, "is_builtin": True}
        for i, (source, target, verdict, conversion) in enumerate(COMPATIBILITY)
    ]


def upgrade() -> None:
    definitions = definition_rows()
    compatibility = compatibility_rows()
    if not context.is_offline_mode():
        bind = op.get_bind()
        names = set(bind.execute(sa.select(type_definitions.c.name)).scalars())
        pairs = {tuple(r) for r in bind.execute(
            sa.select(type_compatibility.c.source_type, type_compatibility.c.target_type))}
        definitions = [r for r in definitions if r["name"] not in names]
        compatibility = [r for r in compatibility if (r["source_type"], r["target_type"]) not in pairs]
    if definitions:
        op.bulk_insert(type_definitions, definitions)
    if compatibility:
        op.bulk_insert(type_compatibility, compatibility)


def downgrade() -> None:
    op.execute(type_compatibility.delete().where(type_compatibility.c.is_builtin == sa.true()))
    op.execute(type_definitions.delete().where(
        type_definitions.c.name.in_([name for name, _, _, _ in TYPE_DEFINITIONS])))
