"""The tagged JSON codec: round trips, escaping, errors, and that it needs only the standard library."""

import ast
import dataclasses
import datetime as dt
import json
import math
import shutil
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path
from typing import NamedTuple

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import type_system.codec as codec_module
from type_system import TAG, CodecError, decode, dumps, encode, loads


def same(a, b) -> bool:
    """Equal, with equal types all the way down (1, 1.0 and True differ; nan equals nan)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return (math.isnan(a) and math.isnan(b)) or a == b
    if isinstance(a, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    if isinstance(a, dict):
        if len(a) != len(b):
            return False
        for k, v in a.items():
            match = [k2 for k2 in b if same(k, k2)]
            if len(match) != 1 or not same(v, b[match[0]]):
                return False
        return True
    if isinstance(a, (set, frozenset)):
        return len(a) == len(b) and all(any(same(x, y) for y in b) for x in a)
    if isinstance(a, dt.datetime):
        return a == b and a.utcoffset() == b.utcoffset()
    if isinstance(a, Decimal):
        return str(a) == str(b)
    return a == b


FIXED_OFFSETS = st.builds(
    dt.timezone,
    st.timedeltas(min_value=dt.timedelta(hours=-23, minutes=-59), max_value=dt.timedelta(hours=23, minutes=59)),
)

hashables = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.floats(allow_nan=False),
        st.text(max_size=6),
        st.binary(max_size=6),
        st.decimals(allow_nan=False),
        st.uuids(),
        st.dates(),
        # The codec keeps a datetime's UTC offset, not its zone's name (a zone cannot cross the sandbox
        # boundary as data), so round trips are checked on fixed offsets.
        st.datetimes(timezones=st.one_of(st.none(), FIXED_OFFSETS)),
        st.times(),
        st.timedeltas(),
        st.just(TAG),
    ),
    lambda inner: st.one_of(st.lists(inner, max_size=3).map(tuple), st.frozensets(inner, max_size=3)),
    max_leaves=6,
)
values = st.recursive(
    st.one_of(hashables, st.floats(), st.binary(max_size=4).map(bytearray)),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.sets(hashables, max_size=3),
        st.dictionaries(st.text(max_size=4), inner, max_size=3),
        st.dictionaries(hashables, inner, max_size=3),
        st.dictionaries(st.sampled_from([TAG, "value", "x"]), inner, max_size=3),
    ),
    max_leaves=10,
)


@settings(max_examples=500)
@given(values)
def test_round_trip_through_strict_json(value):
    text = dumps(value)

    def no_constants(name):
        raise AssertionError(f"non-standard JSON constant {name}")

    json.loads(text, parse_constant=no_constants)  # strict JSON: no NaN/Infinity literals
    back = loads(text)
    assert same(back, value), (value, back)
    assert same(decode(json.loads(json.dumps(encode(value), allow_nan=False))), value)


@settings(max_examples=200)
@given(st.dictionaries(st.text(max_size=4), st.integers() | st.text(max_size=4), max_size=4))
def test_plain_string_keyed_dicts_stay_plain_json_objects(d):
    if TAG in d:
        assert encode(d)[TAG] == "dict"
    else:
        assert encode(d) == d


@pytest.mark.parametrize(
    "value,encoded",
    [
        (dt.datetime(2024, 1, 2, 3, 4, 5), {TAG: "datetime", "value": "2024-01-02T03:04:05"}),
        (
            dt.datetime(2024, 1, 2, 3, 4, 5, tzinfo=dt.timezone(dt.timedelta(hours=2))),
            {TAG: "datetime", "value": "2024-01-02T03:04:05+02:00"},
        ),
        (dt.date(2024, 1, 2), {TAG: "date", "value": "2024-01-02"}),
        (Decimal("1.10"), {TAG: "Decimal", "value": "1.10"}),
        (Decimal("-Infinity"), {TAG: "Decimal", "value": "-Infinity"}),
        (uuid.UUID(int=1), {TAG: "UUID", "value": "00000000-0000-0000-0000-000000000001"}),
        (b"\x00\xff", {TAG: "bytes", "value": "AP8="}),
        ((1, "a"), {TAG: "tuple", "value": [1, "a"]}),
        ({3, 1, 2}, {TAG: "set", "value": [1, 2, 3]}),
        (frozenset({"b", "a"}), {TAG: "frozenset", "value": ["a", "b"]}),
        (float("inf"), {TAG: "float", "value": "inf"}),
        ({1: "a"}, {TAG: "dict", "value": [[1, "a"]]}),
        ({TAG: "tuple", "value": [1]}, {TAG: "dict", "value": [[TAG, "tuple"], ["value", [1]]]}),
        ({"a": [b"x"]}, {"a": [{TAG: "bytes", "value": "eA=="}]}),
        (dt.timedelta(days=1, seconds=2, microseconds=3), {TAG: "timedelta", "value": [1, 2, 3]}),
    ],
)
def test_tag_format(value, encoded):
    assert encode(value) == encoded
    assert same(decode(encoded), value)


def test_records_are_encoded_as_dicts():
    @dataclasses.dataclass
    class P:
        x: float
        when: dt.date

    class Q(NamedTuple):
        a: int
        b: bytes

    assert encode(P(1.0, dt.date(2024, 1, 1))) == {"x": 1.0, "when": {TAG: "date", "value": "2024-01-01"}}
    assert encode(Q(1, b"x")) == {"a": 1, "b": {TAG: "bytes", "value": "eA=="}}


def test_unsupported_values_name_their_path():
    with pytest.raises(CodecError) as info:
        encode({"a": [1, object()]})
    assert str(info.value).startswith("value['a'][1]: cannot encode a value of type object")


@pytest.mark.parametrize(
    "obj,fragment",
    [
        ({TAG: "bogus", "value": 1}, "unknown tag 'bogus'"),
        ({TAG: "date", "value": "not a date"}, "malformed 'date' value"),
        ({TAG: "bytes", "value": "!!"}, "malformed 'bytes' value"),
        ({TAG: "Decimal", "value": 1.5}, "malformed 'Decimal' value"),
        ({TAG: "tuple"}, "holds exactly"),
        ({TAG: "tuple", "value": [], "extra": 1}, "holds exactly"),
        ([{"k": {TAG: "UUID", "value": "zz"}}], "value[0]['k']: malformed 'UUID' value"),
        ({TAG: "float", "value": "1.5"}, "malformed 'float' value"),
    ],
)
def test_malformed_tagged_objects_are_refused(obj, fragment):
    with pytest.raises(CodecError) as info:
        decode(obj)
    assert fragment in str(info.value)


def test_codec_imports_only_the_standard_library(tmp_path: Path):
    source = Path(codec_module.__file__)
    tree = ast.parse(source.read_text())
    imported = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            imported |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, "no relative imports"
            imported.add(node.module.split(".")[0])
    assert imported <= set(sys.stdlib_module_names) | {"__future__"}, imported - set(sys.stdlib_module_names)
    # and the file alone works in a bare interpreter (no site-packages), as in a runner image
    shutil.copy(source, tmp_path / "qflow_codec.py")
    code = (
        "import sys; sys.path.insert(0, sys.argv[1]); import qflow_codec as c, datetime, decimal;"
        "v = {'d': datetime.date(2024, 1, 2), 't': (1, decimal.Decimal('2.5'), {b'x'}), 3: None};"
        "assert c.loads(c.dumps(v)) == v; print(c.dumps(v))"
    )
    out = subprocess.run([sys.executable, "-I", "-S", "-c", code, str(tmp_path)], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout)[TAG] == "dict"


@pytest.mark.parametrize("value, where", [
    ("ab\ud800", "value: text holding a lone surrogate ('\\ud800' at position 2)"),
    ({"k\udcff": 1}, "value.<key>: text holding a lone surrogate ('\\udcff' at position 1)"),
    ([1, {"x": "\udc80"}], "value[1]['x']: text holding a lone surrogate"),
])
def test_text_utf8_cannot_carry_is_refused_with_its_path(value, where):
    with pytest.raises(CodecError) as info:
        encode(value)
    assert str(info.value).startswith(where)


def test_an_int_the_host_could_not_read_is_refused():
    assert encode(10 ** 4299) == 10 ** 4299  # 4300 digits: still fine
    with pytest.raises(CodecError, match="more than 4300 digits"):
        encode({"n": -(10 ** 4300)})
