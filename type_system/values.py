"""Values against types: validation, conversion along verdicts, coercion of run inputs, and the codec.

Conventions (decided here, relied on by the runner):
- Strict validation follows the verdicts: a value is valid for `t` exactly when a value of its own
  type would pass into `t` *as it is*. So `bool` values are valid `int`s and `float`s, `int` values
  valid `float`s (the matrix's compatible entries); a `datetime` is *not* a valid `date`
  (`datetime → date` is convertible, `.date()`); `Decimal` takes only `Decimal`.
- Values of custom types are dicts (field name → value). Records are open: keys beyond the definition
  are allowed and left alone; every required field must be present; present fields must be valid.
- Opaque types: the value's class (or a base class) has that qualified name, or the name resolves,
  through modules already imported, to a class the value is an instance of.
- `convert` is driven by the value: a union source is narrowed to the member the value actually is,
  then each part is converted with the matrix's named conversion. A value of the source type converted
  along a compatible or convertible verdict is valid for the target, unless a named conversion fails
  (`int("abc")`), which raises `ValueValidationError` naming the path.
- An `Any` source is checked when the value arrives: converting from `Any` is `coerce`.
"""

from __future__ import annotations

import datetime as _dt
import decimal
import sys
import uuid
from collections.abc import Callable, Mapping
from typing import Any

from type_system.codec import TAG, CodecError, decode, dumps, encode, loads
from type_system.compat import TypeChecker, checker_for
from type_system.custom import CustomRegistry, CustomTypeDef, as_registry
from type_system.matrix import Matrix
from type_system.types import (
    ANY,
    CustomT,
    DictT,
    ListT,
    LiteralT,
    OpaqueT,
    Scalar,
    SetT,
    TupleT,
    Type,
    UnionT,
    literal_key,
    union,
)

__all__ = [
    "TAG",
    "CodecError",
    "encode",
    "decode",
    "dumps",
    "loads",
    "ValueValidationError",
    "validate",
    "is_valid",
    "convert",
    "coerce",
    "type_of_value",
    "type_name",
    "CONVERSIONS",
    "register_conversion",
]


class ValueValidationError(ValueError):
    """A value that is not of its type, or could not be converted. `path` locates it
    (`values[1]`, `point.x`, `mapping['k']`); `str(e)` is `"{path}: {message}"`."""

    def __init__(self, path: str, message: str):
        self.path = path
        self.message = message
        super().__init__(f"{path}: {message}")


# --------------------------------------------------------------------------------------------------
# names and runtime types

_SCALAR_OF_CLASS: dict[type, Scalar] = {
    bool: Scalar("bool"),
    int: Scalar("int"),
    float: Scalar("float"),
    str: Scalar("str"),
    bytes: Scalar("bytes"),
    type(None): Scalar("None"),
    _dt.datetime: Scalar("datetime"),
    _dt.date: Scalar("date"),
    decimal.Decimal: Scalar("Decimal"),
    uuid.UUID: Scalar("UUID"),
}
# subclasses, most specific first
_SCALAR_BASES = (bool, int, float, str, bytes, _dt.datetime, _dt.date, decimal.Decimal, uuid.UUID)


def _qualified_name(cls: type) -> str:
    if cls.__module__ == "builtins":
        return cls.__qualname__
    return f"{cls.__module__}.{cls.__qualname__}"


def type_name(value: Any) -> str:
    """How error messages name a value's type: the canonical scalar names, else the class name."""
    s = _SCALAR_OF_CLASS.get(value.__class__)
    if s is not None:
        return s.name
    c = value.__class__
    return c.__qualname__ if c.__module__ == "builtins" else _qualified_name(c)


