"""Canonical type strings (SPEC §2): parsing, printing, round trips, error positions."""

import pytest
from hypothesis import given, settings
from strategies import NAMES, types

from type_system import (
    ANY,
    BOOL,
    BYTES,
    DATE,
    DATETIME,
    DECIMAL,
    FLOAT,
    INT,
    NONE,
    STR,
    UUID,
    CustomT,
    DictT,
    ListT,
    LiteralT,
    OpaqueT,
    SetT,
    TupleT,
    TypeParseError,
    UnionT,
    format_type,
    literal,
    parse_type,
    union,
)

CANONICAL = [
    ("int", INT),
    ("float", FLOAT),
    ("bool", BOOL),
    ("str", STR),
    ("bytes", BYTES),
    ("None", NONE),
    ("Any", ANY),
    ("datetime", DATETIME),
    ("date", DATE),
    ("Decimal", DECIMAL),
    ("UUID", UUID),
    ("list[int]", ListT(INT)),
    ("set[str]", SetT(STR)),
    ("dict[str, list[float]]", DictT(STR, ListT(FLOAT))),
    ("tuple[int, str]", TupleT((INT, STR))),
    ("tuple[int, ...]", TupleT((INT,), True)),
    ("tuple[()]", TupleT(())),
    ("int | None", UnionT((INT, NONE))),
    ("int | str | None", UnionT((INT, STR, NONE))),
    ("list[int | None]", ListT(UnionT((INT, NONE)))),
    ("Literal['a', 'b']", LiteralT(("a", "b"))),
    ("Literal[1, 2]", LiteralT((1, 2))),
    ("Literal[-3, True, None, b'x']", LiteralT((-3, True, None, b"x"))),
    ('Literal["it\'s", \'a\\\\b\', \'\\n\']', LiteralT(("it's", "a\\b", "\n"))),
    ("Literal['a'] | None", UnionT((LiteralT(("a",)), NONE))),
    ("Point", CustomT("Point")),
    ("pandas.DataFrame", OpaqueT("pandas.DataFrame")),
    ("datetime.timedelta", OpaqueT("datetime.timedelta")),
    ("dict[str, Point | None]", DictT(STR, UnionT((CustomT("Point"), NONE)))),
]


@pytest.mark.parametrize("text,expected", CANONICAL)
def test_canonical_strings_parse_exactly_and_print_back(text, expected):
    t = parse_type(text, {"Point"})
    assert t == expected
    assert format_type(t) == text


@pytest.mark.parametrize(
    "text,canonical",
    [
        ("Optional[int]", "int | None"),
        ("Union[int, None, str]", "int | str | None"),
        ("None | int", "int | None"),
        ("int | int | str", "int | str"),
        ("int | str | int", "int | str"),
        ("int | Any | str", "Any"),
        ("List[int]", "list[int]"),
        ("typing.Dict[str, int]", "dict[str, int]"),
        ("Sequence[int]", "list[int]"),
        ("collections.abc.Mapping[str, int]", "dict[str, int]"),
        ("typing.Tuple[int, ...]", "tuple[int, ...]"),
        ("list", "list[Any]"),
        ("set", "set[Any]"),
        ("dict", "dict[Any, Any]"),
        ("tuple", "tuple[Any, ...]"),
        ("object", "Any"),
        ("typing.Any", "Any"),
        ("datetime.datetime", "datetime"),
        ("decimal.Decimal", "Decimal"),
        ("uuid.UUID", "UUID"),
        ("dict[str,list[int|None]]", "dict[str, list[int | None]]"),
        ("  list [ int ]  ", "list[int]"),
        ('Literal["a", 1, 1, True]', "Literal['a', 1, True]"),
        ("Optional[Optional[int]]", "int | None"),
    ],
)
def test_other_spellings_normalise(text, canonical):
    assert format_type(parse_type(text)) == canonical


def test_name_resolution_custom_versus_opaque():
    assert parse_type("Point") == CustomT("Point")  # undotted unknown: custom (nominal until defined)
    assert parse_type("Point", {"Point"}) == CustomT("Point")
    assert parse_type("pandas.DataFrame") == OpaqueT("pandas.DataFrame")
    assert parse_type("a.b.C") == OpaqueT("a.b.C")
    # scalars and canonical generics win over custom names
    assert parse_type("int", {"int"}) == INT
    assert parse_type("list[int]", {"list"}) == ListT(INT)
    # a custom name wins over the non-canonical aliases
    assert parse_type("Sequence", {"Sequence"}) == CustomT("Sequence")
    assert parse_type("Sequence") == ListT(ANY)


def test_literal_values_keep_their_types():
    t = parse_type("Literal[1, True, '1', b'1', None]")
    assert [type(v) for v in t.values] == [int, bool, str, bytes, type(None)]
    assert parse_type("Literal[1]") != parse_type("Literal[True]")
    assert union(literal(1), literal(True)) == UnionT((LiteralT((1,)), LiteralT((True,))))
    assert hash(parse_type("Literal[1]")) == hash(LiteralT((1,)))


@pytest.mark.parametrize(
    "text,position,fragment",
    [
        ("list[int", 8, "expected ']'"),
        ("int]", 3, "unexpected ']'"),
        ("", 0, "expected a type"),
        ("list[]", 5, "expected a type"),
        ("list[int, str]", 10, "takes 1 type argument"),
        ("dict[str]", 8, "takes 2 type arguments"),
        ("int[str]", 3, "takes no type arguments"),
        ("Point[int]", 5, "takes no type arguments"),
        ("Literal[1.5]", 8, "Literal values"),
        ("Literal[]", 8, "expected a Literal value"),
        ("Literal[foo]", 8, "not a Literal value"),
        ("Literal['abc]", 8, "unterminated string"),
        ("Literal[01]", 8, "leading zeros"),
        ("tuple[int, str, ...]", 16, "tuple[T, ...]"),
        ("tuple[int, ..]", 11, "expected '...'"),
        ("int | ", 6, "expected a type"),
        ("int str", 4, "unexpected 's'"),
        ("pandas.", 7, "expected a name"),
        ("Optional", 8, "needs arguments"),
        ("(int)", 0, "unexpected '('"),
        ("list[int]]", 9, "unexpected ']'"),
        ("Literal[1²]", 9, "expected ']'"),  # a digit to str.isdigit(), not to int()
        ("Literal[" + "9" * 5000 + "]", 8, "5000 digits is too long"),  # over int()'s 4300-digit limit
        ("Literal[-" + "9" * 5000 + "]", 9, "too long"),
    ],
)
def test_parse_errors_name_the_position(text, position, fragment):
    with pytest.raises(TypeParseError) as info:
        parse_type(text)
    err = info.value
    assert isinstance(err, ValueError)
    assert err.position == position, str(err)
    assert fragment in err.message
    assert f"position {position}" in str(err)


@settings(max_examples=400)
@given(types)
def test_format_parse_round_trip(t):
    text = format_type(t)
    back = parse_type(text, NAMES)
    assert back == t
    assert format_type(back) == text
