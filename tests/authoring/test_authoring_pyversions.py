"""A node's Python version: 3.9, 3.11 or 3.13; its syntax is that version's `compile()`."""

from __future__ import annotations

import json
import warnings

import pytest

from qflow.authoring import NodeParseError, SUPPORTED_PYTHON_VERSIONS, inspect_node, pyversions

MATCH = "def main(x):\n    match x:\n        case 1:\n            return 1\n"
WALRUS_ONLY_39 = "def main(x):\n    return x\n"
PEP695 = "type Pair = tuple[int, int]\ndef main(p: Pair) -> Pair:\n    return p\n"
GENERIC_DEF = "def main[T](x: T) -> T:\n    return x\n"


def test_supported_versions() -> None:
    assert SUPPORTED_PYTHON_VERSIONS == ("3.9", "3.11", "3.13")


@pytest.mark.parametrize("version", ["3.10", "3.12", "2.7", "3", "", "3.11.4", "latest"])
def test_unknown_version_is_an_error(version: str) -> None:
    with pytest.raises(NodeParseError) as info:
        inspect_node("def main(): ...\n", python_version=version)
    assert (info.value.line, info.value.column) == (1, 1) and "version" in info.value.message


def test_311_is_the_default_and_accepts_match() -> None:
    assert inspect_node(MATCH)["inputs"][0]["name"] == "x"
    with pytest.raises(NodeParseError) as info:
        inspect_node(PEP695)
    assert (info.value.line, info.value.column) == (1, 6)


@pytest.fixture
def no_interpreters(monkeypatch):
    monkeypatch.setattr(pyversions, "find_interpreter", lambda v: None)


def test_fallback_39_rejects_newer_syntax_with_a_warning(no_interpreters) -> None:
    with pytest.raises(NodeParseError) as info:
        inspect_node(MATCH, python_version="3.9")
    assert info.value.line in (2, 3, 4)
    sig = inspect_node(WALRUS_ONLY_39, python_version="3.9")
    assert sig["warnings"] and "python3.9" in sig["warnings"][0]


def test_fallback_313_accepts_newer_syntax_through_libcst(no_interpreters) -> None:
    sig = inspect_node(PEP695, python_version="3.13")
    assert sig["inputs"][0]["type"] == "tuple[int, int]"
    assert sig["outputs"] == [{"name": "result", "type": "tuple[int, int]"}]
    assert sig["warnings"] and "python3.13" in sig["warnings"][0]
    sig = inspect_node(GENERIC_DEF, python_version="3.13")
    assert sig["inputs"][0]["name"] == "x"
    with pytest.raises(NodeParseError) as info:
        inspect_node("def main(:\n", python_version="3.13")
    assert (info.value.line, info.value.column) == (1, 10)


def test_fallback_313_dependencies_without_an_ast(no_interpreters) -> None:
    src = "import yaml\nfrom . import x\ntype A = int\ndef main():\n    from google.protobuf import any_pb2\n"
    assert inspect_node(src, python_version="3.13")["dependencies"] == ["protobuf", "PyYAML"]


def test_fake_interpreter_positions_are_used(monkeypatch, tmp_path) -> None:
    """An interpreter's reported position is what the error carries."""
    fake = tmp_path / "python3.9"
    fake.write_text("#!/bin/sh\ncat > /dev/null\necho '" + json.dumps(
        {"ok": False, "type": "SyntaxError", "msg": "invalid syntax", "lineno": 7, "offset": 3}) + "'\n")
    fake.chmod(0o755)
    monkeypatch.setattr(pyversions, "find_interpreter", lambda v: str(fake))
    with pytest.raises(NodeParseError) as info:
        inspect_node("def main(): ...\n", python_version="3.9")
    assert (info.value.line, info.value.column, info.value.message) == (7, 3, "SyntaxError: invalid syntax")


def _real(version: str) -> str | None:
    pyversions.find_interpreter.cache_clear()
    return pyversions.find_interpreter(version)


@pytest.mark.parametrize("version, src, ok", [
    ("3.9", MATCH, False), ("3.9", "def main(x: int | None = None): ...\n", True),
    ("3.13", PEP695, True), ("3.13", GENERIC_DEF, True), ("3.9", PEP695, False),
    ("3.13", "def main():\n    return f'{\"a\" \"b\"}'\n", True),
])
def test_real_interpreter(version: str, src: str, ok: bool) -> None:
    interpreter = _real(version)
    if interpreter is None:
        pytest.skip(f"no python{version} here")
    if ok:
        assert inspect_node(src, python_version=version)["warnings"] == []
    else:
        with pytest.raises(NodeParseError) as info:
            inspect_node(src, python_version=version)
        assert info.value.line >= 1 and info.value.column >= 1


def test_real_39_position_for_match() -> None:
    if _real("3.9") is None:
        pytest.skip("no python3.9 here")
    with pytest.raises(NodeParseError) as info:
        inspect_node(MATCH, python_version="3.9")
    assert (info.value.line, info.value.column) == (2, 11)


def test_in_process_positions_equal_compile() -> None:
    src = "def main():\n    x = (1,\n    y = 2\n"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            compile(src, "<node>", "exec")
        except SyntaxError as e:
            expected = (e.lineno, e.offset)
    with pytest.raises(NodeParseError) as info:
        inspect_node(src)
    assert (info.value.line, info.value.column) == expected


def test_invalid_escape_warnings_do_not_become_errors() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert inspect_node("def main(p: str = '\\d+'): ...\n")["inputs"][0]["default"] == "\\d+"
