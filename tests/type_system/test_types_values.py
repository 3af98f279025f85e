"""Values against types: validate, convert along verdicts, coerce run inputs."""

import datetime as dt
import uuid
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from strategies import REGISTRY, contains_any, related, value_types, values_of

from type_system import (
    TypeChecker,
    ValueValidationError,
    coerce,
    convert,
    is_valid,
    load_custom_types,
    matrix_from_rows,
    parse_type,
    register_conversion,
    type_of_value,
    validate,
)
from type_system.matrix import BASE_MATRIX

CUSTOM = load_custom_types(
    {
        "Point": {"fields": {"x": "float", "y": "float"}, "required": ["x", "y"]},
        "Shape": {"fields": {"name": "str", "points": "list[Point]", "kind": "Literal['a', 'b']"}, "required": ["name"]},
    }
)
N = CUSTOM.names()


def T(s: str):
    return parse_type(s, N)


UID = uuid.UUID("12345678-1234-5678-1234-567812345678")

VALID = [
    (1, "int"),
    (True, "int"),  # bool → int is compatible, so a bool is a valid int
    (True, "float"),
    (3, "float"),
    (2.5, "float"),
    ("s", "str"),
    (b"b", "bytes"),
    (None, "None"),
    (None, "int | None"),
    (object(), "Any"),
    (dt.datetime(2024, 1, 2, 3, 4, 5), "datetime"),
    (dt.date(2024, 1, 2), "date"),
    (Decimal("1.5"), "Decimal"),
    (UID, "UUID"),
    ([1, 2], "list[int]"),
    ([], "list[bytes]"),
    ({1, 2}, "set[int]"),
    (frozenset({"a"}), "set[str]"),
    ((1, "a"), "tuple[int, str]"),
    ((), "tuple[()]"),
    ((1, 2, 3), "tuple[int, ...]"),
    ({"a": [1]}, "dict[str, list[int]]"),
    ("a", "Literal['a', 'b']"),
    (1, "Literal[1]"),
    ({"x": 1.0, "y": 2}, "Point"),
    ({"x": 1.0, "y": 2, "extra": "kept"}, "Point"),  # records are open
    ({"name": "n", "points": [{"x": 1, "y": 2}]}, "Shape"),
    ([{"x": 1, "y": 2}, None], "list[Point | None]"),
    (dt.timedelta(1), "datetime.timedelta"),
    ([1, "a", None], "list[int | str | None]"),
]

INVALID = [
    ("1", "int", "value: expected int, got str"),
    (1.0, "int", "value: expected int, got float"),
    (1, "bool", "value: expected bool, got int"),
    (1, "Decimal", "value: expected Decimal, got int"),
    (dt.datetime(2024, 1, 2), "date", "value: expected date, got datetime"),
    (dt.date(2024, 1, 2), "datetime", "value: expected datetime, got date"),
    ("00000000-0000-0000-0000-000000000000", "UUID", "expected UUID, got str"),
    (bytearray(b"x"), "bytes", "expected bytes, got bytearray"),
    ([1, "a"], "list[int]", "value[1]: expected int, got str"),
    ((1, 2), "list[int]", "value: expected list[int], got tuple"),
    ([1, 2], "tuple[int, int]", "value: expected tuple[int, int], got list"),
    ((1,), "tuple[int, int]", "expected tuple[int, int] (2 items), got a tuple of 1"),
    ((1, "x"), "tuple[int, ...]", "value[1]: expected int, got str"),
    ({1, "x"}, "set[int]", "value{'x'}: expected int, got str"),
    ({"a": 1, 2: 2}, "dict[str, int]", "value[2]: key: expected str, got int"),
    ({"a": "b"}, "dict[str, int]", "value['a']: expected int, got str"),
    ("c", "Literal['a', 'b']", "value: expected one of Literal['a', 'b'], got 'c'"),
    (True, "Literal[1]", "expected one of Literal[1], got True"),
    ([], "Literal[1]", "expected one of Literal[1], got []"),
    ({"x": 1.0}, "Point", "value: missing required field 'y' of Point"),
    ({"x": 1.0, "y": "2"}, "Point", "value.y: expected float, got str"),
    ([1, 2], "Point", "value: expected a Point record (a dict), got list"),
    ({"name": "n", "points": [{"x": 1, "y": None}]}, "Shape", "value.points[0].y: expected float, got None"),
    ({"name": "n", "kind": "z"}, "Shape", "value.kind: expected one of Literal['a', 'b'], got 'z'"),
    ({"x": 1.0, "y": "a"}, "Point | None", "value.y: expected float, got str"),
    (1.5, "int | str", "value: expected int | str, got float"),
    ({}, "Undefined", "custom type Undefined is not defined"),
    ("x", "datetime.timedelta", "expected datetime.timedelta, got str"),
]


