"""Parse canonical type strings (SPEC §2) back into types.

`parse_type(format_type(t)) == t` for every type, and `format_type(parse_type(s)) == s` for every
canonical string `s`. The grammar, with spaces allowed between tokens:

    type    := member ("|" member)*
    member  := NAME ("." NAME)* ["[" args "]"]
    args    := "()"                      (only in `tuple[()]`)
             | type ("," type)*          (`...` allowed as the second argument of `tuple`)
             | literal ("," literal)*    (only in `Literal[...]`)
    literal := int | -int | 'str' | "str" | b'bytes' | True | False | None

How names resolve, first match wins:
1. the scalar names of SPEC §2 (`int` … `UUID`, `None`, `Any`);
2. the canonical generics `list` `set` `dict` `tuple` `Literal` (bare `list` is `list[Any]`, bare
   `tuple` is `tuple[Any, ...]`, as SPEC §2 spells them);
3. a name in `custom_names` is a `CustomT`;
4. a few non-canonical spellings users type by hand are accepted and normalised: `object`,
   `Optional[T]`, `Union[A, B]`, `List`/`Dict`/`Set`/`Tuple`/`Sequence`/`Mapping` (also prefixed with
   `typing.` or `collections.abc.`), `typing.Any`, `datetime.datetime`, `datetime.date`,
   `decimal.Decimal`, `uuid.UUID`;
5. any other dotted name is an `OpaqueT` (`pandas.DataFrame`);
6. any other undotted name is a `CustomT` (`Point`). A custom type the checker has no definition for
   behaves nominally, exactly like an opaque type: it matches only itself and `Any`. (A plain class of a
   node's module prints undotted too, so this is also how such an opaque name comes back.)
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from functools import lru_cache

from type_system.types import (
    ANY,
    LiteralT,
    CustomT,
    DictT,
    ListT,
    OpaqueT,
    SCALAR_NAMES,
    Scalar,
    SetT,
    TupleT,
    Type,
    literal,
    optional,
    union,
)

__all__ = ["TypeParseError", "parse_type"]

_SCALARS = {name: Scalar(name) for name in SCALAR_NAMES}
_DIGITS = frozenset("0123456789")

_ALIASES_SCALAR = {
    "object": ANY,
    "typing.Any": ANY,
    "builtins.object": ANY,
    "datetime.datetime": _SCALARS["datetime"],
    "datetime.date": _SCALARS["date"],
    "decimal.Decimal": _SCALARS["Decimal"],
    "uuid.UUID": _SCALARS["UUID"],
    "NoneType": _SCALARS["None"],
    "types.NoneType": _SCALARS["None"],
}

# generic spellings -> canonical generic keyword
_GENERIC = {"list": "list", "set": "set", "dict": "dict", "tuple": "tuple", "Literal": "Literal"}
_GENERIC_ALIASES: dict[str, str] = {}
for _prefix in ("", "typing."):
    _GENERIC_ALIASES.update(
        {
            f"{_prefix}List": "list",
            f"{_prefix}Set": "set",
            f"{_prefix}Dict": "dict",
            f"{_prefix}Tuple": "tuple",
            f"{_prefix}Sequence": "list",
            f"{_prefix}Mapping": "dict",
            f"{_prefix}Optional": "Optional",
            f"{_prefix}Union": "Union",
        }
    )
_GENERIC_ALIASES.update(
    {
        "typing.Literal": "Literal",
        "collections.abc.Sequence": "list",
        "collections.abc.Mapping": "dict",
        "builtins.list": "list",
        "builtins.set": "set",
        "builtins.dict": "dict",
        "builtins.tuple": "tuple",
    }
)


class TypeParseError(ValueError):
    """A type string that does not parse. `position` is the 0-based index of the offending character
    in `text` (equal to `len(text)` when the string ends too early)."""

    def __init__(self, message: str, position: int, text: str = ""):
        self.message = message
        self.position = position
        self.text = text
        super().__init__(f"{message} at position {position} of {text!r}")


class _Parser:
    __slots__ = ("s", "i", "n", "custom")

    def __init__(self, s: str, custom: Iterable[str]):
        self.s = s
        self.i = 0
        self.n = len(s)
        self.custom = custom

    # -- low level -----------------------------------------------------------------------------
    def error(self, message: str, pos: int | None = None) -> TypeParseError:
        return TypeParseError(message, self.i if pos is None else pos, self.s)

    def ws(self) -> None:
        s, i, n = self.s, self.i, self.n
        while i < n and s[i] in " \t\r\n":
            i += 1
        self.i = i

    def peek(self) -> str:
        self.ws()
        return self.s[self.i] if self.i < self.n else ""

    def describe_here(self) -> str:
        if self.i >= self.n:
            return "end of string"
        return repr(self.s[self.i])

    def expect(self, ch: str) -> None:
        if self.peek() != ch:
            raise self.error(f"expected {ch!r}, found {self.describe_here()}")
        self.i += 1

    def name(self) -> tuple[str, int]:
        """A dotted identifier; returns it and its start position."""
        self.ws()
        start = self.i
        s, n = self.s, self.n
        parts = []
        while True:
            j = self.i
            if j < n and (s[j].isalpha() or s[j] == "_"):
                j += 1
                while j < n and (s[j].isalnum() or s[j] == "_"):
                    j += 1
            if j == self.i:
                if parts:
                    raise self.error(f"expected a name after '.', found {self.describe_here()}")
                raise self.error(f"expected a type, found {self.describe_here()}")
            parts.append(s[self.i : j])
            self.i = j
            if j < n and s[j] == ".":
                self.i = j + 1
                continue
            return ".".join(parts), start

    # -- grammar ---------------------------------------------------------------------------------
    def parse(self) -> Type:
        t = self.type_()
        self.ws()
        if self.i < self.n:
            raise self.error(f"unexpected {self.describe_here()}")
        return t

    def type_(self) -> Type:
        members = [self.member()]
        while self.peek() == "|":
            self.i += 1
            members.append(self.member())
        return members[0] if len(members) == 1 else union(*members)

    def member(self) -> Type:
        if self.peek() == "(":
            raise self.error("unexpected '(' (only `tuple[()]` may hold parentheses)")
        name, start = self.name()
        subscripted = self.peek() == "["
        if name in _SCALARS:
            if subscripted:
                raise self.error(f"{name} takes no type arguments")
            return _SCALARS[name]
        kind = _GENERIC.get(name)
        if kind is None and name in self.custom:
            if subscripted:
                raise self.error(f"custom type {name} takes no type arguments")
            return CustomT(name)
        if kind is None:
            kind = _GENERIC_ALIASES.get(name)
        if kind is None:
            alias = _ALIASES_SCALAR.get(name)
            if alias is not None:
                if subscripted:
                    raise self.error(f"{name} takes no type arguments")
                return alias
            if subscripted:
                what = "opaque type" if "." in name else "custom type"
                raise self.error(f"{what} {name} takes no type arguments")
            return OpaqueT(name) if "." in name else CustomT(name)
        if not subscripted:
            if kind == "list":
                return ListT(ANY)
            if kind == "set":
                return SetT(ANY)
            if kind == "dict":
                return DictT(ANY, ANY)
            if kind == "tuple":
                return TupleT((ANY,), True)
            raise self.error(f"{name} needs arguments in brackets", self.i)
        open_pos = self.i
        self.i += 1  # '['
        if kind == "Literal":
            return self.literal_args(open_pos)
        if kind == "tuple" and self.peek() == "(":
            self.i += 1
            self.expect(")")
            self.expect("]")
            return TupleT(())
        self.ws()
        starts = [self.i]
        args: list[Type] = [self.type_()]
        variadic_at = None
        while self.peek() == ",":
            self.i += 1
            self.ws()
            starts.append(self.i)
            if kind == "tuple" and self.peek() == ".":
                variadic_at = self.i
                if not self.s.startswith("...", self.i):
                    raise self.error("expected '...'")
                self.i += 3
                break
            args.append(self.type_())
        self.ws()
        close_pos = self.i
        self.expect("]")
        if kind == "tuple":
            if variadic_at is not None:
                if len(args) != 1:
                    raise self.error("'...' is allowed only as `tuple[T, ...]`", variadic_at)
                return TupleT((args[0],), True)
            return TupleT(tuple(args))
        want = {"list": 1, "set": 1, "dict": 2, "Optional": 1}.get(kind)
        if want is not None and len(args) != want:
            noun = "argument" if want == 1 else "arguments"
            pos = starts[want] if len(args) > want else close_pos
            raise self.error(f"{name}[...] takes {want} type {noun}, got {len(args)}", pos)
        if kind == "list":
            return ListT(args[0])
        if kind == "set":
            return SetT(args[0])
        if kind == "dict":
            return DictT(args[0], args[1])
        if kind == "Optional":
            return optional(args[0])
        return union(*args)  # Union

    def literal_args(self, open_pos: int) -> LiteralT:
        values = [self.literal_value()]
        while self.peek() == ",":
            self.i += 1
            values.append(self.literal_value())
        self.expect("]")
        return literal(*values)

    def literal_value(self) -> object:
        self.ws()
        s, i, n = self.s, self.i, self.n
        start = i
        if i < n and s[i] in "-0123456789":
            j = i + 1 if s[i] == "-" else i
            k = j
            while k < n and s[k] in _DIGITS:  # ASCII only: str.isdigit() is true of '²', which int() refuses
                k += 1
            if k == j:
                raise self.error("expected digits after '-'", j)
            digits = s[j:k]
            if len(digits) > 1 and digits[0] == "0":
                raise self.error("an int literal has no leading zeros", j)
            if k < n and (s[k] in ".eEjJxXoObB_" or s[k].isalpha()):
                raise self.error("Literal values are ints, strings, bytes, True, False or None", start)
            try:
                value = int(s[start:k])
            except ValueError:  # Python refuses to convert more than sys.get_int_max_str_digits() digits
                raise self.error(f"an int literal of {len(digits)} digits is too long", j) from None
            self.i = k
            return value
        is_bytes = False
        if i < n and s[i] in "bB" and i + 1 < n and s[i + 1] in "'\"":
            is_bytes = True
            i += 1
        if i < n and s[i] in "'\"":
            quote = s[i]
            j = i + 1
            while j < n and s[j] != quote:
                if s[j] == "\\":
                    j += 1
                elif s[j] == "\n":
                    break
                j += 1
            if j >= n or s[j] != quote:
                raise self.error("unterminated string literal", start)
            token = s[start : j + 1]
            try:
                value = ast.literal_eval(token)
            except (ValueError, SyntaxError) as e:
                raise self.error(f"invalid string literal ({e.__class__.__name__})", start) from None
            assert isinstance(value, bytes if is_bytes else str)
            self.i = j + 1
            return value
        if i < n and (s[i].isalpha() or s[i] == "_"):
            name, pos = self.name()
            if name == "True":
                return True
            if name == "False":
                return False
            if name == "None":
                return None
            raise self.error(f"{name} is not a Literal value", pos)
        raise self.error(f"expected a Literal value, found {self.describe_here()}")


@lru_cache(maxsize=8192)
def _parse_cached(s: str, custom_names: frozenset[str]) -> Type:
    return _Parser(s, custom_names).parse()


def parse_type(s: str, custom_names: Iterable[str] = frozenset()) -> Type:
    """Parse a type string (SPEC §2). Raises `TypeParseError` naming the 0-based position.
    Results are cached (types are immutable), so re-parsing the strings of a stored workflow is cheap."""
    if not isinstance(s, str):
        raise TypeError(f"parse_type expects a str, got {type(s).__name__}")
    if not isinstance(custom_names, frozenset):
        custom_names = frozenset(custom_names)
    return _parse_cached(s, custom_names)
