"""The node signature (SPEC §3): main function, inputs, defaults, descriptions, outputs, custom types and
errors with their positions."""

from __future__ import annotations

import textwrap
import warnings

import pytest

from qflow.authoring import NodeParseError, inspect_node


def sig(src: str, **kw) -> dict:
    return inspect_node(textwrap.dedent(src), **kw)


def err(src: str, **kw) -> NodeParseError:
    with pytest.raises(NodeParseError) as info:
        inspect_node(textwrap.dedent(src), **kw)
    return info.value


def pos(e: NodeParseError) -> tuple[int, int]:
    return e.line, e.column


def compile_position(src: str) -> tuple[int, int]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(src, "<node>", "exec", dont_inherit=True)
        except SyntaxError as e:
            return e.lineno, e.offset
    raise AssertionError("compiles")


# --- the shape -----------------------------------------------------------------------------------------

def test_full_shape_matches_the_spec_example() -> None:
    s = sig('''
        from typing import TypedDict
        import yaml

        class Point(TypedDict):
            x: float
            y: float

        def main(a: int, b: float = 2.5, p: Point | None = None) -> float:
            return a * b
    ''')
    assert s == {
        "main_function": "main", "is_async": False,
        "inputs": [
            {"name": "a", "type": "int", "required": True, "description": None},
            {"name": "b", "type": "float", "required": False, "default": 2.5, "description": None},
            {"name": "p", "type": "Point | None", "required": False, "default": None, "description": None},
        ],
        "outputs": [{"name": "result", "type": "float"}],
        "dependencies": ["PyYAML"],
        "custom_types": {"Point": {"fields": {"x": "float", "y": "float"}, "required": ["x", "y"]}},
        "warnings": [],
        "returns_fields": False,
    }
    assert list(s["inputs"][1]) == ["name", "type", "required", "default", "description"]


# --- the main function ---------------------------------------------------------------------------------

def test_last_module_level_def_wins() -> None:
    s = sig('''
        def main(a: int) -> int: ...
        def main(b: str) -> str: ...
    ''')
    assert [i["name"] for i in s["inputs"]] == ["b"]
    assert s["outputs"] == [{"name": "result", "type": "str"}]


def test_async_main() -> None:
    s = sig("async def main(x: int) -> int:\n    return x\n")
    assert s["is_async"] is True and s["outputs"] == [{"name": "result", "type": "int"}]


def test_last_def_may_be_async() -> None:
    assert sig("def main(): ...\nasync def main(): ...\n")["is_async"] is True
    assert sig("async def main(): ...\ndef main(): ...\n")["is_async"] is False


def test_custom_main_name() -> None:
    s = sig("def main(): ...\ndef handler(q: str) -> None: ...\n", main="handler")
    assert s["main_function"] == "handler" and s["inputs"][0]["name"] == "q" and s["outputs"] == []


@pytest.mark.parametrize("src", [
    "def helper(): pass\n",
    "class main:\n    pass\n",
    "main = lambda: 1\n",
    "if True:\n    def main(): pass\n",
    "class C:\n    def main(self): pass\n",
    "def outer():\n    def main(): pass\n",
    "",
])
def test_missing_main_is_an_error_at_1_1(src: str) -> None:
    e = err(src)
    assert pos(e) == (1, 1) and "main" in e.message


def test_decorated_main_and_body_on_header_line() -> None:
    s = sig('''
        import functools
        @functools.lru_cache
        def main(x: int = 1) -> int: return x
    ''')
    assert s["inputs"][0]["default"] == 1


# --- inputs ----------------------------------------------------------------------------------------------

def test_positional_only_and_keyword_only_are_plain_inputs() -> None:
    s = sig("def main(a: int, /, b: str, *, c: float = 1.0, d: bool): ...\n")
    assert [(i["name"], i["type"], i["required"]) for i in s["inputs"]] == [
        ("a", "int", True), ("b", "str", True), ("c", "float", False), ("d", "bool", True)]


def test_missing_annotations_take_the_literal_defaults_type() -> None:
    s = sig("def main(a, b=3, c='s', d=None, e=2.5, f=True, g=[1], h={'k': 1}, i=(1, 2), j=-4): ...\n")
    assert [(i["name"], i["type"]) for i in s["inputs"]] == [
        ("a", "Any"), ("b", "int"), ("c", "str"), ("d", "Any"), ("e", "float"), ("f", "bool"),
        ("g", "list[Any]"), ("h", "dict[Any, Any]"), ("i", "tuple[Any, ...]"), ("j", "int")]


