"""SPEC §4 rules 1–8, reasons, recursion, memoisation, and properties of the verdicts."""

import json
import threading

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import NAMES, REGISTRY, rename, types

from type_system import (
    ANY,
    CustomTypeDef,
    LiteralT,
    UnionT,
    union,
    TypeChecker,
    Verdict,
    check,
    load_custom_types,
    parse_type,
)

CUSTOM = load_custom_types(
    {
        "Point": {"fields": {"x": "float", "y": "float"}, "required": ["x", "y"]},
        "IntPoint": {"fields": {"x": "int", "y": "int"}, "required": ["x", "y"]},
        "Point3": {"fields": {"x": "float", "y": "float", "z": "float"}, "required": ["x", "y", "z"]},
        "MaybeZ": {"fields": {"x": "float", "y": "float", "z": "float"}, "required": ["x", "y"]},
        "StrPoint": {"fields": {"x": "str", "y": "float"}, "required": ["x", "y"]},
        "OnlyX": {"fields": {"x": "float"}, "required": ["x"]},
        "Named": {"fields": {"name": "str", "at": "list[Point]"}, "required": ["name"]},
        "Tree": {"fields": {"value": "int", "children": "list[Tree]"}, "required": ["value", "children"]},
        "FTree": {"fields": {"value": "float", "children": "list[FTree]"}, "required": ["value", "children"]},
        "STree": {"fields": {"value": "str", "children": "list[STree]"}, "required": ["value", "children"]},
        "A": {"fields": {"b": "B | None", "n": "int"}, "required": ["n"]},
        "B": {"fields": {"a": "A | None", "n": "int"}, "required": ["n"]},
    }
)


def v(src: str, tgt: str) -> Verdict:
    names = CUSTOM.names()
    return check(parse_type(src, names), parse_type(tgt, names), CUSTOM)


