"""Annotation expressions (libcst) → the type representation of `type_system.types` (SPEC §2).

Names resolve through the module's imports with libcst's scope analysis: `scope.get_qualified_names_for`
takes a dotted name, so string annotations, parsed separately, resolve in the scope where they were
written. TypedDict, NamedTuple and dataclass classes of the module become custom types; every other class
is opaque by its qualified name.
"""

from __future__ import annotations

import warnings
from contextlib import contextmanager
from dataclasses import dataclass, field

import libcst as cst
from libcst.helpers import get_full_name_for_node
from libcst.metadata import QualifiedNameSource

from type_system.types import (
    ANY, BOOL, BYTES, DATE, DATETIME, DECIMAL, FLOAT, INT, NONE, STR, UUID,
    CustomT, DictT, ListT, LiteralT, OpaqueT, SetT, TupleT, Type, format_type, union,
)

SCALARS: dict[str, Type] = {
    "builtins.int": INT, "builtins.float": FLOAT, "builtins.bool": BOOL, "builtins.str": STR,
    "builtins.bytes": BYTES, "typing.Text": STR,
    "datetime.datetime": DATETIME, "datetime.date": DATE, "decimal.Decimal": DECIMAL, "uuid.UUID": UUID,
    "typing.Any": ANY, "builtins.object": ANY, "builtins.None": NONE, "types.NoneType": NONE,
}
LIST_NAMES = frozenset({
    "builtins.list", "typing.List", "typing.Sequence", "collections.abc.Sequence",
    "typing.MutableSequence", "collections.abc.MutableSequence",
})
SET_NAMES = frozenset({
    "builtins.set", "builtins.frozenset", "typing.Set", "typing.FrozenSet", "typing.AbstractSet",
    "typing.MutableSet", "collections.abc.Set", "collections.abc.MutableSet",
})
DICT_NAMES = frozenset({
    "builtins.dict", "typing.Dict", "typing.Mapping", "collections.abc.Mapping",
    "typing.MutableMapping", "collections.abc.MutableMapping",
})
TUPLE_NAMES = frozenset({"builtins.tuple", "typing.Tuple"})
# typing's aliases of other standard classes, named as the class they alias (opaque).
TYPING_ALIASES = {
    "typing.OrderedDict": "collections.OrderedDict", "typing.DefaultDict": "collections.defaultdict",
    "typing.Deque": "collections.deque", "typing.Counter": "collections.Counter",
    "typing.ChainMap": "collections.ChainMap", "typing.Type": "type", "typing.Pattern": "re.Pattern",
    "typing.Match": "re.Match",
}
WRAPPERS = frozenset({"typing.Required", "typing.NotRequired", "typing.ReadOnly", "typing.Final",
                      "typing.ClassVar", "dataclasses.InitVar", "typing.Annotated"})
FUNCTIONAL_CLASSES = frozenset({"typing.TypedDict", "typing.NamedTuple", "collections.namedtuple"})
TYPEVAR_LIKE = frozenset({"typing.TypeVar", "typing.ParamSpec", "typing.TypeVarTuple", "typing.AnyStr"})

_EMPTY = cst.Module(body=[])


def code_of(node: cst.CSTNode, limit: int = 80) -> str:
    """The node's code for messages, shortened to `limit` characters."""
    code = " ".join(_EMPTY.code_for_node(node).split())
    return code if len(code) <= limit else code[: limit - 3] + "..."


def canonical_qualname(name: str) -> str:
    """`typing_extensions.X` is `typing.X`; relative imports lose their dots."""
    name = name.lstrip(".")
    if name.startswith("typing_extensions."):
        name = "typing." + name[len("typing_extensions."):]
    return name


def subscript_args(node: cst.Subscript) -> list[cst.BaseExpression]:
    out = []
    for el in node.slice:
        if isinstance(el.slice, cst.Index):
            out.append(el.slice.value)
    return out


def string_value(node: cst.CSTNode) -> str | bytes | None:
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        try:
            with warnings.catch_warnings():  # invalid escapes warn (or raise, under -W error)
                warnings.simplefilter("ignore")
                return node.evaluated_value
        except Exception:
            return None
    return None


def type_parameters(node: cst.FunctionDef | cst.ClassDef) -> dict[str, cst.BaseExpression | None]:
    """PEP 695 type parameters (`def f[T: int](...)`) → their bounds."""
    out: dict[str, cst.BaseExpression | None] = {}
    tp = getattr(node, "type_parameters", None)
    for p in getattr(tp, "params", ()) or ():
        param = p.param
        name = getattr(param, "name", None)
        if isinstance(name, cst.Name):
            out[name.value] = getattr(param, "bound", None)
    return out