def test_defaults_are_shown_as_json() -> None:
    s = sig('''
        def main(a: int = -1, b: float = -2.5, c: float = +3, d: str = "x" "y", e: list = [1, [2, "3"]],
                 f: dict = {"k": (1, None), "n": {"m": False}}, g: tuple = (), h: tuple = (1,),
                 i: int = 0x10, j: int = 1_000, k=None, l: float = 1e3):
            ...
    ''')
    d = {i["name"]: i["default"] for i in s["inputs"]}
    assert d == {"a": -1, "b": -2.5, "c": 3, "d": "xy", "e": [1, [2, "3"]],
                 "f": {"k": [1, None], "n": {"m": False}}, "g": [], "h": [1], "i": 16, "j": 1000,
                 "k": None, "l": 1000.0}
    assert all(i["required"] is False for i in s["inputs"])


def test_default_key_present_only_with_a_default() -> None:
    s = sig("def main(a: int, b: int = 0): ...\n")
    assert "default" not in s["inputs"][0] and s["inputs"][1]["default"] == 0
    assert all("description" in i for i in s["inputs"])


@pytest.mark.parametrize("default", [
    "os.getcwd()", "f'x'", "x", "1 + 2", "{1, 2}", "[f()]", "{'a': g}", "b'x'", "-True", "1e999",
    "lambda: 1", "[*a]", "{**a}", "1j", "not True", "()[0]",
])
def test_non_literal_default_is_an_error_at_the_default(default: str) -> None:
    src = f"import os\n\ndef main(path,\n         p = {default}) -> str:\n    return path\n"
    e = err(src)
    assert pos(e) == (4, 14), e


def test_corpus_style_bad_default_position() -> None:
    e = err("import os\n\ndef main(path: str = os.getcwd()) -> str:\n    return path\n")
    assert pos(e) == (3, 22)


@pytest.mark.parametrize("src, where", [
    ("def main(a, *args): ...\n", (1, 13)),
    ("def main(a, **kwargs): ...\n", (1, 13)),
    ("def main(\n    a: int,\n    *rest: str,\n): ...\n", (3, 5)),
    ("def main(a, *, b, **kw): ...\n", (1, 19)),
    ("def main(*args, **kw): ...\n", (1, 10)),
])
def test_variadic_parameters_are_errors_at_the_parameter(src: str, where: tuple[int, int]) -> None:
    e = err(src)
    assert pos(e) == where and "variadic" in e.message


def test_errors_come_in_source_order() -> None:
    e = err("import os\ndef main(a=os.sep, *args): ...\n")
    assert pos(e) == (2, 12)


def test_error_positions_survive_a_long_module() -> None:
    filler = "".join(f"def f{i}(x):\n    return x\n\n" for i in range(50))
    src = "import os\n" + filler + "# comment\n\ndef main(a: int,\n         b=os.sep): ...\n"
    e = err(src)
    assert pos(e) == (src.splitlines().index("         b=os.sep): ...") + 1, 12)


# --- descriptions --------------------------------------------------------------------------------------

def test_google_docstring_descriptions() -> None:
    s = sig('''
        def main(name: str, times: int = 1, loud=False, other: str = "") -> str:
            """Say hello.

            Longer text.
                Indented text: not an argument.

            Args:
                name: who to greet
                times (int): how many times,
                    continued here.
                loud (bool, optional):
                    shout it
                missing: not a parameter

            Returns:
                name: not an argument either
            """
            return name
    ''')
    d = {i["name"]: i["description"] for i in s["inputs"]}
    assert d == {"name": "who to greet", "times": "how many times, continued here.", "loud": "shout it",
                 "other": None}


def test_annotated_description_wins_over_the_docstring() -> None:
    s = sig('''
        from typing import Annotated
        import typing as t
        def main(a: Annotated[int, "from annotated"], b: t.Annotated[str, 3, "second string"],
                 c: Annotated[int, 5] = 1, d: "Annotated[int, 'in a string']" = 2):
            """Args:
                a: from the docstring
                c: docstring only
            """
    ''')
    d = {i["name"]: (i["type"], i["description"]) for i in s["inputs"]}
    assert d == {"a": ("int", "from annotated"), "b": ("str", "second string"), "c": ("int", "docstring only"),
                 "d": ("int", "in a string")}