# (source, target, verdict, conversion, a fragment of the reason)
RULES = {
    "rule 1: equal, target Any, source Any": [
        ("int", "int", "compatible", None, "same type"),
        ("list[dict[str, int | None]]", "list[dict[str, int | None]]", "compatible", None, "same type"),
        ("pandas.DataFrame", "Any", "compatible", None, "takes anything"),
        ("list[int]", "Any", "compatible", None, ""),
        ("Any", "int", "compatible", None, "checked when it arrives"),
        ("Any", "Point", "compatible", None, ""),
        ("list[Any]", "list[int]", "compatible", None, ""),
        ("Point", "Point", "compatible", None, "same type"),
        ("Undefined", "Undefined", "compatible", None, "same type"),
    ],
    "rule 2: Literal": [
        ("Literal['a', 'b']", "str", "compatible", None, ""),
        ("Literal['a', 'b']", "Literal['b', 'a', 'c']", "compatible", None, "among"),
        ("Literal['a', 'c']", "Literal['a', 'b']", "incompatible", None, "value 'c' not among"),
        ("Literal[1]", "Literal[True]", "incompatible", None, "value 1 not among"),
        ("Literal[True]", "Literal[1]", "incompatible", None, "value True"),
        ("Literal[1, 2]", "float", "compatible", None, ""),
        ("Literal[True]", "int", "compatible", None, ""),
        ("Literal['1']", "int", "convertible", "int()", "Literal value '1': str → int is convertible with int()"),
        ("Literal[1, 'a']", "int", "convertible", "int()", "Literal value 'a'"),
        ("Literal[1, b'x']", "int", "incompatible", None, "Literal value b'x': bytes → int is incompatible"),
        ("Literal[None]", "None", "compatible", None, ""),
        ("Literal['a'] | None", "str | None", "compatible", None, ""),
        ("Literal['a']", "Literal['a'] | None", "compatible", None, "union member Literal['a']"),
        ("Literal[1, 'a']", "int | str", "compatible", None, ""),
        ("Literal['a', 'b']", "Literal['a'] | Literal['b']", "compatible", None, ""),
        ("Literal['a', 'z']", "Literal['a'] | Literal['b']", "incompatible", None, "Literal value 'z'"),
        ("str", "Literal['a']", "incompatible", None, "only a Literal"),
        ("int", "Literal[1, 2]", "incompatible", None, "only a Literal"),
        ("Any", "Literal[1]", "compatible", None, ""),
        ("Literal['a'] | Literal['b']", "Literal['a', 'b']", "compatible", None, ""),
    ],
    "rule 3: union source": [
        ("int | bool", "float", "compatible", None, ""),
        ("int | str", "float", "convertible", "float()", "union member str: str → float is convertible with float()"),
        ("int | bytes", "float", "incompatible", None, "union member bytes: bytes → float is incompatible"),
        ("int | None", "int", "incompatible", None, "union member None"),
        ("str | Decimal", "int", "convertible", "int()", "union member str"),
        ("int | str", "int | str", "compatible", None, "same type"),
        ("str | int", "int | str", "compatible", None, ""),
    ],
    "rule 4: union target": [
        ("int", "int | None", "compatible", None, "as union member int"),
        ("str", "int | float", "convertible", "int()", "union member int"),
        ("str", "float | int", "convertible", "float()", "union member float"),
        ("str", "bool | int", "convertible", "int()", "union member int"),
        ("int", "str | float", "compatible", None, "as union member float"),
        ("bytes", "int | float", "incompatible", None, "no union member accepts it"),
        ("int | str", "float | None", "convertible", "float()", ""),
        ("int | None", "float | None", "compatible", None, ""),
        ("list[str]", "list[int] | set[str]", "convertible", "int()", "union member list[int]"),
    ],
    "rule 5: list, set, tuple": [
        ("list[int]", "list[float]", "compatible", None, ""),
        ("set[bool]", "set[int]", "compatible", None, ""),
        ("tuple[int, ...]", "tuple[float, ...]", "compatible", None, ""),
        ("list[int]", "set[int]", "convertible", "set()", "is convertible with set()"),
        ("set[int]", "list[int]", "convertible", "list()", ""),
        ("list[int]", "tuple[int, ...]", "convertible", "tuple()", ""),
        ("tuple[int, ...]", "set[int]", "convertible", "set()", ""),
        ("tuple[int, ...]", "list[int]", "convertible", "list()", ""),
        ("list[str]", "list[bool]", "incompatible", None, "list element: str → bool is incompatible"),
        ("list[str]", "list[int]", "convertible", "int()", "list element: str → int is convertible with int()"),
        ("list[str]", "set[bool]", "incompatible", None, "list element: str → bool"),
        ("list[str]", "set[int]", "convertible", "set()", "list element: str → int"),
        ("set[str]", "set[int]", "convertible", "int()", "set element"),
        ("tuple[int, str]", "tuple[float, str]", "compatible", None, ""),
        ("tuple[int, str]", "tuple[int, int]", "convertible", "int()", "tuple item 1: str → int"),
        ("tuple[int, bytes]", "tuple[int, int]", "incompatible", None, "tuple item 1: bytes → int"),
        ("tuple[int, str]", "tuple[int]", "incompatible", None, "lengths differ (2 → 1)"),
        ("tuple[int, bool]", "tuple[float, ...]", "compatible", None, ""),
        ("tuple[int, str]", "tuple[int, ...]", "convertible", "int()", "tuple item 1"),
        ("tuple[int, int]", "list[int]", "convertible", "list()", ""),
        ("tuple[int, int]", "set[float]", "convertible", "set()", ""),
        ("tuple[()]", "tuple[int, ...]", "compatible", None, ""),
        ("tuple[()]", "list[int]", "convertible", "list()", ""),
        ("list[int]", "tuple[int, int]", "incompatible", None, "a list never goes to a fixed-length tuple"),
        ("set[int]", "tuple[int]", "incompatible", None, "a set never goes"),
        ("tuple[int, ...]", "tuple[int, int]", "incompatible", None, "never goes to a fixed-length tuple"),
        ("list[int]", "dict[int, int]", "incompatible", None, "a list cannot be used as a dict"),
        ("str", "list[str]", "incompatible", None, "a str cannot be used as a list"),
        ("list[list[str]]", "list[list[bool]]", "incompatible", None, "list element: list element: str → bool"),
    ],
    "rule 6: dict": [
        ("dict[str, int]", "dict[str, float]", "compatible", None, ""),
        ("dict[str, int]", "dict[str, str]", "convertible", "str()", "dict value: int → str"),
        ("dict[str, int]", "dict[int, int]", "convertible", "int()", "dict key: str → int"),
        ("dict[str, int]", "dict[bool, int]", "incompatible", None, "dict key: str → bool is incompatible"),
        ("dict[str, bytes]", "dict[str, int]", "incompatible", None, "dict value: bytes → int"),
        ("dict[str, str]", "dict[int, float]", "convertible", "int()", "dict key"),
    ],
    "rule 7: custom types": [
        ("IntPoint", "Point", "compatible", None, ""),
        ("Point", "IntPoint", "convertible", "int()", "field 'x': float → int is convertible with int()"),
        ("Point3", "Point", "compatible", None, ""),
        ("Point", "Point3", "incompatible", None, "field 'z': required by Point3 but missing from Point"),
        ("Point", "MaybeZ", "compatible", None, ""),
        ("MaybeZ", "Point3", "incompatible", None, "field 'z': required by Point3 but optional in MaybeZ"),
        ("MaybeZ", "Point", "compatible", None, ""),
        ("StrPoint", "Point", "convertible", "float()", "field 'x': str → float"),
        ("Point", "OnlyX", "compatible", None, ""),
        ("OnlyX", "Point", "incompatible", None, "field 'y': required by Point but missing from OnlyX"),
        ("Point", "dict[str, float]", "compatible", None, ""),
        ("Point", "dict[Any, Any]", "compatible", None, ""),
        ("Point", "dict[str, int]", "convertible", "int()", "field 'x': float → int"),
        ("Named", "dict[str, str]", "incompatible", None, "field 'at': list[Point] → str is incompatible"),
        ("Point", "dict[int, float]", "incompatible", None, "keys"),
        ("dict[str, float]", "Point", "convertible", "Point()", "validated as Point when the value arrives"),
        ("dict[str, int]", "Point", "convertible", "Point()", ""),
        ("dict[Any, Any]", "Point", "convertible", "Point()", ""),
        ("dict[str, Any]", "Named", "convertible", "Named()", ""),
        ("dict[str, bytes]", "Point", "incompatible", None, "field 'x': bytes → float is incompatible"),
        ("dict[int, float]", "Point", "incompatible", None, "str (or Any) keys"),
        ("Tree", "FTree", "compatible", None, ""),
        ("FTree", "Tree", "convertible", "int()", "field 'value': float → int"),
        ("Tree", "STree", "convertible", "str()", "field 'value': int → str"),
        ("STree", "Tree", "convertible", "int()", ""),
        ("A", "B", "compatible", None, ""),
        ("list[Point]", "list[dict[str, float]]", "compatible", None, ""),
        ("Point | None", "OnlyX | None", "compatible", None, ""),
        ("Point", "str", "incompatible", None, "a Point record cannot be used as a str"),
        ("Undefined", "Point", "incompatible", None, "custom type Undefined is not defined"),
        ("Point", "Other", "incompatible", None, "custom type Other is not defined"),
    ],
    "rule 8: opaque and None": [
        ("pandas.DataFrame", "pandas.DataFrame", "compatible", None, ""),
        ("pandas.DataFrame", "numpy.ndarray", "incompatible", None, "the opaque type pandas.DataFrame matches only itself and Any"),
        ("pandas.DataFrame", "dict[str, Any]", "incompatible", None, "opaque"),
        ("dict[str, Any]", "pandas.DataFrame", "incompatible", None, "opaque"),
        ("str", "datetime.timedelta", "incompatible", None, "opaque"),
        ("pandas.DataFrame", "pandas.DataFrame | None", "compatible", None, ""),
        ("None", "None", "compatible", None, ""),
        ("None", "Any", "compatible", None, ""),
        ("None", "int | None", "compatible", None, ""),
        ("None", "int", "incompatible", None, "None matches only None, Any and unions holding None"),
        ("None", "str", "incompatible", None, "None matches only"),
        ("int", "None", "incompatible", None, "None matches only"),
        ("None", "list[int]", "incompatible", None, ""),
    ],
}