def type_of_value(value: Any) -> Type:
    """The precise type of a runtime value: `[1, "a"]` is `list[int | str]`, `{}` is
    `dict[Any, Any]`, `(1, "a")` is `tuple[int, str]`, another object is opaque by its class."""
    c = value.__class__
    s = _SCALAR_OF_CLASS.get(c)
    if s is not None:
        return s
    if isinstance(value, list):
        return ListT(union(*map(type_of_value, value)) if value else ANY)
    if isinstance(value, tuple):
        return TupleT(tuple(map(type_of_value, value)))
    if isinstance(value, (set, frozenset)):
        return SetT(union(*map(type_of_value, value)) if value else ANY)
    if isinstance(value, Mapping):
        if not value:
            return DictT(ANY, ANY)
        return DictT(union(*map(type_of_value, value.keys())), union(*map(type_of_value, value.values())))
    for base in _SCALAR_BASES:
        if isinstance(value, base):
            return _SCALAR_OF_CLASS[base]
    return OpaqueT(_qualified_name(c))


def _short(value: Any, limit: int = 40) -> str:
    try:
        r = repr(value)
    except Exception:  # a broken __repr__ must not hide the real error
        r = f"<{type_name(value)}>"
    return r if len(r) <= limit else r[: limit - 1] + "…"


def _opaque_matches(value: Any, qualname: str) -> bool:
    dotted = "." in qualname
    for klass in value.__class__.__mro__:
        if _qualified_name(klass) == qualname or (not dotted and klass.__qualname__ == qualname):
            return True
    parts = qualname.split(".")
    for i in range(len(parts) - 1, 0, -1):
        mod = sys.modules.get(".".join(parts[:i]))
        if mod is None:
            continue
        obj: Any = mod
        for p in parts[i:]:
            obj = getattr(obj, p, None)
            if obj is None:
                break
        if isinstance(obj, type) and isinstance(value, obj):
            return True
    return False


# --------------------------------------------------------------------------------------------------
# validation


def _scalar_ok(v: Any, name: str) -> bool:
    if name == "int":
        return isinstance(v, int)  # bool included: bool → int is compatible
    if name == "float":
        return isinstance(v, (int, float))  # int, bool → float are compatible
    if name == "str":
        return isinstance(v, str)
    if name == "bool":
        return isinstance(v, bool)
    if name == "None":
        return v is None
    if name == "Any":
        return True
    if name == "bytes":
        return isinstance(v, bytes)
    if name == "datetime":
        return isinstance(v, _dt.datetime)
    if name == "date":
        return isinstance(v, _dt.date) and not isinstance(v, _dt.datetime)
    if name == "Decimal":
        return isinstance(v, decimal.Decimal)
    if name == "UUID":
        return isinstance(v, uuid.UUID)
    raise ValueError(f"unknown scalar type {name!r}")