def test_other_docstring_section_names() -> None:
    s = sig('def main(a):\n    """Do.\n\n    Arguments:\n        a: the a\n    """\n')
    assert s["inputs"][0]["description"] == "the a"


# --- outputs ---------------------------------------------------------------------------------------------

def test_outputs_missing_none_and_plain() -> None:
    assert sig("def main(): ...\n")["outputs"] == [{"name": "result", "type": "Any"}]
    assert sig("def main() -> None: ...\n")["outputs"] == []
    assert sig("def main() -> 'None': ...\n")["outputs"] == []
    assert sig("def main() -> tuple[int, str]: ...\n")["outputs"] == [{"name": "result", "type": "tuple[int, str]"}]
    assert sig("def main() -> dict: ...\n")["returns_fields"] is False


def test_typeddict_output_fans_out() -> None:
    s = sig('''
        from typing import TypedDict, Optional
        class Summary(TypedDict):
            mean: float
            stdev: Optional[float]
        def main(values: list[float]) -> Summary: ...
    ''')
    assert s["outputs"] == [{"name": "mean", "type": "float"}, {"name": "stdev", "type": "float | None"}]
    assert s["returns_fields"] is True
    assert s["custom_types"] == {"Summary": {"fields": {"mean": "float", "stdev": "float | None"},
                                             "required": ["mean", "stdev"]}}


def test_namedtuple_output_fans_out_and_defaults_are_not_required() -> None:
    s = sig('''
        import typing
        class Pair(typing.NamedTuple):
            left: int
            right: str = "r"
        def main() -> "Pair": ...
    ''')
    assert s["outputs"] == [{"name": "left", "type": "int"}, {"name": "right", "type": "str"}]
    assert s["custom_types"]["Pair"] == {"fields": {"left": "int", "right": "str"}, "required": ["left"]}


def test_dataclass_output_and_fields() -> None:
    s = sig('''
        import dataclasses
        from dataclasses import dataclass, field
        from typing import ClassVar

        @dataclass(frozen=True)
        class Base:
            a: int
            b: str = "x"

        @dataclass
        class Report(Base):
            c: list[int] = field(default_factory=list)
            d: float = field(repr=False)
            e: ClassVar[int] = 3
            f: "dataclasses.InitVar[int]" = 0

        def main() -> Report: ...
    ''')
    assert s["outputs"] == [{"name": n, "type": t} for n, t in
                            [("a", "int"), ("b", "str"), ("c", "list[int]"), ("d", "float")]]
    assert s["custom_types"] == {"Report": {"fields": {"a": "int", "b": "str", "c": "list[int]", "d": "float"},
                                            "required": ["a", "d"]}}


def test_optional_custom_type_output_is_one_result() -> None:
    s = sig('''
        from typing import TypedDict, Optional
        class P(TypedDict):
            x: int
        def main() -> Optional[P]: ...
    ''')
    assert s["outputs"] == [{"name": "result", "type": "P | None"}] and s["returns_fields"] is False
    assert "P" in s["custom_types"]


def test_typeddict_totality_and_required_markers() -> None:
    s = sig('''
        from typing import TypedDict
        from typing_extensions import NotRequired, Required, Annotated

        class Base(TypedDict, total=False):
            a: int
            b: Required[str]

        class Child(Base):
            c: float
            d: NotRequired["list[int]"]
            e: Annotated[NotRequired[int], "doc"]

        def main(x: Child): ...
    ''')
    assert s["custom_types"] == {"Child": {
        "fields": {"a": "int", "b": "str", "c": "float", "d": "list[int]", "e": "int"},
        "required": ["b", "c"]}}


def test_nested_and_recursive_custom_types_are_listed() -> None:
    s = sig('''
        from typing import TypedDict, NamedTuple, Optional

        class Point(NamedTuple):
            x: float
            y: float

        class Node(TypedDict):
            at: Point
            children: "list[Node]"
            parent: Optional["Node"]

        class Unused(TypedDict):
            z: int

        def main(tree: Node) -> list[Point]: ...
    ''')
    assert list(s["custom_types"]) == ["Node", "Point"]
    assert s["custom_types"]["Node"]["fields"] == {"at": "Point", "children": "list[Node]", "parent": "Node | None"}
    assert s["outputs"] == [{"name": "result", "type": "list[Point]"}]


