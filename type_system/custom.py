"""Custom (structural) types: TypedDicts, NamedTuples, dataclasses and users' JSON definitions.

A custom type is a record: named fields with types, some of them required. Values of custom types
travel as plain dicts (field name → value) everywhere in the platform (the codec turns dataclass and
NamedTuple instances into dicts), and records are open: a value may carry extra keys.

The JSON form (SPEC §3/§4) is `{"Point": {"fields": {"x": "float", "y": "float"}, "required": ["x", "y"]}}`.
"""

from __future__ import annotations

import collections.abc
import dataclasses
import datetime as _dt
import decimal
import json
import types as _pytypes
import typing
import uuid
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

from type_system.parse import TypeParseError, parse_type
from type_system.types import (
    ANY,
    BOOL,
    BYTES,
    DATE,
    DATETIME,
    DECIMAL,
    FLOAT,
    INT,
    NONE,
    STR,
    UUID,
    CustomT,
    DictT,
    ListT,
    OpaqueT,
    SetT,
    TupleT,
    Type,
    format_type,
    literal,
    union,
)

__all__ = [
    "CustomTypeDef",
    "CustomRegistry",
    "CustomTypeError",
    "EMPTY_REGISTRY",
    "as_registry",
    "load_custom_types",
    "dump_custom_types",
    "registry_from_classes",
    "custom_def_from_class",
    "is_custom_class",
    "type_from_annotation",
]


class CustomTypeError(ValueError):
    """A custom type definition that cannot be used (bad JSON form, bad field type, bad class)."""


@dataclasses.dataclass(frozen=True)
class CustomTypeDef:
    """A record type: `fields` in declaration order, `required` the names a value must carry.

    `required` is normalised to field order, so two definitions that differ only in the order their
    required names were listed are equal. Treat `fields` as read-only (the definition is hashed)."""

    fields: dict[str, Type]
    required: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        fields = dict(self.fields)
        req = tuple(self.required)
        unknown = [r for r in req if r not in fields]
        if unknown:
            raise CustomTypeError(f"required field {unknown[0]!r} is not among the fields {list(fields)}")
        req_set = set(req)
        object.__setattr__(self, "fields", fields)
        object.__setattr__(self, "required", tuple(f for f in fields if f in req_set))

    def __hash__(self) -> int:
        return hash((tuple(self.fields.items()), self.required))

    def is_required(self, name: str) -> bool:
        return name in self.required

    def to_json(self) -> dict[str, Any]:
        return {"fields": {k: format_type(v) for k, v in self.fields.items()}, "required": list(self.required)}

    @classmethod
    def from_json(cls, obj: Any, custom_names: Iterable[str] = frozenset(), *, name: str = "?") -> "CustomTypeDef":
        """Build from `{"fields": {"x": "float"}, "required": ["x"]}`; `required` absent means every
        field is required. Field type strings are parsed with `custom_names` known."""
        if not isinstance(obj, Mapping):
            raise CustomTypeError(f"custom type {name!r}: expected an object with 'fields', got {type(obj).__name__}")
        extra = set(obj) - {"fields", "required"}
        if extra:
            raise CustomTypeError(f"custom type {name!r}: unknown key {sorted(extra)[0]!r} (expected 'fields', 'required')")
        raw_fields = obj.get("fields")
        if not isinstance(raw_fields, Mapping):
            raise CustomTypeError(f"custom type {name!r}: 'fields' must be an object of field name → type string")
        fields: dict[str, Type] = {}
        for fname, ftype in raw_fields.items():
            if not isinstance(ftype, str):
                raise CustomTypeError(f"custom type {name!r}: field {fname!r}: the type must be a string, got {type(ftype).__name__}")
            try:
                fields[fname] = parse_type(ftype, custom_names)
            except TypeParseError as e:
                raise CustomTypeError(f"custom type {name!r}: field {fname!r}: {e}") from None
        raw_req = obj.get("required", list(fields))
        if not isinstance(raw_req, list) or not all(isinstance(r, str) for r in raw_req):
            raise CustomTypeError(f"custom type {name!r}: 'required' must be a list of field names")
        for r in raw_req:
            if r not in fields:
                raise CustomTypeError(f"custom type {name!r}: required field {r!r} is not among its fields")
        return cls(fields, tuple(raw_req))


