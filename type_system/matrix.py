"""The base compatibility matrix of SPEC §4, as plain data.

`BASE_ROWS` is the table itself: (source, target, verdict, conversion) with canonical type names.
Every pair of distinct scalar types not listed is incompatible (rule "a pair that no rule or matrix entry
makes compatible or convertible is incompatible"). The platform seeds these rows into a database table
and may hand `check` an extended matrix built with `matrix_from_rows`; keys are canonical type strings,
so an extension may also name opaque types (`("datetime.timedelta", "str")`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

__all__ = [
    "COMPATIBLE",
    "CONVERTIBLE",
    "INCOMPATIBLE",
    "VERDICTS",
    "BASE_ROWS",
    "BASE_MATRIX",
    "MATRIX_SCALARS",
    "Matrix",
    "matrix_rows",
    "matrix_from_rows",
]

COMPATIBLE, CONVERTIBLE, INCOMPATIBLE = "compatible", "convertible", "incompatible"
VERDICTS = (COMPATIBLE, CONVERTIBLE, INCOMPATIBLE)  # best → worst

# The scalar types the matrix speaks about (`Any` is handled by rule 1, before the matrix).
MATRIX_SCALARS = ("int", "float", "bool", "str", "bytes", "None", "datetime", "date", "Decimal", "UUID")

BASE_ROWS: tuple[tuple[str, str, str, str | None], ...] = (
    # compatible
    ("bool", "int", COMPATIBLE, None),
    ("bool", "float", COMPATIBLE, None),
    ("int", "float", COMPATIBLE, None),
    # convertible
    ("float", "int", CONVERTIBLE, "int()"),
    ("Decimal", "int", CONVERTIBLE, "int()"),
    ("str", "int", CONVERTIBLE, "int()"),
    ("str", "float", CONVERTIBLE, "float()"),
    ("Decimal", "float", CONVERTIBLE, "float()"),
    ("int", "Decimal", CONVERTIBLE, "Decimal()"),
    ("float", "Decimal", CONVERTIBLE, "Decimal()"),
    ("str", "Decimal", CONVERTIBLE, "Decimal()"),
    ("int", "str", CONVERTIBLE, "str()"),
    ("float", "str", CONVERTIBLE, "str()"),
    ("bool", "str", CONVERTIBLE, "str()"),
    ("Decimal", "str", CONVERTIBLE, "str()"),
    ("UUID", "str", CONVERTIBLE, "str()"),
    ("date", "str", CONVERTIBLE, "isoformat()"),
    ("datetime", "str", CONVERTIBLE, "isoformat()"),
    ("str", "datetime", CONVERTIBLE, "datetime.fromisoformat()"),
    ("str", "date", CONVERTIBLE, "date.fromisoformat()"),
    ("datetime", "date", CONVERTIBLE, ".date()"),
    ("str", "UUID", CONVERTIBLE, "UUID()"),
    ("bytes", "str", CONVERTIBLE, "bytes.decode()"),
    ("str", "bytes", CONVERTIBLE, "str.encode()"),
)

Matrix = Mapping[tuple[str, str], tuple[str, "str | None"]]

BASE_MATRIX: Matrix = MappingProxyType({(s, t): (v, c) for s, t, v, c in BASE_ROWS})


def matrix_rows(matrix: Matrix | None = None, *, include_incompatible: bool = False) -> list[dict[str, Any]]:
    """The matrix as rows `{"source", "target", "verdict", "conversion"}` (for seeding a table).
    With `include_incompatible`, every other ordered pair of distinct `MATRIX_SCALARS` is added as an
    explicit incompatible row, so the rows cover the whole scalar square."""
    m = BASE_MATRIX if matrix is None else matrix
    rows = [{"source": s, "target": t, "verdict": v, "conversion": c} for (s, t), (v, c) in m.items()]
    if include_incompatible:
        for s in MATRIX_SCALARS:
            for t in MATRIX_SCALARS:
                if s != t and (s, t) not in m:
                    rows.append({"source": s, "target": t, "verdict": INCOMPATIBLE, "conversion": None})
    return rows


def matrix_from_rows(rows: Iterable[Mapping[str, Any] | tuple], *, base: Matrix | None = None) -> dict:
    """Build a matrix from rows (dicts as `matrix_rows` gives them, or 4-tuples), layered over `base`
    (default: nothing). Explicit incompatible rows are dropped: absence already means incompatible."""
    out: dict[tuple[str, str], tuple[str, str | None]] = dict(base or {})
    for row in rows:
        if isinstance(row, Mapping):
            s, t, v, c = row["source"], row["target"], row["verdict"], row.get("conversion")
        else:
            s, t, v, c = row
        if v not in VERDICTS:
            raise ValueError(f"matrix row {s} → {t}: unknown verdict {v!r}")
        if v == CONVERTIBLE and not c:
            raise ValueError(f"matrix row {s} → {t}: a convertible row needs a conversion")
        if v == INCOMPATIBLE:
            out.pop((s, t), None)
            continue
        out[(s, t)] = (v, c if v == CONVERTIBLE else None)
    return out