CASES = [pytest.param(*case, id=f"{rule.split(':')[0]}: {case[0]} → {case[1]}") for rule, cases in RULES.items() for case in cases]


@pytest.mark.parametrize("src,tgt,verdict,conversion,fragment", CASES)
def test_rules(src, tgt, verdict, conversion, fragment):
    got = v(src, tgt)
    assert (got.verdict, got.conversion) == (verdict, conversion), got.reason
    assert fragment in got.reason


def test_dict_to_custom_considers_required_fields_only():
    # `at` (optional) would be list[Point] ← str: incompatible, but only required fields count
    assert v("dict[str, str]", "Named").verdict == "convertible"


def test_verdict_json_is_exactly_the_spec_shape():
    got = v("str", "float")
    j = got.to_json()
    assert list(j) == ["verdict", "conversion", "reason"]
    assert j == {"verdict": "convertible", "conversion": "float()", "reason": "str → float is convertible with float()"}
    assert json.loads(json.dumps(j)) == j


def test_order_of_verdicts():
    assert [Verdict(x, None, "").rank for x in ("compatible", "convertible", "incompatible")] == [0, 1, 2]
    assert Verdict("convertible", "int()", "").ok and not Verdict("incompatible", None, "").ok


def test_reasons_locate_nested_problems():
    got = v("dict[str, list[Point]]", "dict[str, list[Point3]]")
    assert got.verdict == "incompatible"
    assert got.reason == "dict value: list element: field 'z': required by Point3 but missing from Point"
    got = v("list[int | bytes]", "list[float]")
    assert got.reason.startswith("list element: union member bytes: bytes → float is incompatible")