class CustomRegistry(Mapping[str, CustomTypeDef]):
    """An immutable, hashable mapping of custom type name → definition."""

    __slots__ = ("_defs", "_hash")

    def __init__(self, defs: Mapping[str, CustomTypeDef] | Iterable[tuple[str, CustomTypeDef]] = ()):
        d = dict(defs)
        for k, v in d.items():
            if not isinstance(k, str) or not isinstance(v, CustomTypeDef):
                raise TypeError(f"a custom registry maps str → CustomTypeDef, got {k!r} → {type(v).__name__}")
        self._defs = d
        self._hash: int | None = None

    def __getitem__(self, name: str) -> CustomTypeDef:
        return self._defs[name]

    def get(self, name: str, default: Any = None) -> Any:  # faster than Mapping.get
        return self._defs.get(name, default)

    def __contains__(self, name: object) -> bool:
        return name in self._defs

    def __iter__(self) -> Iterator[str]:
        return iter(self._defs)

    def __len__(self) -> int:
        return len(self._defs)

    def __hash__(self) -> int:
        h = self._hash
        if h is None:
            h = self._hash = hash(frozenset(self._defs.items()))
        return h

    def __eq__(self, other: object) -> bool:
        if self is other:
            return True
        if isinstance(other, CustomRegistry):
            return self._defs == other._defs
        if isinstance(other, Mapping):
            return self._defs == dict(other)
        return NotImplemented

    def __repr__(self) -> str:
        return f"CustomRegistry({self._defs!r})"

    def names(self) -> frozenset[str]:
        return frozenset(self._defs)

    def merged(self, other: Mapping[str, CustomTypeDef]) -> "CustomRegistry":
        """A registry holding both; a name defined differently in both is an error."""
        out = dict(self._defs)
        for k, v in other.items():
            if k in out and out[k] != v:
                raise CustomTypeError(f"custom type {k!r} is defined twice, differently")
            out[k] = v
        return CustomRegistry(out)

    def to_json(self) -> dict[str, Any]:
        return {name: d.to_json() for name, d in self._defs.items()}

    @classmethod
    def from_json(cls, obj: Any) -> "CustomRegistry":
        return load_custom_types(obj)


EMPTY_REGISTRY = CustomRegistry()


def as_registry(custom: Mapping[str, CustomTypeDef] | None) -> CustomRegistry:
    if custom is None:
        return EMPTY_REGISTRY
    if isinstance(custom, CustomRegistry):
        return custom
    return CustomRegistry(custom) if custom else EMPTY_REGISTRY


def load_custom_types(obj: Any) -> CustomRegistry:
    """Load the JSON form: a dict, a JSON string, or a `Path` to a JSON file. Field types may name any
    custom type of the same document (recursion included). Raises `CustomTypeError` with a message
    locating the problem."""
    if isinstance(obj, Path):
        try:
            text = obj.read_text(encoding="utf-8")
        except OSError as e:
            raise CustomTypeError(f"cannot read custom types file {str(obj)!r}: {e.strerror or e}") from None
        except UnicodeDecodeError:
            raise CustomTypeError(f"custom types file {str(obj)!r} is not UTF-8 text") from None
        obj = text
    if isinstance(obj, (str, bytes)):
        try:
            obj = json.loads(obj)
        except json.JSONDecodeError as e:
            raise CustomTypeError(f"custom types: invalid JSON: {e.msg} at line {e.lineno} column {e.colno}") from None
    if not isinstance(obj, Mapping):
        raise CustomTypeError(f"custom types must be a JSON object of name → definition, got {type(obj).__name__}")
    names = frozenset(obj)
    for name in names:
        if not isinstance(name, str) or not name.isidentifier():
            raise CustomTypeError(f"custom type name {name!r} is not an identifier")
    return CustomRegistry({name: CustomTypeDef.from_json(d, names, name=name) for name, d in obj.items()})


def dump_custom_types(registry: Mapping[str, CustomTypeDef]) -> dict[str, Any]:
    """The JSON form of a registry (inverse of `load_custom_types`)."""
    return {name: d.to_json() for name, d in registry.items()}


