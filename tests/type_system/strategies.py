"""Hypothesis strategies for the type system: types, values of a type, and (source, target) pairs that
are likely to be compatible or convertible."""

from __future__ import annotations

from datetime import timezone
from functools import lru_cache

from hypothesis import strategies as st

from type_system import (
    ANY,
    BASE_ROWS,
    NONE,
    SCALAR_NAMES,
    STR,
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
    literal,
    load_custom_types,
    union,
)

CUSTOM_JSON = {
    "Point": {"fields": {"x": "float", "y": "float"}, "required": ["x", "y"]},
    "Point3": {"fields": {"x": "float", "y": "float", "z": "float"}, "required": ["x", "y"]},
    "Labelled": {"fields": {"label": "str", "tags": "list[str]", "at": "datetime | None"}, "required": ["label"]},
    "Node": {"fields": {"value": "int", "next": "Node | None"}, "required": ["value"]},
    # twins: the same structures under other names (structural reflexivity)
    "PointB": {"fields": {"x": "float", "y": "float"}, "required": ["x", "y"]},
    "Point3B": {"fields": {"x": "float", "y": "float", "z": "float"}, "required": ["x", "y"]},
    "LabelledB": {"fields": {"label": "str", "tags": "list[str]", "at": "datetime | None"}, "required": ["label"]},
    "NodeB": {"fields": {"value": "int", "next": "NodeB | None"}, "required": ["value"]},
}
REGISTRY = load_custom_types(CUSTOM_JSON)
NAMES = REGISTRY.names()
BASE_CUSTOM = ("Point", "Point3", "Labelled", "Node")
TWIN = {n: n + "B" for n in BASE_CUSTOM}

SCALARS = [Scalar(n) for n in SCALAR_NAMES]
OPAQUE_WITH_VALUES = OpaqueT("datetime.timedelta")

literal_values = st.one_of(
    st.integers(-1000, 1000), st.text(max_size=5), st.booleans(), st.none(), st.binary(max_size=3)
)
literals = st.lists(literal_values, min_size=1, max_size=3).map(lambda vs: literal(*vs))


def _types(with_values_only: bool) -> st.SearchStrategy[Type]:
    opaque = [OPAQUE_WITH_VALUES] if with_values_only else [OPAQUE_WITH_VALUES, OpaqueT("pandas.DataFrame")]
    customs = [CustomT(n) for n in BASE_CUSTOM]
    if not with_values_only:
        customs.append(CustomT("Undefined"))
    leaves = st.one_of(st.sampled_from(SCALARS), literals, st.sampled_from(customs), st.sampled_from(opaque))
    return st.recursive(
        leaves,
        lambda inner: st.one_of(
            st.builds(ListT, inner),
            st.builds(SetT, inner),
            inner.map(lambda t: TupleT((t,), True)),
            st.lists(inner, max_size=3).map(lambda xs: TupleT(tuple(xs))),
            st.builds(DictT, inner, inner),
            st.lists(inner, min_size=2, max_size=3).map(lambda xs: union(*xs)),
        ),
        max_leaves=8,
    )


types = _types(with_values_only=False)
value_types = _types(with_values_only=True)


def rename(t: Type, mapping: dict[str, str] = TWIN) -> Type:
    """The same type with custom names swapped for their structural twins."""
    c = t.__class__
    if c is CustomT:
        return CustomT(mapping.get(t.name, t.name))
    if c is ListT:
        return ListT(rename(t.item, mapping))
    if c is SetT:
        return SetT(rename(t.item, mapping))
    if c is TupleT:
        return TupleT(tuple(rename(i, mapping) for i in t.items), t.variadic)
    if c is DictT:
        return DictT(rename(t.key, mapping), rename(t.value, mapping))
    if c is UnionT:
        return union(*(rename(m, mapping) for m in t.members))
    return t


def contains_any(t: Type, reg=REGISTRY, _seen=None) -> bool:
    _seen = set() if _seen is None else _seen
    c = t.__class__
    if c is Scalar:
        return t.name == "Any"
    if c in (ListT, SetT):
        return contains_any(t.item, reg, _seen)
    if c is TupleT:
        return any(contains_any(i, reg, _seen) for i in t.items)
    if c is DictT:
        return contains_any(t.key, reg, _seen) or contains_any(t.value, reg, _seen)
    if c is UnionT:
        return any(contains_any(m, reg, _seen) for m in t.members)
    if c is CustomT and t.name in reg and t.name not in _seen:
        _seen.add(t.name)
        return any(contains_any(f, reg, _seen) for f in reg[t.name].fields.values())
    return False


# ------------------------------------------------------------------------------------------------
# values of a type

def _strings():
    from hypothesis.strategies import dates, datetimes, decimals, floats, integers, text, uuids

    return st.one_of(
        text(max_size=8),
        integers().map(str),
        floats(allow_nan=False).map(repr),
        decimals(allow_nan=False, allow_infinity=False).map(str),
        dates().map(lambda d: d.isoformat()),
        datetimes().map(lambda d: d.isoformat()),
        uuids().map(str),
    )


