"""Compatibility verdicts (SPEC §4): may a value of type `source` flow into a slot of type `target`?

`check(source, target, custom)` applies, in this order:
1. equal types, target `Any`, source `Any` → compatible;
2. a `Literal` target takes only a `Literal` source whose values are a subset (values compare by type and
   value). A `Literal` source counts as the union of its values' types; where the target is a union
   holding `Literal` members, each source value is matched on its own, so `Literal['a']` reaches
   `Literal['a'] | None`;
3. union source: the worst member's verdict (also used when the target is a `Literal`, so a union of
   Literals whose values are all in the target is compatible);
4. union target: the best member's verdict, with the conversion of the first member (target order)
   giving it;
5. `list` / `set` / `tuple[T, ...]` / fixed tuples;
6. `dict` → `dict`: worst of keys and values;
7. custom types, structurally (a pair already being compared counts as compatible);
8. scalars through the matrix; opaque types and undefined custom types only match themselves (and
   whatever an extended matrix adds); `None` only `None`, `Any` and unions holding `None`.
Anything else is incompatible.

Reasons locate the problem, outermost first: `list element: str → bool is incompatible: no conversion
from str to bool`, `field 'x': str → float is convertible with float()`, `union member int: …`.

Results are memoised per (registry, matrix) on (source, target): a repeated check is a dict lookup.
A result that leaned on the recursion guard of an enclosing comparison is not memoised (only the
top-level result of that comparison is).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from type_system.custom import CustomRegistry, CustomTypeDef, as_registry
from type_system.matrix import BASE_MATRIX, COMPATIBLE, CONVERTIBLE, INCOMPATIBLE, VERDICTS, Matrix
from type_system.types import (
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
)

__all__ = ["Verdict", "TypeChecker", "check", "checker_for", "worst", "best"]

_RANK = {COMPATIBLE: 0, CONVERTIBLE: 1, INCOMPATIBLE: 2}


@dataclass(frozen=True, slots=True)
class Verdict:
    verdict: str  # "compatible" | "convertible" | "incompatible"
    conversion: str | None
    reason: str

    @property
    def rank(self) -> int:
        """0 compatible, 1 convertible, 2 incompatible (SPEC §4's order)."""
        return _RANK[self.verdict]

    @property
    def ok(self) -> bool:
        """Not incompatible: the connection may run."""
        return self.verdict != INCOMPATIBLE

    def to_json(self) -> dict[str, Any]:
        return {"verdict": self.verdict, "conversion": self.conversion, "reason": self.reason}


def worst(*verdicts: Verdict) -> Verdict:
    """The worst verdict (first one on ties)."""
    return max(verdicts, key=lambda v: _RANK[v.verdict])


def best(*verdicts: Verdict) -> Verdict:
    """The best verdict (first one on ties)."""
    return min(verdicts, key=lambda v: _RANK[v.verdict])


_LITERAL_VALUE_TYPES = {
    int: Scalar("int"),
    bool: Scalar("bool"),
    str: Scalar("str"),
    bytes: Scalar("bytes"),
    type(None): Scalar("None"),
}
_SEQ_CONV = {"list": "list()", "set": "set()", "tuple": "tuple()"}
_SEQ_NOUN = {"list": "list", "set": "set", "tuple": "variadic tuple", "fixed": "fixed-length tuple"}
_MAX_PARTS = 4  # how many located problems one reason lists


def _seq_kind(t: Type) -> str | None:
    c = t.__class__
    if c is ListT:
        return "list"
    if c is SetT:
        return "set"
    if c is TupleT:
        return "tuple" if t.variadic else "fixed"  # type: ignore[union-attr]
    return None


def _describe(t: Type, reg: Mapping[str, CustomTypeDef]) -> str:
    c = t.__class__
    if c is Scalar:
        return "None" if t.name == "None" else f"a {t.name}"  # type: ignore[union-attr]
    if c is CustomT:
        return f"a {t.name} record" if t.name in reg else f"an undefined custom type {t.name}"  # type: ignore[union-attr]
    if c is OpaqueT:
        return f"an opaque {t.qualname}"  # type: ignore[union-attr]
    if c is DictT:
        return "a dict"
    kind = _seq_kind(t)
    if kind:
        return f"a {_SEQ_NOUN[kind]}"
    return f"a {t}"


_NOMINAL = (CustomT, OpaqueT)


class _Ctx:
    """Per top-level check: the pairs of custom types being compared, and how often that guard fired."""

    __slots__ = ("active", "assumed")

    def __init__(self) -> None:
        self.active: set[tuple[Type, Type]] = set()
        self.assumed = 0


class TypeChecker:
    """Checks pairs against one custom-type registry and one matrix, memoising results. Cheap to keep
    around (one per workflow validation, or the shared ones `checker_for` hands out); thread-safe."""

    def __init__(
        self,
        custom: Mapping[str, CustomTypeDef] | None = None,
        matrix: Matrix | None = None,
        *,
        memo: bool = True,
        memo_limit: int = 200_000,
    ):
        self.custom: CustomRegistry = as_registry(custom)
        self.matrix: Matrix = BASE_MATRIX if matrix is None else matrix
        self._base_matrix = self.matrix is BASE_MATRIX
        self._memo: dict[tuple[Type, Type], Verdict] | None = {} if memo else None
        self._memo_limit = memo_limit

    def check(self, source: Type, target: Type) -> Verdict:
        memo = self._memo
        key = (source, target)
        if memo is not None:
            v = memo.get(key)
            if v is not None:
                return v
        v = self._check(source, target, _Ctx())
        if memo is not None:
            if len(memo) >= self._memo_limit:
                memo.clear()
            memo[key] = v
        return v

    __call__ = check

    def clear(self) -> None:
        if self._memo is not None:
            self._memo.clear()

    # ------------------------------------------------------------------------------------------
    def _check(self, s: Type, t: Type, ctx: _Ctx) -> Verdict:
        memo = self._memo
        key = (s, t)
        if memo is not None:
            v = memo.get(key)
            if v is not None:
                return v
        guarded = s.__class__ is CustomT or t.__class__ is CustomT
        if guarded:
            if key in ctx.active:
                ctx.assumed += 1
                return Verdict(COMPATIBLE, None, f"{s} → {t} is compatible (recursive: already being compared)")
            ctx.active.add(key)
        before = ctx.assumed
        try:
            v = self._compute(s, t, ctx)
        finally:
            if guarded:
                ctx.active.discard(key)
        if memo is not None and ctx.assumed == before and len(memo) < self._memo_limit:
            memo[key] = v
        return v

    def _compute(self, s: Type, t: Type, ctx: _Ctx) -> Verdict:
        sc, tc = s.__class__, t.__class__
        # rule 1
        if s == t:
            return Verdict(COMPATIBLE, None, f"{s} → {t} is compatible (same type)")
        if tc is Scalar and t.name == "Any":  # type: ignore[union-attr]
            return Verdict(COMPATIBLE, None, f"{s} → Any is compatible (the target takes anything)")
        if sc is Scalar and s.name == "Any":  # type: ignore[union-attr]
            return Verdict(COMPATIBLE, None, f"Any → {t} is compatible (the value is checked when it arrives)")
        # rule 2
        if tc is LiteralT:
            if sc is LiteralT:
                return self._literal_subset(s, t)  # type: ignore[arg-type]
            if sc is UnionT:
                return self._union_source(s, t, ctx)  # type: ignore[arg-type]
            return Verdict(
                INCOMPATIBLE,
                None,
                f"{s} → {t} is incompatible: only a Literal whose values are all among {t}'s can go to it",
            )
        if sc is LiteralT:
            return self._literal_source(s, t, ctx)  # type: ignore[arg-type]
        # rules 3, 4
        if sc is UnionT:
            return self._union_source(s, t, ctx)  # type: ignore[arg-type]
        if tc is UnionT:
            return self._union_target(s, t, ctx)  # type: ignore[arg-type]
        # rule 5
        sk = _seq_kind(s)
        if sk is not None:
            tk = _seq_kind(t)
            if tk is not None:
                return self._sequences(s, t, sk, tk, ctx)
        # rule 6
        if sc is DictT and tc is DictT:
            parts = [
                ("dict key", self._check(s.key, t.key, ctx)),  # type: ignore[union-attr]
                ("dict value", self._check(s.value, t.value, ctx)),  # type: ignore[union-attr]
            ]
            return self._combine(s, t, None, parts)
        # rule 7
        if sc is CustomT or tc is CustomT:
            v = self._custom(s, t, ctx)
            if v is not None:
                return v
        # rule 8 and the matrix
        return self._leaf(s, t)

    # -- helpers -----------------------------------------------------------------------------------
    @staticmethod
    def _combine(s: Type, t: Type, container: Verdict | None, parts: list[tuple[str, Verdict]]) -> Verdict:
        """The worst of a container-level verdict and located part verdicts; the reason lists every
        part at that worst level (up to a few), the conversion is the first one's."""
        w = container.rank if container is not None else 0
        for _, v in parts:
            r = _RANK[v.verdict]
            if r > w:
                w = r
        if w == 0:
            return Verdict(COMPATIBLE, None, f"{s} → {t} is compatible")
        entries: list[tuple[str, str | None]] = []
        if container is not None and container.rank == w:
            entries.append((container.reason, container.conversion))
        for where, v in parts:
            if _RANK[v.verdict] == w:
                entries.append((f"{where}: {v.reason}", v.conversion))
        conv = next((c for _, c in entries if c), None) if w == 1 else None
        reasons = [r for r, _ in entries[:_MAX_PARTS]]
        if len(entries) > _MAX_PARTS:
            reasons.append(f"and {len(entries) - _MAX_PARTS} more")
        return Verdict(VERDICTS[w], conv, "; ".join(reasons))

    def _literal_subset(self, s: LiteralT, t: LiteralT) -> Verdict:
        allowed = {literal_key(v) for v in t.values}
        missing = [v for v in s.values if literal_key(v) not in allowed]
        if not missing:
            return Verdict(COMPATIBLE, None, f"{s} → {t} is compatible (every value is among the target's)")
        shown = ", ".join(repr(v) for v in missing)
        noun = "value" if len(missing) == 1 else "values"
        return Verdict(INCOMPATIBLE, None, f"{s} → {t} is incompatible: {noun} {shown} not among the values of {t}")

    def _literal_source(self, s: LiteralT, t: Type, ctx: _Ctx) -> Verdict:
        if t.__class__ is UnionT and any(m.__class__ is LiteralT for m in t.members):  # type: ignore[union-attr]
            if len(s.values) == 1:
                return self._union_target(s, t, ctx)  # type: ignore[arg-type]
            parts = [(f"Literal value {v!r}", self._check(LiteralT((v,)), t, ctx)) for v in s.values]
            return self._combine(s, t, None, parts)
        parts = []
        seen: set[Type] = set()
        for v in s.values:
            vt = _LITERAL_VALUE_TYPES.get(v.__class__)
            if vt is None:
                return Verdict(INCOMPATIBLE, None, f"{s} → {t} is incompatible: unsupported Literal value {v!r}")
            if vt not in seen:
                seen.add(vt)
                parts.append((f"Literal value {v!r}", self._check(vt, t, ctx)))
        return self._combine(s, t, None, parts)

    def _union_source(self, s: UnionT, t: Type, ctx: _Ctx) -> Verdict:
        return self._combine(s, t, None, [(f"union member {m}", self._check(m, t, ctx)) for m in s.members])

    def _union_target(self, s: Type, t: UnionT, ctx: _Ctx) -> Verdict:
        results = [self._check(s, m, ctx) for m in t.members]
        b = min(_RANK[v.verdict] for v in results)
        if b == 2:
            why = "; ".join(f"{m}: {v.reason}" for m, v in list(zip(t.members, results))[:_MAX_PARTS])
            return Verdict(INCOMPATIBLE, None, f"{s} → {t} is incompatible: no union member accepts it ({why})")
        i = next(i for i, v in enumerate(results) if _RANK[v.verdict] == b)
        m, v = t.members[i], results[i]
        if b == 0:
            return Verdict(COMPATIBLE, None, f"{s} → {t} is compatible (as union member {m})")
        return Verdict(CONVERTIBLE, v.conversion, f"union member {m}: {v.reason}")

    def _sequences(self, s: Type, t: Type, sk: str, tk: str, ctx: _Ctx) -> Verdict:
        if tk == "fixed":
            if sk != "fixed":
                return Verdict(
                    INCOMPATIBLE,
                    None,
                    f"{s} → {t} is incompatible: a {_SEQ_NOUN[sk]} never goes to a fixed-length tuple (its length is unknown)",
                )
            if len(s.items) != len(t.items):  # type: ignore[union-attr]
                return Verdict(
                    INCOMPATIBLE,
                    None,
                    f"{s} → {t} is incompatible: tuple lengths differ ({len(s.items)} → {len(t.items)})",  # type: ignore[union-attr]
                )
            parts = [(f"tuple item {i}", self._check(a, b, ctx)) for i, (a, b) in enumerate(zip(s.items, t.items))]  # type: ignore[union-attr]
            return self._combine(s, t, None, parts)
        container = None
        if not (sk == tk or (sk == "fixed" and tk == "tuple")):
            conv = _SEQ_CONV[tk]
            container = Verdict(CONVERTIBLE, conv, f"{s} → {t} is convertible with {conv}")
        titem = t.items[0] if tk == "tuple" else t.item  # type: ignore[union-attr]
        if sk == "fixed":
            parts = [(f"tuple item {i}", self._check(a, titem, ctx)) for i, a in enumerate(s.items)]  # type: ignore[union-attr]
        else:
            sitem = s.items[0] if sk == "tuple" else s.item  # type: ignore[union-attr]
            parts = [(f"{'tuple' if sk == 'tuple' else sk} element", self._check(sitem, titem, ctx))]
        return self._combine(s, t, container, parts)

    def _custom(self, s: Type, t: Type, ctx: _Ctx) -> Verdict | None:
        reg = self.custom
        sc, tc = s.__class__, t.__class__
        if sc is CustomT and tc is CustomT:
            a, b = reg.get(s.name), reg.get(t.name)  # type: ignore[union-attr]
            if a is None or b is None:
                return None
            parts: list[tuple[str, Verdict]] = []
            for f, ft in b.fields.items():
                where = f"field {f!r}"
                if f in b.required:
                    if f not in a.fields:
                        parts.append((where, Verdict(INCOMPATIBLE, None, f"required by {t} but missing from {s}")))
                        continue
                    if f not in a.required:
                        parts.append((where, Verdict(INCOMPATIBLE, None, f"required by {t} but optional in {s}")))
                        continue
                if f in a.fields:
                    parts.append((where, self._check(a.fields[f], ft, ctx)))
            return self._combine(s, t, None, parts)
        if sc is CustomT and tc is DictT:
            a = reg.get(s.name)  # type: ignore[union-attr]
            if a is None:
                return None
            k = t.key  # type: ignore[union-attr]
            if not (k.__class__ is Scalar and k.name in ("str", "Any")):
                return Verdict(INCOMPATIBLE, None, f"{s} → {t} is incompatible: a record's keys are str, the dict's keys are {k}")
            parts = [(f"field {f!r}", self._check(ft, t.value, ctx)) for f, ft in a.fields.items()]  # type: ignore[union-attr]
            return self._combine(s, t, None, parts)
        if sc is DictT and tc is CustomT:
            b = reg.get(t.name)  # type: ignore[union-attr]
            if b is None:
                return None
            k = s.key  # type: ignore[union-attr]
            if not (k.__class__ is Scalar and k.name in ("str", "Any")):
                return Verdict(
                    INCOMPATIBLE, None, f"{s} → {t} is incompatible: only a dict with str (or Any) keys can become a {t} record"
                )
            parts = [(f"field {f!r}", self._check(s.value, b.fields[f], ctx)) for f in b.required]  # type: ignore[union-attr]
            bad = [p for p in parts if p[1].verdict == INCOMPATIBLE]
            if bad:
                return self._combine(s, t, None, bad)
            return Verdict(
                CONVERTIBLE, f"{t}()", f"{s} → {t} is convertible: the dict is validated as {t} when the value arrives"
            )
        return None

    def _leaf(self, s: Type, t: Type) -> Verdict:
        sc, tc = s.__class__, t.__class__
        if sc in _NOMINAL and tc in _NOMINAL and str(s) == str(t):
            # `Foo` parsed from a string is CustomT("Foo"); a signature may call the same plain class
            # OpaqueT("Foo"): one name, one type.
            return Verdict(COMPATIBLE, None, f"{s} → {t} is compatible (same type)")
        m = self.matrix
        if sc is Scalar and tc is Scalar:
            e = m.get((s.name, t.name))  # type: ignore[union-attr]
        elif not self._base_matrix:
            e = m.get((str(s), str(t)))
        else:
            e = None
        if e is not None:
            verdict, conv = e
            if verdict == CONVERTIBLE:
                return Verdict(CONVERTIBLE, conv, f"{s} → {t} is convertible with {conv}")
            if verdict == COMPATIBLE:
                return Verdict(COMPATIBLE, None, f"{s} → {t} is compatible")
        return Verdict(INCOMPATIBLE, None, f"{s} → {t} is incompatible: {self._why_not(s, t)}")

    def _why_not(self, s: Type, t: Type) -> str:
        reg = self.custom
        for x in (s, t):
            if x.__class__ is OpaqueT:
                return f"the opaque type {x} matches only itself and Any"
        for x in (s, t):
            if x.__class__ is CustomT and x.name not in reg:  # type: ignore[union-attr]
                return f"custom type {x} is not defined, so it matches only itself and Any"
        if s.__class__ is Scalar and t.__class__ is Scalar:
            if "None" in (s.name, t.name):  # type: ignore[union-attr]
                return "None matches only None, Any and unions holding None"
            return f"no conversion from {s} to {t}"
        return f"{_describe(s, reg)} cannot be used as {_describe(t, reg)}"


# --------------------------------------------------------------------------------------------------
_DEFAULT = TypeChecker()
_CHECKERS: dict[tuple[Any, Any], TypeChecker] = {}


def checker_for(custom: Mapping[str, CustomTypeDef] | None = None, matrix: Matrix | None = None) -> TypeChecker:
    """A shared memoising checker for this registry and matrix (the same one for equal arguments)."""
    if not custom and (matrix is None or matrix is BASE_MATRIX):
        return _DEFAULT
    reg = as_registry(custom)
    mkey = None if matrix is None or matrix is BASE_MATRIX else frozenset(matrix.items())
    key = (reg, mkey)
    c = _CHECKERS.get(key)
    if c is None:
        if len(_CHECKERS) >= 64:
            _CHECKERS.clear()
        c = _CHECKERS[key] = TypeChecker(reg, matrix)
    return c


def check(
    source: Type | str,
    target: Type | str,
    custom: Mapping[str, CustomTypeDef] | None = None,
    matrix: Matrix | None = None,
) -> Verdict:
    """The SPEC §4 verdict for a value of `source` flowing into `target`. Type strings are parsed
    (with the registry's names as custom types). `matrix` replaces the base matrix (see `matrix.py`)."""
    if custom is None and matrix is None:
        c = _DEFAULT
    else:
        c = checker_for(custom, matrix)
    if isinstance(source, str) or isinstance(target, str):
        from type_system.parse import parse_type

        names = c.custom.names()
        if isinstance(source, str):
            source = parse_type(source, names)
        if isinstance(target, str):
            target = parse_type(target, names)
    return c.check(source, target)