@pytest.mark.parametrize("value,t", VALID)
def test_valid_values_pass_unchanged(value, t):
    assert validate(value, T(t), CUSTOM) is value
    assert is_valid(value, T(t), CUSTOM)


@pytest.mark.parametrize("value,t,message", INVALID)
def test_invalid_values_name_the_path(value, t, message):
    with pytest.raises(ValueValidationError) as info:
        validate(value, T(t), CUSTOM)
    assert message in str(info.value)
    assert str(info.value) == f"{info.value.path}: {info.value.message}"
    assert not is_valid(value, T(t), CUSTOM)


def test_the_path_root_is_the_callers():
    with pytest.raises(ValueValidationError) as info:
        validate([1, "x"], T("list[int]"), path="values")
    assert str(info.value) == "values[1]: expected int, got str"
    assert info.value.path == "values[1]"
    with pytest.raises(ValueValidationError) as info:
        validate({"x": 1, "y": "no"}, T("Point"), CUSTOM, path="point")
    assert str(info.value) == "point.y: expected float, got str"


# ------------------------------------------------------------------------------------------------
# convert: each named conversion of the matrix, applied

CONVERSIONS = [
    (2.9, "float", "int", 2),
    (Decimal("7.0"), "Decimal", "int", 7),
    ("42", "str", "int", 42),
    ("2.5", "str", "float", 2.5),
    (Decimal("0.5"), "Decimal", "float", 0.5),
    (3, "int", "Decimal", Decimal(3)),
    (0.1, "float", "Decimal", Decimal("0.1")),
    (" 1.10 ", "str", "Decimal", Decimal("1.10")),
    (5, "int", "str", "5"),
    (0.5, "float", "str", "0.5"),
    (True, "bool", "str", "True"),
    (Decimal("1.10"), "Decimal", "str", "1.10"),
    (UID, "UUID", "str", str(UID)),
    (dt.date(2024, 1, 2), "date", "str", "2024-01-02"),
    (dt.datetime(2024, 1, 2, 3, 4, 5), "datetime", "str", "2024-01-02T03:04:05"),
    ("2024-01-02T03:04:05", "str", "datetime", dt.datetime(2024, 1, 2, 3, 4, 5)),
    ("2024-01-02", "str", "date", dt.date(2024, 1, 2)),
    (dt.datetime(2024, 1, 2, 3, 4, 5), "datetime", "date", dt.date(2024, 1, 2)),
    (str(UID), "str", "UUID", UID),
    (b"caf\xc3\xa9", "bytes", "str", "café"),
    ("café", "str", "bytes", b"caf\xc3\xa9"),
    # containers and structure
    ([1, 2, 2], "list[int]", "set[int]", {1, 2}),
    ({3}, "set[int]", "list[str]", ["3"]),
    ([1, 2], "list[int]", "tuple[int, ...]", (1, 2)),
    ((1, "2"), "tuple[int, str]", "list[int]", [1, 2]),
    ((1, "2"), "tuple[int, str]", "tuple[float, int]", (1, 2)),
    ((), "tuple[()]", "set[int]", set()),
    ({"1": "2"}, "dict[str, str]", "dict[int, float]", {1: 2.0}),
    (["1", 2, None], "list[str | int | None]", "list[int | None]", [1, 2, None]),
    ({"x": "1", "y": 2}, "dict[str, str | int]", "Point", {"x": 1.0, "y": 2}),
    ({"x": 1.5, "y": 2.5}, "Point", "dict[str, str]", {"x": "1.5", "y": "2.5"}),
    ({"name": "n", "points": [{"x": 1, "y": 2}]}, "Shape", "dict[str, Any]", {"name": "n", "points": [{"x": 1, "y": 2}]}),
    ("a", "Literal['a']", "str", "a"),
    ("7", "Literal['7']", "int", 7),
    ("3", "Any", "int", 3),
    ([1], "Any", "list[str]", ["1"]),
    ("x", "str", "str | None", "x"),
    ("1.5", "str", "int | float", 1.5),  # int("1.5") fails, the next convertible member takes it
    (dt.datetime(2024, 1, 2), "datetime", "date | str", dt.date(2024, 1, 2)),
]


