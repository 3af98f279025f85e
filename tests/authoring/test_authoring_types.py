"""Annotations → canonical type strings (SPEC §2), through the module's imports."""

from __future__ import annotations

import pytest

from qflow.authoring import inspect_node


def input_type(header: str, annotation: str, extra: str = "") -> str:
    """The type string of parameter `x: <annotation>` in a module starting with `header`."""
    src = f"{header}\n{extra}\ndef main(x: {annotation}):\n    pass\n"
    return inspect_node(src)["inputs"][0]["type"]


@pytest.mark.parametrize("header, annotation, expected", [
    # scalars and Any
    ("", "int", "int"), ("", "float", "float"), ("", "bool", "bool"), ("", "str", "str"),
    ("", "bytes", "bytes"), ("", "None", "None"), ("", "object", "Any"),
    ("import typing", "typing.Any", "Any"), ("from typing import Any", "Any", "Any"),
    ("import datetime", "datetime.datetime", "datetime"), ("import datetime", "datetime.date", "date"),
    ("from datetime import date", "date", "date"), ("from datetime import datetime", "datetime", "datetime"),
    ("from datetime import datetime as dt", "dt", "datetime"),
    ("import decimal", "decimal.Decimal", "Decimal"), ("from decimal import Decimal", "Decimal", "Decimal"),
    ("import uuid", "uuid.UUID", "UUID"), ("from uuid import UUID", "UUID", "UUID"),
    # containers, bare and typing spellings
    ("", "list", "list[Any]"), ("", "set", "set[Any]"), ("", "dict", "dict[Any, Any]"),
    ("", "tuple", "tuple[Any, ...]"), ("", "list[int]", "list[int]"), ("", "set[str]", "set[str]"),
    ("", "dict[str, float]", "dict[str, float]"), ("", "tuple[int, str]", "tuple[int, str]"),
    ("", "tuple[int, ...]", "tuple[int, ...]"), ("", "tuple[()]", "tuple[()]"),
    ("from typing import List, Dict, Set, Tuple", "List[int]", "list[int]"),
    ("from typing import List, Dict, Set, Tuple", "Dict[str, List[int]]", "dict[str, list[int]]"),
    ("from typing import List, Dict, Set, Tuple", "Set[bytes]", "set[bytes]"),
    ("from typing import List, Dict, Set, Tuple", "Tuple[int, ...]", "tuple[int, ...]"),
    ("from typing import List, Dict, Set, Tuple", "Tuple", "tuple[Any, ...]"),
    ("from typing import List, Dict, Set, Tuple", "List", "list[Any]"),
    ("from typing import List, Dict, Set, Tuple", "Dict", "dict[Any, Any]"),
    # Sequence / Mapping from typing and collections.abc, however imported
    ("from typing import Sequence, Mapping", "Sequence[int]", "list[int]"),
    ("from typing import Sequence, Mapping", "Mapping[str, int]", "dict[str, int]"),
    ("from collections.abc import Sequence", "Sequence[str]", "list[str]"),
    ("from collections.abc import Mapping", "Mapping[str, bool]", "dict[str, bool]"),
    ("import collections.abc", "collections.abc.Sequence[float]", "list[float]"),
    ("from collections import abc", "abc.Mapping[str, int]", "dict[str, int]"),
    ("from collections.abc import Sequence", "Sequence", "list[Any]"),
    # aliased imports
    ("import typing as t", "t.List[int]", "list[int]"),
    ("import typing as t", "t.Optional[t.Dict[str, t.Any]]", "dict[str, Any] | None"),
    ("from typing import List as L", "L[str]", "list[str]"),
    ("import typing_extensions as te", "te.Literal['a']", "Literal['a']"),
    # unions
    ("from typing import Optional", "Optional[int]", "int | None"),
    ("from typing import Union", "Union[int, None]", "int | None"),
    ("", "int | None", "int | None"),
    ("", "None | int", "int | None"),
    ("from typing import Union", "Union[int, Union[str, int]]", "int | str"),
    ("from typing import Optional, Union", "Optional[Union[str, int]]", "str | int | None"),
    ("", "int | None | str | int", "int | str | None"),
    ("from typing import Union, Any", "Union[int, Any]", "Any"),
    ("", "int | object", "Any"),
    ("from typing import Union", "Union[int]", "int"),
    ("from typing import Optional", "Optional[list[int | None]]", "list[int | None] | None"),
    # Literal
    ("from typing import Literal", "Literal['a', 'b']", "Literal['a', 'b']"),
    ("from typing import Literal", "Literal[1, 2]", "Literal[1, 2]"),
    ("from typing import Literal", "Literal[-1, True, None]", "Literal[-1, True, None]"),
    ("from typing import Literal", 'Literal["x", Literal["y"]]', "Literal['x', 'y']"),
    ("from typing import Literal, Optional", "Optional[Literal['a']]", "Literal['a'] | None"),
    # Annotated is its first argument
    ("from typing import Annotated", "Annotated[int, 'desc']", "int"),
    ("from typing import Annotated, Optional", "Optional[Annotated[str, 'd']]", "str | None"),
    # string annotations, resolved where written
    ("", "'list[int]'", "list[int]"),
    ("from typing import Optional\nfrom datetime import date", "'Optional[date]'", "date | None"),
    ("import typing as t", "'t.List[int]'", "list[int]"),
    ("from datetime import date", "list['date']", "list[date]"),
    ("import pandas as pd", "'pd.DataFrame | None'", "pandas.DataFrame | None"),
    # opaque classes by qualified name
    ("from datetime import timedelta", "timedelta", "datetime.timedelta"),
    ("import datetime", "datetime.timedelta", "datetime.timedelta"),
    ("from pathlib import Path", "Path", "pathlib.Path"),
    ("import pandas as pd", "pd.DataFrame", "pandas.DataFrame"),
    ("from pandas import DataFrame as DF", "DF", "pandas.DataFrame"),
    ("import numpy as np", "np.ndarray", "numpy.ndarray"),
    ("import numpy.typing as npt", "npt.NDArray", "numpy.typing.NDArray"),
    ("import pandas as pd", "pd.Series[int]", "pandas.Series"),
    ("", "complex", "complex"),
])
def test_annotation(header: str, annotation: str, expected: str) -> None:
    assert input_type(header, annotation) == expected