SCALAR_VALUES = {
    "int": st.integers(),
    "float": st.floats(),
    "bool": st.booleans(),
    "str": _strings(),
    "bytes": st.one_of(st.binary(max_size=8), st.text(max_size=5).map(str.encode)),
    "None": st.none(),
    "Any": st.one_of(st.none(), st.booleans(), st.integers(), _strings(), st.floats(allow_nan=False)),
    "datetime": st.datetimes(timezones=st.one_of(st.none(), st.just(timezone.utc))),
    "date": st.dates(),
    "Decimal": st.decimals(allow_nan=False),
    "UUID": st.uuids(),
}


def hashable(t: Type) -> bool:
    c = t.__class__
    if c in (ListT, SetT, DictT, CustomT):
        return False
    if c is TupleT:
        return all(hashable(i) for i in t.items)
    if c is UnionT:
        return all(hashable(m) for m in t.members)
    return True


@lru_cache(maxsize=None)
def values_of(t: Type) -> st.SearchStrategy:
    """Values that are valid for `t` (custom types against REGISTRY)."""
    c = t.__class__
    if c is Scalar:
        return SCALAR_VALUES[t.name]
    if c is LiteralT:
        return st.sampled_from(t.values)
    if c is ListT:
        return st.lists(values_of(t.item), max_size=3)
    if c is SetT:
        return st.sets(values_of(t.item), max_size=3) if hashable(t.item) else st.just(set())
    if c is TupleT:
        if t.variadic:
            return st.lists(values_of(t.items[0]), max_size=3).map(tuple)
        return st.tuples(*(values_of(i) for i in t.items))
    if c is DictT:
        if not hashable(t.key):
            return st.just({})
        return st.dictionaries(values_of(t.key), values_of(t.value), max_size=3)
    if c is UnionT:
        return st.one_of(*(values_of(m) for m in t.members))
    if c is CustomT:
        d = REGISTRY[t.name]
        return st.deferred(
            lambda: st.fixed_dictionaries(
                {f: values_of(ft) for f, ft in d.fields.items() if f in d.required},
                optional={f: values_of(ft) for f, ft in d.fields.items() if f not in d.required},
            )
        )
    if t == OPAQUE_WITH_VALUES:
        return st.timedeltas()
    raise ValueError(f"no values for {t}")


# ------------------------------------------------------------------------------------------------
# related pairs: a target derived from a source, mostly compatible or convertible

_REACH: dict[str, list[str]] = {}
for _s, _t, _v, _c in BASE_ROWS:
    _REACH.setdefault(_s, []).append(_t)
_KINDS = (ListT, SetT, "vtuple")


def _in_kind(kind, item: Type) -> Type:
    return TupleT((item,), True) if kind == "vtuple" else kind(item)


def _value_type_of_literal(v) -> Type:
    return {int: Scalar("int"), bool: Scalar("bool"), str: STR, bytes: Scalar("bytes"), type(None): NONE}[type(v)]


def related(t: Type) -> st.SearchStrategy[Type]:
    c = t.__class__
    if c is Scalar:
        base = st.sampled_from([t, *(Scalar(n) for n in _REACH.get(t.name, []))])
    elif c is LiteralT:
        vtypes = [_value_type_of_literal(v) for v in t.values]
        base = st.one_of(
            st.just(t),
            st.just(union(*vtypes)),
            literals.map(lambda other: literal(*t.values, *other.values)),
            st.sampled_from(vtypes).flatmap(related),
        )
    elif c in (ListT, SetT) or (c is TupleT and t.variadic):
        item = t.items[0] if c is TupleT else t.item
        base = st.tuples(st.sampled_from(_KINDS), related(item)).map(lambda p: _in_kind(*p))
    elif c is TupleT:
        fixed = st.tuples(*(related(i) for i in t.items)).map(TupleT)
        if t.items:
            spread = st.tuples(
                st.sampled_from(_KINDS), st.tuples(*(related(i) for i in t.items)).map(lambda xs: union(*xs))
            ).map(lambda p: _in_kind(*p))
            base = st.one_of(fixed, spread)
        else:
            base = st.one_of(fixed, st.sampled_from(_KINDS).map(lambda k: _in_kind(k, ANY)))
    elif c is DictT:
        base = st.builds(DictT, related(t.key), related(t.value))
        if t.key in (STR, ANY):
            base = st.one_of(base, st.sampled_from([CustomT(n) for n in BASE_CUSTOM]))
    elif c is UnionT:
        base = st.tuples(*(related(m) for m in t.members)).map(lambda xs: union(*xs))
    elif c is CustomT:
        d = REGISTRY.get(t.name)
        field_types = list(d.fields.values()) if d else [ANY]
        base = st.one_of(
            st.sampled_from([CustomT(n) for n in NAMES]),
            st.tuples(st.sampled_from([STR, ANY]), st.sampled_from(field_types).flatmap(related)).map(
                lambda p: DictT(p[0], union(*field_types, p[1]))
            ),
        )
    else:
        base = st.just(t)
    return st.one_of(
        base,
        base.map(lambda x: union(x, NONE)),
        st.tuples(base, value_types).map(lambda p: union(p[1], p[0])),
        st.just(ANY),
    )