@dataclass(frozen=True)
class Ref:
    """What a name refers to: `kind` is "import", "builtin", "local" or "unresolved"."""

    kind: str
    name: str


@dataclass
class FieldInfo:
    name: str
    type: Type
    required: bool


@dataclass(frozen=True)
class FunctionalClass:
    """A class made by a call — `P = TypedDict("P", {"a": int})`, `P = NamedTuple("P", [("a", int)])`,
    `P = collections.namedtuple("P", "a b")` — with the fields the call declares. Keys of the
    functional TypedDict need not be identifiers, so these are not rewritten into class statements."""

    kind: str  # "typeddict" or "namedtuple"
    fields: tuple[tuple[str, cst.BaseExpression | None, bool | None], ...]  # name, annotation, required
    total: bool = True


@dataclass
class ClassInfo:
    kind: str  # "typeddict", "namedtuple", "dataclass"
    fields: list[FieldInfo] = field(default_factory=list)


def class_body_statements(cls: cst.ClassDef) -> list[cst.BaseSmallStatement | cst.BaseCompoundStatement]:
    out: list = []
    body = cls.body
    if isinstance(body, cst.SimpleStatementSuite):
        return list(body.body)
    for stmt in body.body:
        if isinstance(stmt, cst.SimpleStatementLine):
            out.extend(stmt.body)
        else:
            out.append(stmt)
    return out