def test_local_aliases_resolve() -> None:
    header = "from typing import List, Optional, NewType, TypeVar\nimport typing as t"
    extra = "Vector = List[float]\nMaybe = Optional['Vector']\nUserId = NewType('UserId', int)\nT = TypeVar('T')\nL = t.List"
    assert input_type(header, "Vector", extra) == "list[float]"
    assert input_type(header, "Maybe", extra) == "list[float] | None"
    assert input_type(header, "UserId", extra) == "int"
    assert input_type(header, "T", extra) == "Any"
    assert input_type(header, "L[int]", extra) == "list[int]"


def test_plain_local_class_is_opaque_by_name() -> None:
    assert input_type("", "Thing", "class Thing:\n    pass\n") == "Thing"


def test_undefined_name_is_opaque_with_a_warning() -> None:
    sig = inspect_node("def main(x: Missing): pass\n")
    assert sig["inputs"][0]["type"] == "Missing"
    assert any("Missing" in w for w in sig["warnings"])


def test_non_type_annotation_is_any_with_a_warning() -> None:
    sig = inspect_node("def main(x: 3, y: 'not a [type'): pass\n")
    assert [i["type"] for i in sig["inputs"]] == ["Any", "Any"]
    assert len(sig["warnings"]) == 2


def test_return_annotation_resolves_like_inputs() -> None:
    src = "import typing as t\ndef main() -> 't.Tuple[int, str]':\n    pass\n"
    assert inspect_node(src)["outputs"] == [{"name": "result", "type": "tuple[int, str]"}]


def test_class_field_string_annotations_resolve_in_the_module() -> None:
    src = (
        "from typing import TypedDict\nimport typing as t\nfrom datetime import date\n"
        "class P(TypedDict):\n    d: 'date'\n    xs: 't.List[int]'\n"
        "def main(p: P): pass\n"
    )
    assert inspect_node(src)["custom_types"] == {
        "P": {"fields": {"d": "date", "xs": "list[int]"}, "required": ["d", "xs"]}}