def _validate(v: Any, t: Type, reg: CustomRegistry, path: str) -> None:
    c = t.__class__
    if c is Scalar:
        if not _scalar_ok(v, t.name):  # type: ignore[union-attr]
            raise ValueValidationError(path, f"expected {t}, got {type_name(v)}")
        return
    if c is ListT:
        if not isinstance(v, list):
            raise ValueValidationError(path, f"expected {t}, got {type_name(v)}")
        item = t.item  # type: ignore[union-attr]
        if item.__class__ is not Scalar or item.name != "Any":  # type: ignore[union-attr]
            for i, x in enumerate(v):
                _validate(x, item, reg, f"{path}[{i}]")
        return
    if c is DictT:
        if not isinstance(v, Mapping):
            raise ValueValidationError(path, f"expected {t}, got {type_name(v)}")
        for k, x in v.items():
            sub = f"{path}[{_short(k)}]"
            try:
                _validate(k, t.key, reg, sub)  # type: ignore[union-attr]
            except ValueValidationError as e:
                raise ValueValidationError(sub, f"key: {e.message}") from None
            _validate(x, t.value, reg, sub)  # type: ignore[union-attr]
        return
    if c is UnionT:
        for m in t.members:  # type: ignore[union-attr]
            if is_valid(v, m, reg):
                return
        others = [m for m in t.members if m != Scalar("None")]  # type: ignore[union-attr]
        if v is not None and len(others) == 1:
            _validate(v, others[0], reg, path)  # the error of the one member the value was meant for
        raise ValueValidationError(path, f"expected {t}, got {type_name(v)}")
    if c is SetT:
        if not isinstance(v, (set, frozenset)):
            raise ValueValidationError(path, f"expected {t}, got {type_name(v)}")
        for x in v:
            _validate(x, t.item, reg, f"{path}{{{_short(x)}}}")  # type: ignore[union-attr]
        return
    if c is TupleT:
        if not isinstance(v, tuple):
            raise ValueValidationError(path, f"expected {t}, got {type_name(v)}")
        if t.variadic:  # type: ignore[union-attr]
            for i, x in enumerate(v):
                _validate(x, t.items[0], reg, f"{path}[{i}]")  # type: ignore[union-attr]
            return
        if len(v) != len(t.items):  # type: ignore[union-attr]
            raise ValueValidationError(path, f"expected {t} ({len(t.items)} items), got a tuple of {len(v)}")  # type: ignore[union-attr]
        for i, (x, it) in enumerate(zip(v, t.items)):  # type: ignore[union-attr]
            _validate(x, it, reg, f"{path}[{i}]")
        return
    if c is LiteralT:
        try:
            ok = literal_key(v) in {literal_key(x) for x in t.values}  # type: ignore[union-attr]
        except TypeError:  # unhashable
            ok = False
        if not ok:
            raise ValueValidationError(path, f"expected one of {t}, got {_short(v)}")
        return
    if c is CustomT:
        d = reg.get(t.name)  # type: ignore[union-attr]
        if d is None:
            # undefined: nominal, like an opaque type of that name (a plain class of the node's module)
            if _opaque_matches(v, t.name):  # type: ignore[union-attr]
                return
            raise ValueValidationError(path, f"custom type {t} is not defined, so a value cannot be checked against it")
        if not isinstance(v, Mapping):
            raise ValueValidationError(path, f"expected a {t} record (a dict), got {type_name(v)}")
        for f in d.required:
            if f not in v:
                raise ValueValidationError(path, f"missing required field {f!r} of {t}")
        for f, ft in d.fields.items():
            if f in v:
                _validate(v[f], ft, reg, f"{path}.{f}")
        return
    if c is OpaqueT:
        if not _opaque_matches(v, t.qualname):  # type: ignore[union-attr]
            raise ValueValidationError(path, f"expected {t}, got {type_name(v)}")
        return
    raise TypeError(f"not a type: {t!r}")


def validate(value: Any, t: Type, custom: Mapping[str, CustomTypeDef] | None = None, *, path: str = "value") -> Any:
    """Return `value` unchanged if it is a valid value of `t` (see the module notes), else raise
    `ValueValidationError` naming where: `values[1]: expected int, got str`."""
    _validate(value, t, as_registry(custom), path)
    return value


def is_valid(value: Any, t: Type, custom: Mapping[str, CustomTypeDef] | None = None) -> bool:
    try:
        _validate(value, t, as_registry(custom), "value")
    except ValueValidationError:
        return False
    return True


# --------------------------------------------------------------------------------------------------
# conversions


def _to_decimal(v: Any) -> decimal.Decimal:
    if isinstance(v, float):
        return decimal.Decimal(repr(v))  # 0.1 → Decimal('0.1'), not the binary expansion
    if isinstance(v, str):
        return decimal.Decimal(v.strip())
    return decimal.Decimal(v)