class TypeResolver:
    """Resolves annotations in the module's global scope; collects the custom types it meets."""

    def __init__(self, scope, classes: dict[str, cst.ClassDef], aliases: dict[str, cst.CSTNode],
                 warnings: list[str], star_names: dict[str, str] | None = None) -> None:
        self.scope = scope
        # what `from <stdlib module> import *` binds: name → qualified name (libcst's scope knows none)
        self.star_names = star_names or {}
        self.classes = classes
        self.aliases = aliases  # module-level name → assigned value (or TypeAlias value)
        self.warnings = warnings
        self.custom_types: dict[str, dict] = {}  # SPEC custom_types, in order of discovery
        self.class_info: dict[str, ClassInfo] = {}
        self._kinds: dict[str, str | None] = {}
        self._alias_stack: list[str] = []
        self._type_params: list[dict[str, cst.BaseExpression | None]] = []
        for name, value in list(aliases.items()):
            made = self._functional_class(name, value) if isinstance(value, cst.Call) else None
            if made is not None:
                self.classes[name] = made
                del self.aliases[name]

    @contextmanager
    def type_params(self, params: dict[str, cst.BaseExpression | None]):
        """Resolve inside a generic function or class: its type parameters are type variables."""
        self._type_params.append(params)
        try:
            yield
        finally:
            self._type_params.pop()

    # --- names -----------------------------------------------------------------------------------------

    def warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)

    def ref(self, node: cst.CSTNode) -> Ref | None:
        """What a Name/Attribute refers to; None for other expressions."""
        if not isinstance(node, (cst.Name, cst.Attribute)):
            return None
        dotted = get_full_name_for_node(node)
        if dotted is None:
            return None
        if dotted == "None":
            return Ref("builtin", "builtins.None")
        try:
            qnames = self.scope.get_qualified_names_for(dotted)
        except Exception:
            qnames = set()
        if not qnames or all(q.source is QualifiedNameSource.BUILTIN for q in qnames):
            # A star import binds names libcst's scope analysis cannot see; it also shadows builtins.
            star = self._star_ref(dotted)
            if star is not None:
                return star
        if not qnames:
            return Ref("unresolved", dotted)
        # A name bound more than once (`if TYPE_CHECKING: import pandas as pd` / `else: pd = None`,
        # `try: from typing import TypedDict` / `except: TypedDict = dict`): a class of the module
        # first, then an import, then another local binding.
        def rank(q) -> tuple[int, str]:
            if q.source is QualifiedNameSource.LOCAL:
                return (0 if q.name.split(".")[0] in self.classes else 2, q.name)
            return (1 if q.source is QualifiedNameSource.IMPORT else 3, q.name)

        best = min(qnames, key=rank)
        if best.source is QualifiedNameSource.LOCAL:
            return Ref("local", best.name)
        if best.source is QualifiedNameSource.BUILTIN:
            return Ref("builtin", best.name)
        return Ref("import", canonical_qualname(best.name))

    def _star_ref(self, dotted: str) -> Ref | None:
        head, dot, rest = dotted.partition(".")
        qualified = self.star_names.get(head)
        if qualified is None:
            return None
        return Ref("import", canonical_qualname(qualified + dot + rest))

    def qualname(self, node: cst.CSTNode) -> str | None:
        """The canonical qualified name of a Name/Attribute, following simple module-level aliases
        (`L = typing.List`); local classes keep their own name."""
        r = self.ref(node)
        if r is None:
            return None
        if r.kind == "local" and r.name in self.aliases and r.name not in self.classes \
                and r.name not in self._alias_stack:
            value = self.aliases[r.name]
            if isinstance(value, (cst.Name, cst.Attribute)):
                self._alias_stack.append(r.name)
                try:
                    return self.qualname(value)
                finally:
                    self._alias_stack.pop()
        return r.name

    def parse_string(self, node: cst.CSTNode) -> cst.BaseExpression | None:
        """A string annotation parsed as the expression it holds (None, with a warning, if it cannot)."""
        v = string_value(node)
        if not isinstance(v, str):
            self.warn(f"annotation {code_of(node)} is not a type; using Any")
            return None
        text = v.strip()
        for candidate in (text, f"({text})"):
            try:
                return cst.parse_expression(candidate)
            except Exception:
                continue
        self.warn(f"string annotation {v!r} does not parse; using Any")
        return None

    # --- annotations -----------------------------------------------------------------------------------

    def unwrap(self, node: cst.BaseExpression) -> tuple[cst.BaseExpression | None, str | None, bool | None]:
        """Strip `Annotated`, `Required`, `NotRequired`, `ReadOnly`, `Final` from the outside of an
        annotation (also inside strings). Returns (inner, description, required override)."""
        description: str | None = None
        required: bool | None = None
        for _ in range(50):
            if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
                parsed = self.parse_string(node)
                if parsed is None:
                    return None, description, required
                node = parsed
                continue
            if not isinstance(node, cst.Subscript):
                break
            qn = self.qualname(node.value)
            args = subscript_args(node)
            if not args:
                break
            if qn == "typing.Annotated":
                if description is None:
                    for meta in args[1:]:
                        s = string_value(meta)
                        if isinstance(s, str):
                            description = s
                            break
            elif qn == "typing.Required":
                required = True if required is None else required
            elif qn == "typing.NotRequired":
                required = False if required is None else required
            elif qn not in ("typing.ReadOnly", "typing.Final"):
                break
            node = args[0]
        return node, description, required

    def resolve(self, node: cst.BaseExpression | None, depth: int = 0) -> Type:
        if node is None:
            return ANY
        if depth > 100:
            self.warn(f"annotation {code_of(node)} nests too deeply; using Any")
            return ANY
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            parsed = self.parse_string(node)
            return ANY if parsed is None else self.resolve(parsed, depth + 1)
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
            return union(self.resolve(node.left, depth + 1), self.resolve(node.right, depth + 1))
        if isinstance(node, (cst.Name, cst.Attribute)):
            return self._named(node, None, depth)
        if isinstance(node, cst.Subscript):
            return self._named(node.value, subscript_args(node), depth)
        self.warn(f"annotation {code_of(node)} is not a type; using Any")
        return ANY

    def _named(self, base: cst.BaseExpression, args: list[cst.BaseExpression] | None, depth: int) -> Type:
        if isinstance(base, cst.Name):
            for params in reversed(self._type_params):
                if base.value in params:
                    bound = params[base.value]
                    return ANY if bound is None else self.resolve(bound, depth + 1)
        r = self.ref(base)
        if r is None:
            self.warn(f"annotation {code_of(base)} is not a type; using Any")
            return ANY
        if r.kind == "unresolved":
            self.warn(f"name {r.name!r} in an annotation is not defined or imported; treated as opaque")
            return OpaqueT(r.name)
        if r.kind == "local":
            return self._local(r.name, args, depth)
        return self._qualified(r.name, args, depth)

    def _local(self, name: str, args: list[cst.BaseExpression] | None, depth: int) -> Type:
        if name in self.classes:
            if self.class_kind(name) is None:
                return OpaqueT(name)
            self.register(name)
            return CustomT(name)
        if name in self.aliases and name not in self._alias_stack:
            value = self.aliases[name]
            self._alias_stack.append(name)
            try:
                if isinstance(value, (cst.Name, cst.Attribute)) and args is not None:
                    return self._named(value, args, depth + 1)
                if isinstance(value, cst.Call):
                    return self._alias_call(name, value, depth)
                return self.resolve(value, depth + 1)
            finally:
                self._alias_stack.pop()
        if name in self.aliases:
            self.warn(f"type alias {name!r} refers to itself; using Any")
            return ANY
        return OpaqueT(name)

    def _alias_call(self, name: str, call: cst.Call, depth: int) -> Type:
        qn = self.qualname(call.func)
        pos = [a.value for a in call.args if a.keyword is None and not a.star]
        kw = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        if qn in TYPEVAR_LIKE:
            bound = kw.get("bound")
            return self.resolve(bound, depth + 1) if bound is not None else ANY
        if qn == "typing.NewType" and len(pos) >= 2:
            return self.resolve(pos[1], depth + 1)
        if qn in FUNCTIONAL_CLASSES:  # its fields are not literal: warned when the module was read
            return ANY
        self.warn(f"{name!r} = {code_of(call)} is not a type this platform reads; using Any")
        return ANY

    def _qualified(self, qn: str, args: list[cst.BaseExpression] | None, depth: int) -> Type:
        if qn in SCALARS:
            return SCALARS[qn]
        r = lambda n: self.resolve(n, depth + 1)  # noqa: E731
        if qn in LIST_NAMES:
            return ListT(r(args[0]) if args else ANY)
        if qn in SET_NAMES:
            return SetT(r(args[0]) if args else ANY)
        if qn in DICT_NAMES:
            if not args:
                return DictT(ANY, ANY)
            if len(args) != 2:
                self.warn(f"{qn} takes two arguments; using Any for what is missing")
            return DictT(r(args[0]), r(args[1]) if len(args) > 1 else ANY)
        if qn in TUPLE_NAMES:
            return self._tuple(args, depth)
        if qn == "typing.Optional":
            return union(r(args[0]), NONE) if args else ANY
        if qn == "typing.Union":
            return union(*(r(a) for a in args)) if args else ANY
        if qn == "typing.Literal":
            return self._literal(args or [])
        if qn in WRAPPERS:
            return r(args[0]) if args else ANY
        if qn in TYPEVAR_LIKE:
            return ANY
        if qn in TYPING_ALIASES:
            return OpaqueT(TYPING_ALIASES[qn])
        if qn.startswith("builtins."):
            return OpaqueT(qn[len("builtins."):])
        return OpaqueT(qn)

    def _tuple(self, args: list[cst.BaseExpression] | None, depth: int) -> Type:
        if not args:
            return TupleT((ANY,), variadic=True)
        if len(args) == 1 and isinstance(args[0], cst.Tuple) and not args[0].elements:
            return TupleT(())
        if len(args) == 2 and isinstance(args[1], cst.Ellipsis):
            return TupleT((self.resolve(args[0], depth + 1),), variadic=True)
        return TupleT(tuple(self.resolve(a, depth + 1) for a in args))

    def _literal(self, args: list[cst.BaseExpression]) -> Type:
        values: list[object] = []

        def add(v: object) -> None:
            if not any(type(v) is type(x) and v == x for x in values):
                values.append(v)

        def visit(node: cst.BaseExpression) -> None:
            if isinstance(node, cst.Subscript) and self.qualname(node.value) == "typing.Literal":
                for a in subscript_args(node):
                    visit(a)
                return
            v = literal_value(node)
            if v is _NOT_LITERAL or isinstance(v, (list, tuple, dict, float)):
                self.warn(f"Literal value {code_of(node)} is not supported; ignored")
                return
            add(v)

        for a in args:
            visit(a)
        return LiteralT(tuple(values)) if values else ANY

    # --- custom types ----------------------------------------------------------------------------------

    def _functional_class(self, name: str, call: cst.Call) -> FunctionalClass | None:
        """The class a `TypedDict(...)`, `NamedTuple(...)` or `namedtuple(...)` call makes; None (with a
        warning when it is one of those) if the call is something else or its fields are not literal."""
        qn = self.qualname(call.func)
        if qn not in FUNCTIONAL_CLASSES:
            return None
        pos = [a.value for a in call.args if a.keyword is None and not a.star]
        kw = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
        spec = pos[1] if len(pos) > 1 else kw.get("fields")
        fields: list[tuple[str, cst.BaseExpression | None, bool | None]] = []
        total = True
        if qn == "typing.TypedDict" and isinstance(spec, cst.Dict):
            for el in spec.elements:
                key = literal_value(el.key) if isinstance(el, cst.DictElement) else _NOT_LITERAL
                if not isinstance(key, str):
                    break
                fields.append((key, el.value, None))
            else:
                total = not (isinstance(kw.get("total"), cst.Name) and kw["total"].value == "False")
                return FunctionalClass("typeddict", tuple(fields), total)
        elif qn == "typing.NamedTuple" and isinstance(spec, (cst.List, cst.Tuple)):
            for el in spec.elements:
                pair = el.value
                if not (isinstance(pair, cst.Tuple) and len(pair.elements) == 2
                        and isinstance(key := literal_value(pair.elements[0].value), str)):
                    break
                fields.append((key, pair.elements[1].value, True))
            else:
                return FunctionalClass("namedtuple", tuple(fields))
        elif qn == "collections.namedtuple":
            names = literal_value(spec) if spec is not None else _NOT_LITERAL
            if isinstance(names, str):
                names = names.replace(",", " ").split()
            defaults = literal_value(kw["defaults"]) if "defaults" in kw else ()
            if isinstance(names, (list, tuple)) and all(isinstance(n, str) for n in names) \
                    and isinstance(defaults, (list, tuple)):
                first_default = len(names) - len(defaults)
                return FunctionalClass("namedtuple", tuple(
                    (n, None, i < first_default) for i, n in enumerate(names)))
        self.warn(f"{name!r} = {code_of(call)}: its fields are not literal; using Any")
        return None

    def class_kind(self, name: str) -> str | None:
        """"typeddict", "namedtuple", "dataclass" for the module's classes that are custom types."""
        if name in self._kinds:
            return self._kinds[name]
        cls = self.classes[name]
        if isinstance(cls, FunctionalClass):
            self._kinds[name] = cls.kind
            return cls.kind
        self._kinds[name] = None  # cycle guard
        kind: str | None = None
        for dec in cls.decorators:
            d = dec.decorator.func if isinstance(dec.decorator, cst.Call) else dec.decorator
            if self.qualname(d) == "dataclasses.dataclass":
                kind = "dataclass"
        if kind is None:
            for base in self._bases(cls):
                qn = self.qualname(base)
                if qn == "typing.TypedDict":
                    kind = "typeddict"
                elif qn == "typing.NamedTuple":
                    kind = "namedtuple"
                elif qn in self.classes and qn != name:
                    kind = self.class_kind(qn)
                    if kind == "namedtuple":  # a subclass of a NamedTuple class adds no fields
                        kind = "namedtuple-sub"
                if kind:
                    break
        self._kinds[name] = kind
        return kind

    def _bases(self, cls: cst.ClassDef) -> list[cst.BaseExpression]:
        out = []
        for arg in cls.bases:
            if arg.keyword is not None or arg.star:
                continue
            v = arg.value
            out.append(v.value if isinstance(v, cst.Subscript) else v)
        return out

    def register(self, name: str) -> ClassInfo | None:
        """Resolve a custom class's fields once and list it in `custom_types`."""
        if name in self.class_info:
            return self.class_info[name]
        kind = self.class_kind(name)
        if kind is None:
            return None
        info = ClassInfo(kind)
        self.class_info[name] = info
        entry: dict = {"fields": {}, "required": []}
        self.custom_types[name] = entry
        info.fields = self._fields(name, set())
        entry["fields"] = {f.name: format_type(f.type) for f in info.fields}
        entry["required"] = [f.name for f in info.fields if f.required]
        return info

    def fields_of(self, name: str) -> list[FieldInfo]:
        info = self.register(name)
        return info.fields if info else []

    def _fields(self, name: str, seen: set[str]) -> list[FieldInfo]:
        if name in seen:
            return []
        seen.add(name)
        cls = self.classes[name]
        kind = self.class_kind(name)
        if kind is None:
            return []
        if isinstance(cls, FunctionalClass):
            return [self._functional_field(cls, *f) for f in cls.fields]
        merged: dict[str, FieldInfo] = {}
        if kind in ("typeddict", "dataclass", "namedtuple-sub"):
            inherited = self._bases(cls) if kind != "dataclass" else list(reversed(self._bases(cls)))
            for base in inherited:
                qn = self.qualname(base)
                if qn in self.classes and self.class_kind(qn) is not None:
                    for f in self._fields(qn, seen):
                        merged[f.name] = f
        if kind == "namedtuple-sub":
            return list(merged.values())
        own_is_field = kind != "dataclass" or any(
            self.qualname(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator)
            == "dataclasses.dataclass" for d in cls.decorators)
        total = True
        if kind == "typeddict":
            for arg in cls.keywords:
                if arg.keyword is not None and arg.keyword.value == "total":
                    total = not (isinstance(arg.value, cst.Name) and arg.value.value == "False")
        with self.type_params(type_parameters(cls)):
            own = self._own_fields(cls, kind, total) if own_is_field else []
        for f in own:
            merged[f.name] = f  # an override keeps its first position
        return list(merged.values())

    def _own_fields(self, cls: cst.ClassDef, kind: str, total: bool) -> list[FieldInfo]:
        out = []
        for stmt in class_body_statements(cls):
            if not isinstance(stmt, cst.AnnAssign) or not isinstance(stmt.target, cst.Name):
                continue
            fname = stmt.target.value
            ann = stmt.annotation.annotation
            if kind == "dataclass" and self._is_pseudo_field(ann):
                continue
            inner, _desc, req = self.unwrap(ann)
            ftype = self.resolve(inner)
            if kind == "typeddict":
                required = total if req is None else req
            elif kind == "namedtuple":
                required = stmt.value is None
            else:
                required = self._dataclass_required(stmt.value)
            out.append(FieldInfo(fname, ftype, required))
        return out

    def _functional_field(self, cls: FunctionalClass, name: str, ann: cst.BaseExpression | None,
                          required: bool | None) -> FieldInfo:
        if ann is None:  # collections.namedtuple declares no types
            return FieldInfo(name, ANY, bool(required))
        inner, _desc, req = self.unwrap(ann)
        if cls.kind == "typeddict":
            required = cls.total if req is None else req
        return FieldInfo(name, self.resolve(inner), bool(required))

    def _is_pseudo_field(self, ann: cst.BaseExpression) -> bool:
        """ClassVar, InitVar and KW_ONLY annotations declare no dataclass field."""
        node = ann
        if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
            parsed = self.parse_string(node)
            if parsed is None:
                return False
            node = parsed
        base = node.value if isinstance(node, cst.Subscript) else node
        return self.qualname(base) in ("typing.ClassVar", "dataclasses.InitVar", "dataclasses.KW_ONLY")

    def _dataclass_required(self, value: cst.BaseExpression | None) -> bool:
        if value is None:
            return True
        if isinstance(value, cst.Call) and self.qualname(value.func) == "dataclasses.field":
            return not any(a.keyword is not None and a.keyword.value in ("default", "default_factory")
                           for a in value.args)
        return False


