"""Tagged JSON for the values JSON cannot hold. STANDARD LIBRARY ONLY: the container runner copies this
one file into its image, so it must never import anything else (not even the rest of `type_system`).

A value JSON cannot hold becomes a one-key-plus-value object tagged with `"$qflow"`:

    datetime   {"$qflow": "datetime",  "value": "2024-01-02T03:04:05"}        (isoformat, offset kept)
    date       {"$qflow": "date",      "value": "2024-01-02"}
    time       {"$qflow": "time",      "value": "03:04:05.000001"}
    timedelta  {"$qflow": "timedelta", "value": [days, seconds, microseconds]}
    Decimal    {"$qflow": "Decimal",   "value": "1.10"}                       (str, exact; NaN/Infinity too)
    UUID       {"$qflow": "UUID",      "value": "12345678-1234-5678-1234-567812345678"}
    bytes      {"$qflow": "bytes",     "value": "<base64>"}
    bytearray  {"$qflow": "bytearray", "value": "<base64>"}
    tuple      {"$qflow": "tuple",     "value": [...]}
    set        {"$qflow": "set",       "value": [...]}                        (sorted when orderable)
    frozenset  {"$qflow": "frozenset", "value": [...]}
    float      {"$qflow": "float",     "value": "nan" | "inf" | "-inf"}      (non-finite only)
    dict       {"$qflow": "dict",      "value": [[key, value], ...]}

The `dict` tag is the escape: a dict whose keys are not all strings (`{1: "a"}`), or that has a
`"$qflow"` key of its own, is written as a list of pairs, so every dict round-trips and any object
holding `"$qflow"` is one of ours. Plain dicts with string keys stay plain JSON objects. Containers are
encoded deeply. For convenience (lossy, documented): dataclass instances and NamedTuples are encoded as
plain dicts of their fields, which is how records (custom types) travel in the platform.
"""

from __future__ import annotations

import base64
import dataclasses
import datetime
import decimal
import json
import math
import uuid
from typing import Any

__all__ = ["TAG", "CodecError", "encode", "decode", "dumps", "loads"]

TAG = "$qflow"


class CodecError(ValueError):
    """A value that cannot be encoded, or a tagged object that cannot be decoded."""


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def _sorted_items(items: list) -> list:
    try:
        return sorted(items)
    except TypeError:
        return items


# CPython 3.11+ refuses to turn an int of more digits into text (sys.int_info.default_max_str_digits):
# a 3.9 runner would send one that the host cannot read.
INT_DIGITS = 4300


def _printable_int(v: int) -> bool:
    try:
        return len(str(abs(v))) <= INT_DIGITS
    except ValueError:  # this interpreter's own limit
        return False


def _text(v: str, path: str) -> str:
    """Text that UTF-8 can carry: half a surrogate pair (from bytes decoded with surrogateescape, say)
    cannot be stored or printed, so it never crosses the boundary."""
    try:
        v.encode("utf-8")
    except UnicodeEncodeError as e:
        raise CodecError(f"{path}: text holding a lone surrogate ({v[e.start]!r} at position {e.start}) "
                         f"is not valid Unicode") from None
    return v


def encode(value: Any) -> Any:
    """A JSON-able form of `value` (json.dumps(encode(v), allow_nan=False) succeeds)."""
    return _enc(value, "value")