CONVERSIONS: dict[str, Callable[[Any], Any]] = {
    "int()": int,
    "float()": float,
    "Decimal()": _to_decimal,
    "str()": str,
    "isoformat()": lambda v: v.isoformat(),
    "datetime.fromisoformat()": _dt.datetime.fromisoformat,
    "date.fromisoformat()": _dt.date.fromisoformat,
    ".date()": lambda v: v.date(),
    "UUID()": uuid.UUID,
    "bytes.decode()": lambda v: v.decode(),
    "str.encode()": lambda v: v.encode(),
    "list()": list,
    "set()": set,
    "tuple()": tuple,
}


def register_conversion(name: str, fn: Callable[[Any], Any]) -> None:
    """Implement a conversion named by an extended matrix (`"timedelta.total_seconds()"`)."""
    CONVERSIONS[name] = fn


_LITERAL_VALUE_TYPES = {
    int: Scalar("int"),
    bool: Scalar("bool"),
    str: Scalar("str"),
    bytes: Scalar("bytes"),
    type(None): Scalar("None"),
}
_CONVERSION_ERRORS = (ValueError, TypeError, OverflowError, ArithmeticError, AttributeError)


def _seq_kind(t: Type) -> str | None:
    c = t.__class__
    if c is ListT:
        return "list"
    if c is SetT:
        return "set"
    if c is TupleT:
        return "tuple" if t.variadic else "fixed"  # type: ignore[union-attr]
    return None


