"""The type representation: immutable plain data that prints to the canonical strings of SPEC §2.

Every constructor here normalises, so two spellings of one type build equal values and print the
same string (`Optional[int]`, `Union[int, None]` and `int | None` all become `Union((int, None))`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Union as _U

SCALAR_NAMES = ("int", "float", "bool", "str", "bytes", "None", "Any", "datetime", "date", "Decimal", "UUID")


@dataclass(frozen=True, slots=True)
class Scalar:
    name: str  # one of SCALAR_NAMES

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class ListT:
    item: "Type"

    def __str__(self) -> str:
        return f"list[{self.item}]"


@dataclass(frozen=True, slots=True)
class SetT:
    item: "Type"

    def __str__(self) -> str:
        return f"set[{self.item}]"


@dataclass(frozen=True, slots=True)
class TupleT:
    """`items` are the element types; `variadic` means `tuple[items[0], ...]` (then len(items) == 1)."""

    items: tuple["Type", ...]
    variadic: bool = False

    def __str__(self) -> str:
        if self.variadic:
            return f"tuple[{self.items[0]}, ...]"
        if not self.items:
            return "tuple[()]"
        return "tuple[" + ", ".join(str(i) for i in self.items) + "]"


@dataclass(frozen=True, slots=True)
class DictT:
    key: "Type"
    value: "Type"

    def __str__(self) -> str:
        return f"dict[{self.key}, {self.value}]"


@dataclass(frozen=True, slots=True)
class UnionT:
    """Build with `union(...)`, never directly: it flattens, dedups, orders and absorbs `Any`."""

    members: tuple["Type", ...]

    def __str__(self) -> str:
        return " | ".join(str(m) for m in self.members)


@dataclass(frozen=True, slots=True)
class LiteralT:
    """Values are Python literals (int, str, bool, bytes, None); printed with `repr`."""

    values: tuple[object, ...]

    def __str__(self) -> str:
        return "Literal[" + ", ".join(repr(v) for v in self.values) + "]"

    # Values compare by type and value (SPEC §4 rule 2: `1` is not `True`), so `Literal[1]` and
    # `Literal[True]` are different types even though `1 == True` in Python.
    def __eq__(self, other: object) -> bool:
        if other.__class__ is not LiteralT:
            return NotImplemented
        return literal_keys(self.values) == literal_keys(other.values)  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(("Literal", literal_keys(self.values)))


@dataclass(frozen=True, slots=True)
class CustomT:
    """A TypedDict, NamedTuple or dataclass of the node's module, or a user's JSON custom type."""

    name: str

    def __str__(self) -> str:
        return self.name


@dataclass(frozen=True, slots=True)
class OpaqueT:
    """Any other class, by its qualified name through the imports (`pandas.DataFrame`)."""

    qualname: str

    def __str__(self) -> str:
        return self.qualname


Type = _U[Scalar, ListT, SetT, TupleT, DictT, UnionT, LiteralT, CustomT, OpaqueT]

INT, FLOAT, BOOL, STR, BYTES = Scalar("int"), Scalar("float"), Scalar("bool"), Scalar("str"), Scalar("bytes")
NONE, ANY = Scalar("None"), Scalar("Any")
DATETIME, DATE, DECIMAL, UUID = Scalar("datetime"), Scalar("date"), Scalar("Decimal"), Scalar("UUID")


def union(*members: Type) -> Type:
    """Normalise a union: nested unions flattened, duplicates dropped, first-appearance order,
    `None` last, `Any` absorbing everything; a single member is that member."""
    flat: list[Type] = []
    for m in members:
        for x in (m.members if isinstance(m, UnionT) else (m,)):
            if x == ANY:
                return ANY
            if x not in flat:
                flat.append(x)
    if NONE in flat:
        flat.remove(NONE)
        flat.append(NONE)
    if len(flat) == 1:
        return flat[0]
    return UnionT(tuple(flat))


def literal_key(value: object) -> tuple[type, object]:
    """The identity of a Literal value: its type and value (`1`, `True` and `1.0` all differ)."""
    return (value.__class__, value)


def literal_keys(values: tuple[object, ...]) -> tuple[tuple[type, object], ...]:
    return tuple((v.__class__, v) for v in values)


def literal(*values: object) -> LiteralT:
    """A `Literal` with duplicate values (by type and value) dropped, in first-appearance order."""
    seen: set[tuple[type, object]] = set()
    kept = []
    for v in values:
        k = literal_key(v)
        if k not in seen:
            seen.add(k)
            kept.append(v)
    return LiteralT(tuple(kept))


def optional(t: Type) -> Type:
    return union(t, NONE)


def format_type(t: Type) -> str:
    """The canonical string of SPEC §2."""
    return str(t)