def test_plain_classes_are_opaque_not_custom() -> None:
    s = sig('''
        class Thing:
            x: int
        def main(t: Thing) -> Thing: ...
    ''')
    assert s["inputs"][0]["type"] == "Thing" and s["custom_types"] == {} and s["returns_fields"] is False


# --- syntax errors ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("src", [
    "def main(:\n    pass\n",
    "def main(x: int):\n    return (x\n",
    "def main(x):\n  return x\n   y = 1\n",
    "def main(x):\nreturn x\n",
    "x = 1 +\ndef main(): pass\n",
    "def main():\n    nonlocal y\n",
    "return 1\ndef main(): pass\n",
    "def main():\n    x = 'unterminated\n",
    "def main():\n    await f()\n",
    "def main(a, a): pass\n",
    "def main():\n\tif x:\n        pass\n\tpass\n",
    "é = 1 +\ndef main(): pass\n",
    "def main(x: int = 1, y): pass\n",
])
def test_syntax_errors_are_where_compile_puts_them(src: str) -> None:
    e = err(src)
    assert pos(e) == compile_position(src)
    assert "Error" in e.message


def test_null_byte_is_a_clean_error() -> None:
    e = err("def main():\n    x = 1\0\n")
    assert pos(e) == (2, 10)


def test_bytes_source_is_decoded() -> None:
    s = inspect_node("# -*- coding: latin-1 -*-\ndef main(x: str = 'é'): ...\n".encode("latin-1"))
    assert s["inputs"][0]["default"] == "é"


def test_crlf_source() -> None:
    s = inspect_node("import os\r\n\r\ndef main(a: int,\r\n         b: str = os.sep): ...\r\n".replace("os.sep", "'x'"))
    assert [i["name"] for i in s["inputs"]] == ["a", "b"]
    e = err("import os\r\n\r\ndef main(a: int,\r\n         b: str = os.sep): ...\r\n")
    assert pos(e) == (4, 19)


def test_unicode_columns_are_characters() -> None:
    e = err("import os\ndef main(é: str = 'é', ü=os.sep): ...\n")
    assert pos(e) == (2, 26)


# --- the reduced module gives what the whole module gives ---------------------------------------------

SAMPLES = [
    '''
    import functools, typing as t
    from dataclasses import dataclass, field

    @dataclass
    class Config:
        """Settings."""
        name: str
        retries: int = 3
        tags: list[str] = field(default_factory=list)

        @property
        def label(self) -> str:
            return self.name

        def retry(self):
            for _ in range(self.retries):
                pass

    class Empty:
        def only_a_method(self): ...

    def main(cfg: Config, e: Empty, n: t.Optional[int] = None) -> Config:
        @functools.wraps(main)
        def inner():
            return cfg
        return inner()
    ''',
    '''
    from typing import NamedTuple
    class P(NamedTuple):
        x: int; y: int = 0
    def main(p: P) -> P: return p
    ''',
    '''
    def main(
        a: int,   # comment
        # another
        b: "list[str]" = ["x"],
    ) -> dict:

        # a comment before the body

        x = 1
        return {"a": a}
    ''',
    '''
    class Holder:
        class Inner:
            v: int
        data: dict = {}
        if True:
            flag: bool = False
    def main(h: Holder) -> None:
        """Doc."""
    ''',
    # kept statements sharing a line with dropped multi-line ones: the dropped ones are kept whole
    '''
    print(
        1); Alias = list[int]
    def main(a: Alias) -> Alias: ...
    ''',
    '''
    Alias = int; print(
        1); print(
        2)
    from typing import TypedDict
    class P(TypedDict):
        x: Alias; print(
            3)
    def main(p: P, a: int):
        """Doc.

        Args:
            a: the a.
        """; print(
            4)
        return p
    ''',
]


@pytest.mark.parametrize("src", SAMPLES)
def test_reduced_module_equals_the_whole_module(src: str, monkeypatch) -> None:
    from qflow.authoring import signature

    src = textwrap.dedent(src)
    fast = inspect_node(src)
    monkeypatch.setattr(signature, "check_syntax", lambda s, v: (None, []))  # libcst on the whole file
    assert inspect_node(src) == fast


def test_reduced_module_keeps_dataclass_details() -> None:
    s = sig(SAMPLES[0])
    assert s["custom_types"] == {"Config": {"fields": {"name": "str", "retries": "int", "tags": "list[str]"},
                                            "required": ["name"]}}
    assert [i["type"] for i in s["inputs"]] == ["Config", "Empty", "int | None"]