class _Converter:
    __slots__ = ("reg", "checker")

    def __init__(self, checker: TypeChecker):
        self.checker = checker
        self.reg = checker.custom

    def valid(self, v: Any, t: Type) -> bool:
        try:
            _validate(v, t, self.reg, "value")
        except ValueValidationError:
            return False
        return True

    def narrow(self, v: Any, s: UnionT) -> Type | None:
        """The member of a union the value is: its exact type first, else the first it is valid for."""
        exact = type_of_value(v)
        if exact in s.members:
            return exact
        for m in s.members:
            if self.valid(v, m):
                return m
        return None

    def coerce(self, v: Any, t: Type, path: str) -> Any:
        if self.valid(v, t):
            return v
        out = self.conv(v, type_of_value(v), t, path)
        _validate(out, t, self.reg, path)
        return out

    def conv(self, v: Any, s: Type, t: Type, path: str) -> Any:
        if s == t:
            return v
        sc, tc = s.__class__, t.__class__
        if tc is Scalar and t.name == "Any":  # type: ignore[union-attr]
            return v
        if sc is Scalar and s.name == "Any":  # type: ignore[union-attr]
            return self.coerce(v, t, path)
        if tc is LiteralT:
            _validate(v, t, self.reg, path)
            return v
        if sc is LiteralT:
            vt = _LITERAL_VALUE_TYPES.get(v.__class__)
            if vt is None:
                raise ValueValidationError(path, f"expected {s}, got {_short(v)}")
            return self.conv(v, vt, t, path)
        if sc is UnionT:
            m = self.narrow(v, s)  # type: ignore[arg-type]
            if m is None:
                raise ValueValidationError(path, f"expected {s}, got {type_name(v)}")
            return self.conv(v, m, t, path)
        if tc is UnionT:
            if self.valid(v, t):
                return v
            ranked = []
            for i, m in enumerate(t.members):  # type: ignore[union-attr]
                r = self.checker.check(s, m).rank
                if r < 2:
                    ranked.append((r, i, m))
            if not ranked:
                raise ValueValidationError(path, f"expected {t}, got {type_name(v)}: {self.checker.check(s, t).reason}")
            ranked.sort(key=lambda x: (x[0], x[1]))
            first_error: ValueValidationError | None = None
            for _, _, m in ranked:
                try:
                    return self.conv(v, s, m, path)
                except ValueValidationError as e:
                    first_error = first_error or e
            assert first_error is not None
            raise first_error
        sk, tk = _seq_kind(s), _seq_kind(t)
        if sk is not None and tk is not None:
            return self.sequence(v, s, t, sk, tk, path)
        if sc is DictT and tc is DictT:
            if not isinstance(v, Mapping):
                raise ValueValidationError(path, f"expected {s}, got {type_name(v)}")
            out = {}
            same = True
            for k, x in v.items():
                sub = f"{path}[{_short(k)}]"
                try:
                    nk = self.conv(k, s.key, t.key, sub)  # type: ignore[union-attr]
                except ValueValidationError as e:
                    raise ValueValidationError(sub, f"key: {e.message}") from None
                nx = self.conv(x, s.value, t.value, sub)  # type: ignore[union-attr]
                _put(out, nk, nx, sub)
                same = same and nk is k and nx is x
            return v if same and len(out) == len(v) else out
        if sc is CustomT or tc is CustomT:
            done, out = self.custom(v, s, t, path)
            if done:
                return out
        return self.leaf(v, s, t, path)

    def sequence(self, v: Any, s: Type, t: Type, sk: str, tk: str, path: str) -> Any:
        if not isinstance(v, (list, tuple, set, frozenset)):
            raise ValueValidationError(path, f"expected {s}, got {type_name(v)}")
        if tk == "fixed":
            if sk != "fixed":
                raise ValueValidationError(path, f"expected {t}: a {sk} never becomes a fixed-length tuple")
            if len(v) != len(t.items):  # type: ignore[union-attr]
                raise ValueValidationError(path, f"expected {t} ({len(t.items)} items), got {len(v)} items")  # type: ignore[union-attr]
            out = tuple(self.conv(x, a, b, f"{path}[{i}]") for i, (x, a, b) in enumerate(zip(v, s.items, t.items)))  # type: ignore[union-attr]
            return v if isinstance(v, tuple) and all(a is b for a, b in zip(out, v)) else out
        titem = t.items[0] if tk == "tuple" else t.item  # type: ignore[union-attr]
        if sk == "fixed":
            if len(v) != len(s.items):  # type: ignore[union-attr]
                raise ValueValidationError(path, f"expected {s} ({len(s.items)} items), got {len(v)} items")  # type: ignore[union-attr]
            items = [self.conv(x, a, titem, f"{path}[{i}]") for i, (x, a) in enumerate(zip(v, s.items))]  # type: ignore[union-attr]
        else:
            sitem = s.items[0] if sk == "tuple" else s.item  # type: ignore[union-attr]
            if sk == "set":
                items = [self.conv(x, sitem, titem, f"{path}{{{_short(x)}}}") for x in v]
            else:
                items = [self.conv(x, sitem, titem, f"{path}[{i}]") for i, x in enumerate(v)]
        if _same_kind(v, tk) and all(a is b for a, b in zip(items, v)):
            return v  # nothing changed: the value passes as it is
        if tk == "list":
            return items
        if tk == "tuple":
            return tuple(items)
        try:
            return set(items)
        except TypeError as e:
            raise ValueValidationError(path, f"cannot convert to {t} with set(): {e}") from None

    def custom(self, v: Any, s: Type, t: Type, path: str) -> tuple[bool, Any]:
        reg = self.reg
        sc, tc = s.__class__, t.__class__
        if sc is CustomT and tc is CustomT:
            a, b = reg.get(s.name), reg.get(t.name)  # type: ignore[union-attr]
            if a is None or b is None:
                return False, None
            if not isinstance(v, Mapping):
                raise ValueValidationError(path, f"expected a {s} record (a dict), got {type_name(v)}")
            out = dict(v)
            for f, ft in b.fields.items():
                if f in v:
                    src = a.fields.get(f)
                    sub = f"{path}.{f}"
                    out[f] = self.conv(v[f], src, ft, sub) if src is not None else self.coerce(v[f], ft, sub)
                elif f in b.required:
                    raise ValueValidationError(path, f"missing required field {f!r} of {t}")
            return True, _unchanged(v, out)
        if sc is CustomT and tc is DictT:
            a = reg.get(s.name)  # type: ignore[union-attr]
            if a is None:
                return False, None
            if not isinstance(v, Mapping):
                raise ValueValidationError(path, f"expected a {s} record (a dict), got {type_name(v)}")
            out = {}
            same = isinstance(v, dict)
            for k, x in v.items():
                sub = f"{path}.{k}" if isinstance(k, str) else f"{path}[{_short(k)}]"
                try:
                    nk = self.conv(k, Scalar("str"), t.key, sub)  # type: ignore[union-attr]
                except ValueValidationError as e:
                    raise ValueValidationError(sub, f"key: {e.message}") from None
                nx = self.conv(x, a.fields.get(k, ANY), t.value, sub)  # type: ignore[union-attr]
                _put(out, nk, nx, sub)
                same = same and nk is k and nx is x
            return True, (v if same and len(out) == len(v) else out)
        if sc is DictT and tc is CustomT:
            b = reg.get(t.name)  # type: ignore[union-attr]
            if b is None:
                return False, None
            if not isinstance(v, Mapping):
                raise ValueValidationError(path, f"expected {s}, got {type_name(v)}")
            out = dict(v)
            for f, ft in b.fields.items():
                if f in v:
                    out[f] = self.conv(v[f], s.value, ft, f"{path}.{f}")  # type: ignore[union-attr]
                elif f in b.required:
                    raise ValueValidationError(path, f"missing required field {f!r} of {t}")
            return True, _unchanged(v, out)
        return False, None

    def leaf(self, v: Any, s: Type, t: Type, path: str) -> Any:
        verdict = self.checker.check(s, t)
        if verdict.verdict == "compatible":
            return v
        if verdict.verdict == "incompatible":
            raise ValueValidationError(path, f"expected {t}, got {type_name(v)} ({verdict.reason})")
        conv = verdict.conversion
        fn = CONVERSIONS.get(conv or "")
        if fn is None:
            raise ValueValidationError(path, f"no implementation for the conversion {conv!r} ({s} → {t})")
        try:
            return fn(v)
        except _CONVERSION_ERRORS as e:
            raise ValueValidationError(path, f"cannot convert {_short(v)} to {t} with {conv}: {e}") from None