def test_names_bound_twice_prefer_module_classes_then_imports() -> None:
    src = (
        "from typing import TYPE_CHECKING\n"
        "if TYPE_CHECKING:\n    import pandas as pd\nelse:\n    pd = None\n"
        "try:\n    from typing import TypedDict\nexcept ImportError:\n    TypedDict = dict\n"
        "class P(TypedDict):\n    x: int\n"
        "def main(a: 'pd.DataFrame', b: P): ...\n"
    )
    s = inspect_node(src)
    assert [i["type"] for i in s["inputs"]] == ["pandas.DataFrame", "P"]
    assert s["custom_types"] == {"P": {"fields": {"x": "int"}, "required": ["x"]}}


def test_pep695_type_parameters_are_type_variables(monkeypatch) -> None:
    from qflow.authoring import pyversions

    monkeypatch.setattr(pyversions, "find_interpreter", lambda v: None)
    src = (
        "from typing import TypedDict\n"
        "class Box[T: int](TypedDict):\n    item: T\n"
        "def main[U: str, V](u: U, v: V, b: Box[int]) -> list[U]: ...\n"
    )
    s = inspect_node(src, python_version="3.13")
    assert [i["type"] for i in s["inputs"]] == ["str", "Any", "Box"]
    assert s["outputs"] == [{"name": "result", "type": "list[str]"}]
    assert s["custom_types"]["Box"]["fields"] == {"item": "int"}


def test_star_imports_of_the_standard_library_resolve() -> None:
    src = (
        "from typing import *\nfrom collections.abc import *\nfrom datetime import *\n"
        "class P(TypedDict):\n    when: date\n"
        "def main(a: List[int], b: Sequence[str], c: 'Optional[datetime]', d: P, e: timedelta)"
        " -> Dict[str, int]: ...\n"
    )
    s = inspect_node(src)
    assert [i["type"] for i in s["inputs"]] == ["list[int]", "list[str]", "datetime | None", "P",
                                                 "datetime.timedelta"]
    assert s["outputs"] == [{"name": "result", "type": "dict[str, int]"}]
    assert s["custom_types"] == {"P": {"fields": {"when": "date"}, "required": ["when"]}}
    assert s["warnings"] == []


def test_star_imports_follow_modules_without_a_literal_all() -> None:
    # decimal has no __all__ (its names come from `from _pydecimal import *`), uuid none either
    sig = inspect_node("from decimal import *\nfrom uuid import *\ndef main(x: dict[UUID, Decimal]): ...\n")
    assert sig["inputs"][0]["type"] == "dict[UUID, Decimal]"  # the scalars, not opaque names:
    assert sig["warnings"] == []


def test_star_import_precedence() -> None:
    # the later star import wins, as at run time; a local definition beats any star import
    assert input_type("from collections.abc import *\nfrom typing import *", "Callable") == \
        "typing.Callable"
    assert input_type("from typing import *\nfrom collections.abc import *", "Callable") == \
        "collections.abc.Callable"
    assert input_type("from typing import *", "List", "class List:\n    pass\n") == "List"
    # an estimated export list (os computes its __all__) never hides an exact one
    assert input_type("from collections.abc import *\nfrom os import *", "Mapping[str, int]") == \
        "dict[str, int]"


def test_star_imports_of_other_modules_stay_unresolved() -> None:
    sig = inspect_node("from numpy import *\nfrom .sibling import *\ndef main(x: ndarray): ...\n")
    assert sig["inputs"][0]["type"] == "ndarray"
    assert any("'ndarray'" in w for w in sig["warnings"])


def test_star_exports_are_read_without_importing() -> None:
    import sys

    from qflow.authoring.star_imports import star_exports

    sys.modules.pop("antigravity", None)
    names, exact = star_exports("antigravity")
    assert "antigravity" not in sys.modules and not exact and "geohash" in names
    assert star_exports("typing")[1] and {"List", "Dict", "Optional"} <= star_exports("typing")[0]
    assert star_exports("math") == (frozenset(), False)  # a C module: nothing known