def test_check_accepts_strings_and_a_plain_dict_registry():
    plain = {"P": CustomTypeDef({"x": parse_type("int")}, ("x",))}
    assert check("P", "dict[str, float]", plain).verdict == "compatible"
    assert check("list[str]", "list[int]").conversion == "int()"


def test_registries_do_not_share_memoised_results():
    a = {"P": CustomTypeDef({"x": parse_type("int")}, ("x",))}
    b = {"P": CustomTypeDef({"x": parse_type("bytes")}, ("x",))}
    assert check("P", "dict[str, float]", a).verdict == "compatible"
    assert check("P", "dict[str, float]", b).verdict == "incompatible"
    assert check("P", "dict[str, float]", a).verdict == "compatible"


def test_memo_returns_the_same_result_and_unmemoised_agrees():
    c = TypeChecker(CUSTOM)
    s, t = parse_type("list[Tree]", CUSTOM.names()), parse_type("set[STree]", CUSTOM.names())
    first = c.check(s, t)
    assert c.check(s, t) is first
    assert TypeChecker(CUSTOM, memo=False).check(s, t) == first


def test_recursion_guard_does_not_poison_the_memo():
    # Inside A → B the pair (A, B) is assumed compatible while (B's field a: A | None → A | None) is
    # compared; results computed under that assumption are not memoised on their own.
    reg = load_custom_types(
        {
            "L": {"fields": {"next": "L | None", "v": "int"}, "required": ["v"]},
            "M": {"fields": {"next": "M | None", "v": "bytes"}, "required": ["v"]},
        }
    )
    c = TypeChecker(reg)
    got = c.check(parse_type("L", reg.names()), parse_type("M", reg.names()))
    assert got.verdict == "incompatible" and "field 'v': int → bytes" in got.reason
    inner = c.check(parse_type("L | None", reg.names()), parse_type("M | None", reg.names()))
    assert inner.verdict == "incompatible"