@pytest.mark.parametrize("value,source,target,expected", CONVERSIONS)
def test_convert_applies_the_named_conversions(value, source, target, expected):
    out = convert(value, T(source), T(target), CUSTOM)
    assert out == expected and type(out) is type(expected)
    assert is_valid(out, T(target), CUSTOM)


def test_convert_leaves_compatible_values_alone():
    v = [1, True]
    assert convert(v, T("list[int]"), T("list[float]")) is v
    p = {"x": 1, "y": 2}
    assert convert(p, T("Point"), T("dict[str, float]"), CUSTOM) is p


CONVERT_FAILURES = [
    ("abc", "str", "int", "value: cannot convert 'abc' to int with int()"),
    (float("nan"), "float", "int", "cannot convert nan to int with int()"),
    (float("inf"), "float", "Decimal", None),  # Decimal('Infinity') is fine: no failure
    ("x", "str", "Decimal", "cannot convert 'x' to Decimal with Decimal()"),
    ("2024-13-01", "str", "date", "cannot convert '2024-13-01' to date with date.fromisoformat()"),
    ("nope", "str", "UUID", "with UUID()"),
    (b"\xff", "bytes", "str", "with bytes.decode()"),
    (["1", "x"], "list[str]", "list[int]", "value[1]: cannot convert 'x' to int"),
    ({"a": "x"}, "dict[str, str]", "dict[str, float]", "value['a']: cannot convert 'x' to float"),
    ({"x": "1"}, "dict[str, str]", "Point", "value: missing required field 'y' of Point"),
    ({"x": "1", "y": "q"}, "dict[str, str]", "Point", "value.y: cannot convert 'q' to float"),
    ([[1], [2]], "list[list[int]]", "set[list[int]]", "cannot convert to set[list[int]] with set()"),
    ("abc", "str", "int | float", "value: cannot convert 'abc' to int with int()"),
    ([1, 2], "list[int]", "tuple[int, int]", "never becomes a fixed-length tuple"),
    (b"x", "bytes", "int", "expected int, got bytes"),
    ("z", "Literal['a'] | str", "Literal['a']", "expected one of Literal['a'], got 'z'"),
]


@pytest.mark.parametrize("value,source,target,message", CONVERT_FAILURES)
def test_failed_conversions_raise_with_a_path(value, source, target, message):
    if message is None:
        assert convert(value, T(source), T(target)) == Decimal("Infinity")
        return
    with pytest.raises(ValueValidationError) as info:
        convert(value, T(source), T(target), CUSTOM)
    assert message in str(info.value)


def test_conversions_of_an_extended_matrix_can_be_registered():
    m = matrix_from_rows([("datetime.timedelta", "float", "convertible", "td.seconds()")], base=BASE_MATRIX)
    with pytest.raises(ValueValidationError, match="no implementation for the conversion 'td.seconds\\(\\)'"):
        convert(dt.timedelta(seconds=3), T("datetime.timedelta"), T("float"), matrix=m)
    register_conversion("td.seconds()", lambda v: v.total_seconds())
    assert convert(dt.timedelta(seconds=3), T("datetime.timedelta"), T("float"), matrix=m) == 3.0


# ------------------------------------------------------------------------------------------------
# coerce: run inputs

COERCE = [
    (5, "int", 5),
    (True, "int", True),  # valid as is: unchanged
    ("5", "int", 5),
    (5.7, "int", 5),
    ("5", "int | None", 5),
    (None, "int | None", None),
    (["1", 2], "list[int]", [1, 2]),
    ([1, 2], "set[int]", {1, 2}),
    ([1, 2], "tuple[int, ...]", (1, 2)),
    ({"x": 1, "y": "2.5", "note": [1]}, "Point", {"x": 1, "y": 2.5, "note": [1]}),
    ({"1": ["2024-01-02"]}, "dict[int, list[date]]", {1: [dt.date(2024, 1, 2)]}),
    ("2024-01-02T03:04:05+00:00", "datetime", dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone.utc)),
    ("a", "Literal['a', 'b']", "a"),
    (3, "Any", 3),
    ({"name": "n", "points": [{"x": "1", "y": 2}]}, "Shape", {"name": "n", "points": [{"x": 1.0, "y": 2}]}),
]


