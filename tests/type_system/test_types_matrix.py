"""The base matrix of SPEC §4, row by row, written out here independently of `matrix.py`."""

import itertools

import pytest

from type_system import BASE_MATRIX, BASE_ROWS, TypeChecker, check, matrix_from_rows, matrix_rows, parse_type

# Transcribed from SPEC §4's table.
SPEC_COMPATIBLE = [("bool", "int"), ("bool", "float"), ("int", "float")]
SPEC_CONVERTIBLE = [
    ("float", "int", "int()"),
    ("Decimal", "int", "int()"),
    ("str", "int", "int()"),
    ("str", "float", "float()"),
    ("Decimal", "float", "float()"),
    ("int", "Decimal", "Decimal()"),
    ("float", "Decimal", "Decimal()"),
    ("str", "Decimal", "Decimal()"),
    ("int", "str", "str()"),
    ("float", "str", "str()"),
    ("bool", "str", "str()"),
    ("Decimal", "str", "str()"),
    ("UUID", "str", "str()"),
    ("date", "str", "isoformat()"),
    ("datetime", "str", "isoformat()"),
    ("str", "datetime", "datetime.fromisoformat()"),
    ("str", "date", "date.fromisoformat()"),
    ("datetime", "date", ".date()"),
    ("str", "UUID", "UUID()"),
    ("bytes", "str", "bytes.decode()"),
    ("str", "bytes", "str.encode()"),
]
SCALARS = ["int", "float", "bool", "str", "bytes", "None", "datetime", "date", "Decimal", "UUID"]
LISTED = {(s, t) for s, t in SPEC_COMPATIBLE} | {(s, t) for s, t, _ in SPEC_CONVERTIBLE}
UNLISTED = [(s, t) for s, t in itertools.permutations(SCALARS, 2) if (s, t) not in LISTED]


@pytest.mark.parametrize("source,target", SPEC_COMPATIBLE)
def test_compatible_rows(source, target):
    v = check(parse_type(source), parse_type(target))
    assert (v.verdict, v.conversion) == ("compatible", None)
    assert v.to_json() == {"verdict": "compatible", "conversion": None, "reason": v.reason}


@pytest.mark.parametrize("source,target,conversion", SPEC_CONVERTIBLE)
def test_convertible_rows(source, target, conversion):
    v = check(parse_type(source), parse_type(target))
    assert (v.verdict, v.conversion) == ("convertible", conversion)
    assert conversion in v.reason and source in v.reason and target in v.reason


@pytest.mark.parametrize("source,target", UNLISTED)
def test_every_other_pair_of_distinct_scalars_is_incompatible(source, target):
    v = check(parse_type(source), parse_type(target))
    assert (v.verdict, v.conversion) == ("incompatible", None)
    assert v.reason.startswith(f"{source} → {target} is incompatible")


def test_the_data_table_is_exactly_the_spec_table():
    spec = {(s, t, "compatible", None) for s, t in SPEC_COMPATIBLE} | {
        (s, t, "convertible", c) for s, t, c in SPEC_CONVERTIBLE
    }
    assert set(BASE_ROWS) == spec
    assert len(BASE_ROWS) == len(spec)
    with pytest.raises(TypeError):
        BASE_MATRIX[("int", "str")] = ("compatible", None)  # read-only


def test_rows_export_and_rebuild():
    rows = matrix_rows()
    assert len(rows) == len(BASE_ROWS)
    assert {"source": "str", "target": "int", "verdict": "convertible", "conversion": "int()"} in rows
    assert matrix_from_rows(rows) == dict(BASE_MATRIX)
    full = matrix_rows(include_incompatible=True)
    assert len(full) == len(SCALARS) * (len(SCALARS) - 1)
    assert {"source": "str", "target": "bool", "verdict": "incompatible", "conversion": None} in full
    assert matrix_from_rows(full) == dict(BASE_MATRIX)  # explicit incompatible rows add nothing


def test_an_extended_matrix_is_honoured_and_kept_apart():
    extended = matrix_from_rows(
        [
            ("str", "bool", "convertible", "bool()"),
            ("datetime.timedelta", "float", "convertible", "timedelta.total_seconds()"),
            ("str", "int", "incompatible", None),
        ],
        base=BASE_MATRIX,
    )
    assert check(parse_type("str"), parse_type("bool"), matrix=extended).conversion == "bool()"
    assert check(parse_type("list[str]"), parse_type("list[bool]"), matrix=extended).verdict == "convertible"
    v = check(parse_type("datetime.timedelta"), parse_type("float"), matrix=extended)
    assert (v.verdict, v.conversion) == ("convertible", "timedelta.total_seconds()")
    assert check(parse_type("str"), parse_type("int"), matrix=extended).verdict == "incompatible"
    # the default matrix is untouched, and memoised results do not leak between matrices
    assert check(parse_type("str"), parse_type("bool")).verdict == "incompatible"
    assert check(parse_type("str"), parse_type("int")).verdict == "convertible"
    assert TypeChecker(matrix=extended).check(parse_type("str"), parse_type("bool")).verdict == "convertible"


def test_bad_rows_are_refused():
    with pytest.raises(ValueError, match="unknown verdict"):
        matrix_from_rows([("str", "bool", "maybe", None)])
    with pytest.raises(ValueError, match="needs a conversion"):
        matrix_from_rows([("str", "bool", "convertible", None)])