def test_thread_safety_of_a_shared_checker():
    c = TypeChecker(CUSTOM)
    pairs = [(parse_type(a, CUSTOM.names()), parse_type(b, CUSTOM.names())) for a, b, *_ in RULES["rule 7: custom types"]]
    expected = [TypeChecker(CUSTOM, memo=False).check(a, b) for a, b in pairs]
    errors = []

    def run():
        for _ in range(20):
            for (a, b), want in zip(pairs, expected):
                if c.check(a, b).verdict != want.verdict:
                    errors.append((a, b))
            c.clear()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert not errors


# ------------------------------------------------------------------------------------------------
# properties


@settings(max_examples=300)
@given(types)
def test_every_type_is_compatible_with_itself(t):
    assert check(t, t, REGISTRY).verdict == "compatible"


@settings(max_examples=300)
@given(types)
def test_every_type_is_compatible_with_its_structural_twin(t):
    # the twin has the same structure under other custom names, so rule 1's equality does not apply
    # and the verdict comes from the structural rules (unions, Literals, containers, records, recursion)
    twin = rename(t)
    assert check(t, twin, REGISTRY).verdict == "compatible"
    assert check(twin, t, REGISTRY).verdict == "compatible"


@settings(max_examples=300)
@given(types, types, types)
def test_union_source_is_its_worst_member_and_union_target_its_best(a, b, t):
    c = TypeChecker(REGISTRY, memo=False)
    u = union(a, b)
    if isinstance(u, UnionT) and u != t and t != ANY:
        assert c.check(u, t).rank == max(c.check(m, t).rank for m in u.members)
    if isinstance(u, UnionT) and t != u and t != ANY and not isinstance(t, (UnionT, LiteralT)):
        per_member = [c.check(t, m) for m in u.members]
        got = c.check(t, u)
        assert got.rank == min(x.rank for x in per_member)
        if got.verdict == "convertible":
            assert got.conversion == next(x.conversion for x in per_member if x.verdict == "convertible")


@settings(max_examples=200)
@given(types, types)
def test_memoised_and_fresh_checkers_agree(a, b):
    assert TypeChecker(REGISTRY).check(a, b) == TypeChecker(REGISTRY, memo=False).check(a, b)
    c = TypeChecker(REGISTRY)
    c.check(b, a)
    assert c.check(a, b) == TypeChecker(REGISTRY, memo=False).check(a, b)


@given(st.sampled_from(sorted(NAMES)), st.sampled_from(sorted(NAMES)))
def test_custom_pairs_never_crash_and_give_located_reasons(a, b):
    got = check(parse_type(a, NAMES), parse_type(b, NAMES), REGISTRY)
    assert got.verdict in ("compatible", "convertible", "incompatible")
    if got.verdict != "compatible":
        assert "field '" in got.reason


def test_an_undefined_custom_name_and_an_opaque_name_are_one_nominal_type():
    from type_system import CustomT, OpaqueT

    # `Foo` read back from a string is CustomT("Foo"); a signature may name the plain class OpaqueT("Foo")
    assert check(CustomT("Foo"), OpaqueT("Foo")).verdict == "compatible"
    assert check(OpaqueT("Foo"), CustomT("Foo")).verdict == "compatible"
    assert check(OpaqueT("Foo"), CustomT("Bar")).verdict == "incompatible"
    assert check(OpaqueT("a.Foo"), OpaqueT("b.Foo")).verdict == "incompatible"