# --------------------------------------------------------------------------------------------------
# Runtime Python classes and annotations


def is_custom_class(obj: Any) -> bool:
    """A TypedDict, NamedTuple (or namedtuple) or dataclass class."""
    if not isinstance(obj, type):
        return False
    if typing.is_typeddict(obj) or dataclasses.is_dataclass(obj):
        return True
    return issubclass(obj, tuple) and hasattr(obj, "_fields") and hasattr(obj, "_asdict")


_SCALAR_CLASSES: dict[Any, Type] = {
    int: INT,
    float: FLOAT,
    bool: BOOL,
    str: STR,
    bytes: BYTES,
    type(None): NONE,
    None: NONE,
    object: ANY,
    typing.Any: ANY,
    _dt.datetime: DATETIME,
    _dt.date: DATE,
    decimal.Decimal: DECIMAL,
    uuid.UUID: UUID,
}

_LIST_ORIGINS = {list, collections.abc.Sequence}
_DICT_ORIGINS = {dict, collections.abc.Mapping}
_UNWRAP = {typing.Required, typing.NotRequired, typing.Final, typing.ClassVar, typing.Annotated}


def _qualified_name(cls: Any) -> str:
    module = getattr(cls, "__module__", None)
    qual = getattr(cls, "__qualname__", None) or getattr(cls, "__name__", None) or repr(cls)
    if module in (None, "builtins"):
        return qual
    return f"{module}.{qual}"


def type_from_annotation(
    ann: Any,
    *,
    custom_names: Iterable[str] = frozenset(),
    module: str | None = None,
    on_custom: Any = None,
) -> Type:
    """Convert a runtime annotation (a class or a `typing` object) to a Type, as SPEC §2 spells it.

    - TypedDict / NamedTuple / dataclass classes are `CustomT(cls.__name__)` — only those whose
      `__module__` is `module` when `module` is given, others are opaque; `on_custom(cls)` is called
      for each one met (how `registry_from_classes` collects nested record types).
    - other classes are `OpaqueT("module.qualname")` (builtins unprefixed);
    - string annotations and `ForwardRef`s are parsed with `parse_type(s, custom_names)`.
    """

    def conv(a: Any) -> Type:
        hit = _SCALAR_CLASSES.get(a) if _hashable(a) else None
        if hit is not None:
            return hit
        if isinstance(a, str):
            return parse_type(a, custom_names)
        if isinstance(a, typing.ForwardRef):
            return parse_type(a.__forward_arg__, custom_names)
        if isinstance(a, typing.TypeVar):
            return ANY
        origin = typing.get_origin(a)
        args = typing.get_args(a)
        if origin is None:
            if a is list or a is typing.List or a is collections.abc.Sequence or a is typing.Sequence:
                return ListT(ANY)
            if a is set or a is typing.Set:
                return SetT(ANY)
            if a is dict or a is typing.Dict or a is collections.abc.Mapping or a is typing.Mapping:
                return DictT(ANY, ANY)
            if a is tuple or a is typing.Tuple:
                return TupleT((ANY,), True)
            if isinstance(a, type):
                if is_custom_class(a) and (module is None or a.__module__ == module):
                    if on_custom is not None:
                        on_custom(a)
                    return CustomT(a.__name__)
                return OpaqueT(_qualified_name(a))
            raise CustomTypeError(f"unsupported annotation {a!r}")
        if origin in _UNWRAP:
            return conv(args[0]) if args else ANY
        if origin is typing.Union or origin is _pytypes.UnionType:
            return union(*(conv(x) for x in args))
        if origin is typing.Literal:
            for v in args:
                if v is not None and type(v) not in (int, str, bool, bytes):
                    raise CustomTypeError(f"unsupported Literal value {v!r}: Literal values are int, str, bool, bytes or None")
            return literal(*args)
        if origin in _LIST_ORIGINS:
            return ListT(conv(args[0]) if args else ANY)
        if origin is set:
            return SetT(conv(args[0]) if args else ANY)
        if origin in _DICT_ORIGINS:
            return DictT(conv(args[0]), conv(args[1])) if len(args) == 2 else DictT(ANY, ANY)
        if origin is tuple:
            if len(args) == 2 and args[1] is Ellipsis:
                return TupleT((conv(args[0]),), True)
            if args == ((),):  # typing.Tuple[()] on older Pythons
                return TupleT(())
            return TupleT(tuple(conv(x) for x in args))
        if isinstance(origin, type):
            return OpaqueT(_qualified_name(origin))
        raise CustomTypeError(f"unsupported annotation {a!r}")

    return conv(ann)