# --- literals ----------------------------------------------------------------------------------------------

class _NotLiteral:
    def __repr__(self) -> str:
        return "<not a literal>"


_NOT_LITERAL = _NotLiteral()


def literal_value(node: cst.BaseExpression) -> object:
    """The Python value of a literal expression (numbers incl. signed, strings, bytes, True/False/None,
    lists, tuples and dicts of literals); `_NOT_LITERAL` for anything else."""
    if isinstance(node, cst.Integer):
        return node.evaluated_value
    if isinstance(node, cst.Float):
        return node.evaluated_value
    if isinstance(node, (cst.SimpleString, cst.ConcatenatedString)):
        v = string_value(node)
        return _NOT_LITERAL if v is None else v
    if isinstance(node, cst.Name):
        return {"True": True, "False": False, "None": None}.get(node.value, _NOT_LITERAL)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, (cst.Minus, cst.Plus)):
        v = literal_value(node.expression)
        if isinstance(v, (int, float)) and not isinstance(v, bool):
            return -v if isinstance(node.operator, cst.Minus) else v
        return _NOT_LITERAL
    if isinstance(node, (cst.List, cst.Tuple)):
        items = []
        for el in node.elements:
            if not isinstance(el, cst.Element):
                return _NOT_LITERAL
            v = literal_value(el.value)
            if v is _NOT_LITERAL:
                return _NOT_LITERAL
            items.append(v)
        return items if isinstance(node, cst.List) else tuple(items)
    if isinstance(node, cst.Dict):
        out = {}
        for el in node.elements:
            if not isinstance(el, cst.DictElement):
                return _NOT_LITERAL
            k = literal_value(el.key)
            v = literal_value(el.value)
            if k is _NOT_LITERAL or v is _NOT_LITERAL or isinstance(k, (list, dict)):
                return _NOT_LITERAL
            out[k] = v
        return out
    return _NOT_LITERAL


def is_not_literal(value: object) -> bool:
    return value is _NOT_LITERAL
