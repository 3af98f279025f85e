"""Custom types: the JSON form, Python record classes, runtime annotations → canonical strings."""

from __future__ import annotations

import collections
import collections.abc
import dataclasses
import datetime
import decimal
import json
import typing
import uuid
from pathlib import Path
from typing import Annotated, Any, Literal, NamedTuple, NotRequired, Optional, Required, TypedDict, Union

import pytest

from type_system import (
    CustomRegistry,
    CustomT,
    CustomTypeDef,
    CustomTypeError,
    check,
    custom_def_from_class,
    dump_custom_types,
    format_type,
    load_custom_types,
    parse_type,
    registry_from_classes,
    type_from_annotation,
)

POINT_JSON = {"Point": {"fields": {"x": "float", "y": "float"}, "required": ["x", "y"]}}


def test_json_form_loads_and_dumps_back():
    doc = {
        **POINT_JSON,
        "Shape": {"fields": {"name": "str", "points": "list[Point]", "parent": "Shape | None"}, "required": ["name"]},
    }
    reg = load_custom_types(doc)
    assert reg["Point"].fields == {"x": parse_type("float"), "y": parse_type("float")}
    assert reg["Shape"].fields["points"] == parse_type("list[Point]", {"Point"})
    assert isinstance(reg["Shape"].fields["parent"].members[0], CustomT)
    assert dump_custom_types(reg) == doc
    assert reg.to_json() == doc
    assert load_custom_types(json.dumps(doc)) == reg


def test_json_from_a_file(tmp_path: Path):
    f = tmp_path / "types.json"
    f.write_text(json.dumps(POINT_JSON))
    assert load_custom_types(f)["Point"].required == ("x", "y")


def test_required_defaults_to_all_fields_and_is_kept_in_field_order():
    reg = load_custom_types({"P": {"fields": {"a": "int", "b": "str"}}})
    assert reg["P"].required == ("a", "b")
    reg = load_custom_types({"P": {"fields": {"a": "int", "b": "str"}, "required": ["b", "a"]}})
    assert reg["P"].required == ("a", "b")
    assert reg["P"] == CustomTypeDef({"a": parse_type("int"), "b": parse_type("str")}, ("a", "b"))


@pytest.mark.parametrize(
    "doc,fragment",
    [
        ([], "must be a JSON object"),
        ({"P": []}, "custom type 'P': expected an object"),
        ({"P": {"fields": {"x": "list[int"}}}, "custom type 'P': field 'x': expected ']'"),
        ({"P": {"fields": {"x": 3}}}, "field 'x': the type must be a string"),
        ({"P": {"fields": {"x": "int"}, "required": ["y"]}}, "required field 'y' is not among"),
        ({"P": {"fields": {"x": "int"}, "required": "x"}}, "'required' must be a list"),
        ({"P": {"fieldz": {}}}, "unknown key 'fieldz'"),
        ({"P": {}}, "'fields' must be an object"),
        ({"not a name": {"fields": {}}}, "is not an identifier"),
        ("{bad json", "invalid JSON"),
    ],
)
def test_bad_json_forms_are_reported_precisely(doc, fragment):
    with pytest.raises(CustomTypeError) as info:
        load_custom_types(doc)
    assert fragment in str(info.value)


def test_missing_file_is_a_custom_type_error(tmp_path: Path):
    with pytest.raises(CustomTypeError, match="cannot read"):
        load_custom_types(tmp_path / "nope.json")


def test_registry_is_immutable_hashable_and_merges():
    a = load_custom_types(POINT_JSON)
    b = load_custom_types(POINT_JSON)
    assert a == b and hash(a) == hash(b)
    assert {a: 1}[b] == 1
    with pytest.raises(TypeError):
        a["Q"] = a["Point"]  # type: ignore[index]
    merged = a.merged(load_custom_types({"Q": {"fields": {"p": "Point"}}}))
    assert set(merged) == {"Point", "Q"}
    with pytest.raises(CustomTypeError, match="defined twice"):
        a.merged(load_custom_types({"Point": {"fields": {"x": "int"}}}))
    assert isinstance(merged, CustomRegistry) and len(merged) == 2


# ------------------------------------------------------------------------------------------------
# Python classes

class Movie(TypedDict):
    title: str
    year: int
    rating: NotRequired[float]


class Partial(TypedDict, total=False):
    a: int
    b: Required[str]


class Pair(NamedTuple):
    left: int
    right: str = "r"


@dataclasses.dataclass
class Cfg:
    name: str
    tags: list[str] = dataclasses.field(default_factory=list)
    limit: Optional[int] = None
    when: datetime.datetime | None = None


@dataclasses.dataclass
class Item:
    movie: Movie
    pair: Pair
    children: list["Item"]
    price: decimal.Decimal
    id: uuid.UUID


class Plain:
    pass