def _hashable(a: Any) -> bool:
    try:
        hash(a)
    except TypeError:
        return False
    return True


def _hints(cls: type) -> dict[str, Any]:
    try:
        return typing.get_type_hints(cls, include_extras=True)
    except Exception:  # unresolvable forward references: fall back to the raw annotations
        ann: dict[str, Any] = {}
        for base in reversed(cls.__mro__):
            ann.update(getattr(base, "__annotations__", {}) or {})
        return ann


def custom_def_from_class(
    cls: type, *, custom_names: Iterable[str] = frozenset(), module: str | None = None, on_custom: Any = None
) -> CustomTypeDef:
    """The definition of one TypedDict / NamedTuple / dataclass class. Not required: TypedDict keys
    under `total=False` or `NotRequired`, NamedTuple fields with defaults, dataclass fields with a
    default or default factory (or `init=False`)."""
    if not is_custom_class(cls):
        raise CustomTypeError(f"{_qualified_name(cls)} is not a TypedDict, NamedTuple or dataclass")
    names = frozenset(custom_names) | {cls.__name__}
    hints = _hints(cls)

    def conv(a: Any) -> Type:
        try:
            return type_from_annotation(a, custom_names=names, module=module, on_custom=on_custom)
        except TypeParseError as e:
            raise CustomTypeError(f"{cls.__name__}: {e}") from None

    if typing.is_typeddict(cls):
        req_keys = set(getattr(cls, "__required_keys__", frozenset(hints)))
        for k, v in hints.items():
            # Under `from __future__ import annotations` Python 3.11 cannot see Required/NotRequired
            # when building __required_keys__; the resolved hints can.
            origin = typing.get_origin(v)
            if origin is typing.NotRequired:
                req_keys.discard(k)
            elif origin is typing.Required:
                req_keys.add(k)
        fields = {k: conv(v) for k, v in hints.items()}
        return CustomTypeDef(fields, tuple(k for k in fields if k in req_keys))
    if dataclasses.is_dataclass(cls):
        fields = {}
        required = []
        for f in dataclasses.fields(cls):
            fields[f.name] = conv(hints.get(f.name, f.type))
            if f.init and f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                required.append(f.name)
        return CustomTypeDef(fields, tuple(required))
    defaults = getattr(cls, "_field_defaults", {})
    fields = {k: conv(hints.get(k, Any)) for k in cls._fields}  # type: ignore[attr-defined]
    return CustomTypeDef(fields, tuple(k for k in fields if k not in defaults))


def registry_from_classes(*classes: type, module: str | None = None) -> CustomRegistry:
    """A registry of the given record classes and every record class their fields reach (nested and
    recursive ones included), each named by its class name. Two different classes of one name are an
    error."""
    seen: dict[str, type] = {}
    pending: list[type] = []

    def add(cls: type) -> None:
        prev = seen.get(cls.__name__)
        if prev is None:
            seen[cls.__name__] = cls
            pending.append(cls)
        elif prev is not cls:
            raise CustomTypeError(
                f"two custom types are named {cls.__name__!r}: {_qualified_name(prev)} and {_qualified_name(cls)}"
            )

    for c in classes:
        if not is_custom_class(c):
            raise CustomTypeError(f"{_qualified_name(c)} is not a TypedDict, NamedTuple or dataclass")
        add(c)
    defs: dict[str, CustomTypeDef] = {}
    while pending:
        cls = pending.pop(0)
        defs[cls.__name__] = custom_def_from_class(cls, custom_names=seen.keys(), module=module, on_custom=add)
    return CustomRegistry({name: defs[name] for name in seen})