@pytest.mark.parametrize("value,t,expected", COERCE)
def test_coerce_accepts_or_converts(value, t, expected):
    out = coerce(value, T(t), CUSTOM)
    assert out == expected and type(out) is type(expected)
    validate(out, T(t), CUSTOM)


COERCE_REFUSED = [
    ("abc", "int", "value: cannot convert 'abc' to int with int()"),
    ("x", "bool", "value: expected bool, got str"),
    ([1, 2], "tuple[int, int]", "never becomes a fixed-length tuple"),
    ({"x": 1}, "Point", "missing required field 'y' of Point"),
    ([1, [2]], "list[int]", "value[1]: expected int, got list"),
    ("c", "Literal['a', 'b']", "expected one of Literal['a', 'b'], got 'c'"),
    (1, "Literal['1']", "expected one of"),
    (None, "int", "expected int, got None"),
    ({"x": 1, "y": [2]}, "Point", "value.y: expected float, got list"),
]


@pytest.mark.parametrize("value,t,message", COERCE_REFUSED)
def test_coerce_refuses_with_a_path(value, t, message):
    with pytest.raises(ValueValidationError) as info:
        coerce(value, T(t), CUSTOM)
    assert message in str(info.value)


@pytest.mark.parametrize(
    "value,expected",
    [
        (1, "int"),
        (True, "bool"),
        ([1, "a", 1], "list[int | str]"),
        ([], "list[Any]"),
        ({}, "dict[Any, Any]"),
        ({"a": None, 1: 2.0}, "dict[str | int, float | None]"),
        ((1, b"x"), "tuple[int, bytes]"),
        ({frozenset()}, "set[set[Any]]"),
        (dt.datetime(2024, 1, 1), "datetime"),
        (dt.timedelta(0), "datetime.timedelta"),
    ],
)
def test_type_of_value(value, expected):
    assert str(type_of_value(value)) == expected


# ------------------------------------------------------------------------------------------------
# properties

pairs = value_types.flatmap(lambda s: st.tuples(st.just(s), related(s)))


@settings(max_examples=600, suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])
@given(pairs, st.data())
def test_converting_along_a_verdict_gives_a_valid_target_value(pair, data):
    source, target = pair
    verdict = TypeChecker(REGISTRY).check(source, target)
    assume(verdict.verdict != "incompatible")
    value = data.draw(values_of(source), label="value")
    validate(value, source, REGISTRY)
    if verdict.verdict == "compatible" and not contains_any(source):
        # compatible means the value passes as it is
        validate(value, target, REGISTRY)
        assert convert(value, source, target, REGISTRY) is value
    try:
        out = convert(value, source, target, REGISTRY)
    except ValueValidationError:
        # a named conversion failed on this value (int("abc")), or an Any part was not of the target
        assert verdict.verdict == "convertible" or contains_any(source)
        return
    validate(out, target, REGISTRY)


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(value_types, st.data())
def test_coerce_accepts_every_valid_value_unchanged(t, data):
    value = data.draw(values_of(t), label="value")
    assert coerce(value, t, REGISTRY) is value


@settings(max_examples=300, suppress_health_check=[HealthCheck.too_slow])
@given(value_types, value_types, st.data())
def test_coerce_result_is_valid_or_refused(source, target, data):
    value = data.draw(values_of(source), label="value")
    try:
        out = coerce(value, target, REGISTRY)
    except ValueValidationError as e:
        assert e.path.startswith("value")
        return
    validate(out, target, REGISTRY)
    if is_valid(value, target, REGISTRY):
        assert out is value


class Plain:
    pass


class SubPlain(Plain):
    pass


def test_nominal_types_validate_by_class():
    assert validate(SubPlain(), T(f"{__name__}.Plain")) is not None  # an instance of a subclass
    assert validate(Plain(), T("Plain")) is not None  # undefined custom name: the class's own name
    with pytest.raises(ValueValidationError, match="custom type Other is not defined"):
        validate(Plain(), T("Other"))
    with pytest.raises(ValueValidationError, match=f"expected {__name__}.SubPlain, got {__name__}.Plain"):
        validate(Plain(), T(f"{__name__}.SubPlain"))