def test_typeddict_required_and_not_required():
    d = custom_def_from_class(Movie)
    assert {k: format_type(v) for k, v in d.fields.items()} == {"title": "str", "year": "int", "rating": "float"}
    assert d.required == ("title", "year")
    p = custom_def_from_class(Partial)
    assert p.required == ("b",)
    assert list(p.fields) == ["a", "b"]


def test_namedtuple_defaults_are_not_required():
    d = custom_def_from_class(Pair)
    assert d.to_json() == {"fields": {"left": "int", "right": "str"}, "required": ["left"]}


def test_dataclass_defaults_and_factories_are_not_required():
    d = custom_def_from_class(Cfg)
    assert d.to_json() == {
        "fields": {"name": "str", "tags": "list[str]", "limit": "int | None", "when": "datetime | None"},
        "required": ["name"],
    }


def test_registry_from_classes_follows_nested_and_recursive_records():
    reg = registry_from_classes(Item)
    assert list(reg) == ["Item", "Movie", "Pair"]
    assert reg.to_json()["Item"] == {
        "fields": {"movie": "Movie", "pair": "Pair", "children": "list[Item]", "price": "Decimal", "id": "UUID"},
        "required": ["movie", "pair", "children", "price", "id"],
    }
    # and the structural rules work over what was built
    assert check("Item", "dict[str, Any]", reg).verdict == "compatible"
    assert check("Movie", "dict[str, str]", reg).verdict == "convertible"


def test_classes_that_are_not_records_are_refused():
    with pytest.raises(CustomTypeError, match="not a TypedDict, NamedTuple or dataclass"):
        registry_from_classes(Plain)


def test_two_classes_of_one_name_are_refused():
    def make():
        @dataclasses.dataclass
        class Movie:  # noqa: F811 - same name as the TypedDict above on purpose
            x: int

        return Movie

    Both = dataclasses.make_dataclass("Both", [("a", Movie), ("b", make())])

    with pytest.raises(CustomTypeError, match="two custom types are named 'Movie'"):
        registry_from_classes(Both)


T = typing.TypeVar("T")


@pytest.mark.parametrize(
    "annotation,expected",
    [
        (int, "int"),
        (float, "float"),
        (bool, "bool"),
        (str, "str"),
        (bytes, "bytes"),
        (None, "None"),
        (type(None), "None"),
        (Any, "Any"),
        (object, "Any"),
        (datetime.datetime, "datetime"),
        (datetime.date, "date"),
        (decimal.Decimal, "Decimal"),
        (uuid.UUID, "UUID"),
        (list[int], "list[int]"),
        (typing.List[int], "list[int]"),
        (typing.Sequence[int], "list[int]"),
        (collections.abc.Sequence[int], "list[int]"),
        (typing.Mapping[str, int], "dict[str, int]"),
        (collections.abc.Mapping[str, int], "dict[str, int]"),
        (typing.Dict[str, float], "dict[str, float]"),
        (typing.Set[str], "set[str]"),
        (typing.Tuple[int, str], "tuple[int, str]"),
        (tuple[int, ...], "tuple[int, ...]"),
        (tuple[()], "tuple[()]"),
        (list, "list[Any]"),
        (set, "set[Any]"),
        (dict, "dict[Any, Any]"),
        (tuple, "tuple[Any, ...]"),
        (typing.List, "list[Any]"),
        (typing.Dict, "dict[Any, Any]"),
        (Optional[int], "int | None"),
        (Union[None, int, str], "int | str | None"),
        (int | None | str, "int | str | None"),
        (Union[int, Union[str, int]], "int | str"),
        (Optional[Any], "Any"),
        (Literal["a", "b"], "Literal['a', 'b']"),
        (Literal[1, True, None], "Literal[1, True, None]"),
        (Annotated[int, "the count"], "int"),
        (Annotated[list[Annotated[str, "x"]], "y"], "list[str]"),
        ("list[int]", "list[int]"),
        (typing.ForwardRef("dict[str, int]"), "dict[str, int]"),
        (T, "Any"),
        (datetime.timedelta, "datetime.timedelta"),
        (collections.OrderedDict, "collections.OrderedDict"),
        (complex, "complex"),
        (Movie, "Movie"),
        (Pair, "Pair"),
        (Cfg, "Cfg"),
        (list[Cfg | None], "list[Cfg | None]"),
        (typing.Callable[[int], str], "collections.abc.Callable"),
    ],
)
def test_runtime_annotations_spell_as_spec_section_2(annotation, expected):
    assert format_type(type_from_annotation(annotation)) == expected


def test_records_from_other_modules_are_opaque_when_a_module_is_given():
    assert type_from_annotation(Movie, module="somewhere.else") == parse_type(f"{__name__}.Movie")
    assert type_from_annotation(Movie, module=__name__) == CustomT("Movie")


def test_unsupported_literal_values_are_refused():
    import enum

    class Color(enum.Enum):
        RED = 1

    with pytest.raises(CustomTypeError, match="unsupported Literal value"):
        type_from_annotation(Literal[Color.RED])