def test_statements_sharing_a_line_with_kept_ones() -> None:
    import ast

    import libcst as cst

    from qflow.authoring.signature import find_main_ast, reduce_module

    for src in map(textwrap.dedent, SAMPLES[4:6]):
        tree = ast.parse(src)
        cst.parse_module(reduce_module(src, tree, find_main_ast(tree, "main"))[0])  # no fallback needed
    s = sig(SAMPLES[4])
    assert [i["type"] for i in s["inputs"]] == ["list[int]"] and s["outputs"][0]["type"] == "list[int]"
    s = sig(SAMPLES[5])
    assert s["inputs"] == [{"name": "p", "type": "P", "required": True, "description": None},
                           {"name": "a", "type": "int", "required": True, "description": "the a."}]
    assert s["custom_types"] == {"P": {"fields": {"x": "int"}, "required": ["x"]}}


def test_a_reduction_libcst_cannot_read_falls_back_to_the_whole_file(monkeypatch) -> None:
    from qflow.authoring import signature

    monkeypatch.setattr(signature, "reduce_module", lambda source, tree, main: ("def main(:\n", [0, 1]))
    s = sig("X = int\ndef main(a: X) -> X: ...\n")
    assert s["inputs"][0]["type"] == "int" and s["outputs"] == [{"name": "result", "type": "int"}]


def test_code_libcst_cannot_parse_is_a_clean_error() -> None:
    e = err("x = 1\n(y): int = 2\ndef main(): ...\n")
    assert e.line == 2 and "libcst" in e.message


def test_deep_nesting_is_a_clean_error_or_a_warning() -> None:
    for n in (60, 150):
        src = "def main(x: " + "list[" * n + "int" + "]" * n + "): pass\n"
        try:
            s = inspect_node(src)
        except NodeParseError as e:
            assert (e.line, e.column) >= (1, 1)
        else:
            assert s["inputs"][0]["type"].startswith("list[")


# --- classes made by a call ----------------------------------------------------------------------------

def test_functional_typeddict_namedtuple_and_namedtuple_are_custom_types() -> None:
    s = sig('''
        import collections
        import typing as t
        from typing import NamedTuple, NotRequired, TypedDict

        Point = TypedDict("Point", {"x": int, "y": NotRequired[float]})
        Opts = t.TypedDict("Opts", {"a-b": str, "c": "list[int]"}, total=False)
        Pair = NamedTuple("Pair", [("left", str), ("right", t.Optional[int])])
        Row = collections.namedtuple("Row", "a, b c", defaults=[0])

        def main(p: Point, o: Opts, r: Row) -> Pair:
            return Pair(str(p["x"]), None)
    ''')
    assert [(i["name"], i["type"]) for i in s["inputs"]] == [("p", "Point"), ("o", "Opts"), ("r", "Row")]
    assert s["outputs"] == [{"name": "left", "type": "str"}, {"name": "right", "type": "int | None"}]
    assert s["returns_fields"] is True
    assert s["custom_types"] == {
        "Point": {"fields": {"x": "int", "y": "float"}, "required": ["x"]},
        "Opts": {"fields": {"a-b": "str", "c": "list[int]"}, "required": []},
        "Row": {"fields": {"a": "Any", "b": "Any", "c": "Any"}, "required": ["a", "b"]},
        "Pair": {"fields": {"left": "str", "right": "int | None"}, "required": ["left", "right"]},
    }
    assert s["warnings"] == []


def test_a_functional_typeddict_with_keys_that_are_not_identifiers_is_one_output() -> None:
    s = sig('''
        from typing import TypedDict
        Out = TypedDict("Out", {"first-name": str})
        def main() -> Out:
            return {"first-name": "Ada"}
    ''')
    assert s["outputs"] == [{"name": "result", "type": "Out"}] and s["returns_fields"] is False


def test_a_functional_class_whose_fields_are_not_literal_is_any_with_one_warning() -> None:
    s = sig('''
        from typing import TypedDict
        FIELDS = {"a": int}
        P = TypedDict("P", FIELDS)
        def main(p: P) -> None:
            pass
    ''')
    assert s["inputs"][0]["type"] == "Any" and s["custom_types"] == {}
    assert s["warnings"] == ["'P' = TypedDict(\"P\", FIELDS): its fields are not literal; using Any"]