def _enc(v: Any, path: str) -> Any:
    c = v.__class__
    if v is None or c is bool:
        return v
    if c is str:
        return v if v.isascii() else _text(v, path)
    if c is int:
        if v.bit_length() > 14000 and not _printable_int(v):
            raise CodecError(f"{path}: an integer of more than {INT_DIGITS} digits cannot cross the boundary "
                             f"(CPython 3.11+ refuses to convert it)")
        return v
    if c is float:
        if math.isfinite(v):
            return v
        return {TAG: "float", "value": "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")}
    if c is list:
        return [_enc(x, f"{path}[{i}]") for i, x in enumerate(v)]
    if c is dict:
        if TAG not in v and all(k.__class__ is str for k in v):
            return {(k if k.isascii() else _text(k, f"{path}.<key>")): _enc(x, f"{path}[{k!r}]") for k, x in v.items()}
        return {TAG: "dict", "value": [[_enc(k, f"{path}.<key>"), _enc(x, f"{path}[{k!r}]")] for k, x in v.items()]}
    if isinstance(v, datetime.datetime):
        return {TAG: "datetime", "value": v.isoformat()}
    if isinstance(v, datetime.date):
        return {TAG: "date", "value": v.isoformat()}
    if isinstance(v, datetime.time):
        return {TAG: "time", "value": v.isoformat()}
    if isinstance(v, datetime.timedelta):
        return {TAG: "timedelta", "value": [v.days, v.seconds, v.microseconds]}
    if isinstance(v, decimal.Decimal):
        return {TAG: "Decimal", "value": str(v)}
    if isinstance(v, uuid.UUID):
        return {TAG: "UUID", "value": str(v)}
    if isinstance(v, bytes):
        return {TAG: "bytes", "value": _b64(v)}
    if isinstance(v, bytearray):
        return {TAG: "bytearray", "value": _b64(bytes(v))}
    if isinstance(v, tuple):
        if hasattr(v, "_asdict") and hasattr(v, "_fields"):  # a NamedTuple: a record
            return _enc(dict(v._asdict()), path)
        return {TAG: "tuple", "value": [_enc(x, f"{path}[{i}]") for i, x in enumerate(v)]}
    if isinstance(v, (set, frozenset)):
        tag = "frozenset" if isinstance(v, frozenset) else "set"
        return {TAG: tag, "value": [_enc(x, f"{path}{{}}") for x in _sorted_items(list(v))]}
    # subclasses of JSON's own types (IntEnum, str enums, …) travel as the plain value
    if isinstance(v, int):
        return int(v)
    if isinstance(v, float):
        return _enc(float(v), path)
    if isinstance(v, str):
        return str.__str__(v)
    if isinstance(v, list):
        return _enc(list(v), path)
    if isinstance(v, dict):
        return _enc(dict(v), path)
    if dataclasses.is_dataclass(v) and not isinstance(v, type):
        return _enc({f.name: getattr(v, f.name) for f in dataclasses.fields(v)}, path)
    name = c.__qualname__ if c.__module__ == "builtins" else f"{c.__module__}.{c.__qualname__}"
    raise CodecError(f"{path}: cannot encode a value of type {name} as JSON")


def decode(obj: Any) -> Any:
    """The inverse of `encode`: JSON-decoded data (dicts, lists, str, numbers, bool, None) → values."""
    return _dec(obj, "value")


def _dec(o: Any, path: str) -> Any:
    c = o.__class__
    if c is list:
        return [_dec(x, f"{path}[{i}]") for i, x in enumerate(o)]
    if c is not dict:
        return o
    if TAG not in o:
        return {k: _dec(x, f"{path}[{k!r}]") for k, x in o.items()}
    tag = o[TAG]
    if set(o) != {TAG, "value"}:
        raise CodecError(f"{path}: a tagged object holds exactly {TAG!r} and 'value', got keys {sorted(o)}")
    val = o["value"]
    try:
        if tag == "dict":
            return {_dec(k, f"{path}.<key>"): _dec(x, f"{path}[{k!r}]") for k, x in val}
        if tag == "tuple":
            return tuple(_dec(x, f"{path}[{i}]") for i, x in enumerate(val))
        if tag == "set":
            return {_dec(x, f"{path}{{}}") for x in val}
        if tag == "frozenset":
            return frozenset(_dec(x, f"{path}{{}}") for x in val)
        if tag == "datetime":
            return datetime.datetime.fromisoformat(val)
        if tag == "date":
            return datetime.date.fromisoformat(val)
        if tag == "time":
            return datetime.time.fromisoformat(val)
        if tag == "timedelta":
            d, s, us = val
            return datetime.timedelta(days=d, seconds=s, microseconds=us)
        if tag == "Decimal":
            if not isinstance(val, str):
                raise TypeError("a Decimal is written as a string")
            return decimal.Decimal(val)
        if tag == "UUID":
            return uuid.UUID(val)
        if tag == "bytes":
            return base64.b64decode(val.encode("ascii"), validate=True)
        if tag == "bytearray":
            return bytearray(base64.b64decode(val.encode("ascii"), validate=True))
        if tag == "float":
            if val not in ("nan", "inf", "-inf"):
                raise ValueError(f"unknown non-finite float {val!r}")
            return float(val)
    except CodecError:
        raise
    except (TypeError, ValueError, AttributeError, ArithmeticError) as e:
        raise CodecError(f"{path}: malformed {tag!r} value {val!r}: {e}") from None
    raise CodecError(f"{path}: unknown tag {tag!r}")


def dumps(value: Any, **kwargs: Any) -> str:
    """`json.dumps(encode(value))`, strict JSON (no NaN literals)."""
    kwargs.setdefault("allow_nan", False)
    kwargs.setdefault("ensure_ascii", False)
    return json.dumps(encode(value), **kwargs)


def loads(text: str | bytes) -> Any:
    return decode(json.loads(text))