def _put(out: dict, key: Any, value: Any, path: str) -> None:
    try:
        out[key] = value
    except TypeError as e:  # a key converted to a list or set
        raise ValueValidationError(path, f"key: cannot be a dict key ({e})") from None


def _same_kind(v: Any, kind: str) -> bool:
    if kind == "list":
        return isinstance(v, list)
    if kind == "set":
        return isinstance(v, (set, frozenset))
    return isinstance(v, tuple)


def _unchanged(v: Any, out: dict) -> Any:
    """`v` itself when converting a record changed none of its values (it passes as it is)."""
    if isinstance(v, dict) and all(out[k] is x for k, x in v.items()):
        return v
    return out


def convert(
    value: Any,
    source: Type,
    target: Type,
    custom: Mapping[str, CustomTypeDef] | None = None,
    *,
    path: str = "value",
    matrix: Matrix | None = None,
) -> Any:
    """Convert a value of `source` to `target`, deeply, with the conversions the verdicts name
    (list elements, dict keys and values, record fields, union members). Compatible parts pass as they
    are. Raises `ValueValidationError` with a path where the value cannot go (a failed `int("abc")`,
    a missing required field, an incompatible part)."""
    return _Converter(checker_for(custom, matrix)).conv(value, source, target, path)


def coerce(
    value: Any,
    t: Type,
    custom: Mapping[str, CustomTypeDef] | None = None,
    *,
    path: str = "value",
    matrix: Matrix | None = None,
) -> Any:
    """Run-input checking (SPEC §5): a valid value is accepted as it is; otherwise it is converted from
    its own runtime type (`type_of_value`) where the verdicts allow, and the result is validated;
    otherwise `ValueValidationError`."""
    return _Converter(checker_for(custom, matrix)).coerce(value, t, path)
