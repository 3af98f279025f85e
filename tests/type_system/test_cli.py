"""`qflow types check` through the installed console script (SPEC §1, §4)."""

import json
import subprocess
from pathlib import Path

import pytest

QFLOW = Path(__file__).resolve().parents[2] / ".venv" / "bin" / "qflow"


def qflow(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(QFLOW), *args], capture_output=True, text=True, timeout=60)


@pytest.fixture(scope="module")
def point_file(tmp_path_factory) -> Path:
    f = tmp_path_factory.mktemp("types") / "custom.json"
    f.write_text(
        json.dumps(
            {
                "Point": {"fields": {"x": "float", "y": "float"}, "required": ["x", "y"]},
                "Point3": {"fields": {"x": "float", "y": "float", "z": "float"}, "required": ["x", "y", "z"]},
            }
        )
    )
    return f


@pytest.mark.parametrize(
    "src,tgt,expected",
    [
        ("int", "float", {"verdict": "compatible", "conversion": None}),
        ("str", "float", {"verdict": "convertible", "conversion": "float()"}),
        ("str", "bool", {"verdict": "incompatible", "conversion": None}),
        ("list[str]", "list[int] | None", {"verdict": "convertible", "conversion": "int()"}),
        ("Literal['a', 'b']", "str", {"verdict": "compatible", "conversion": None}),
        ("pandas.DataFrame", "dict[str, Any]", {"verdict": "incompatible", "conversion": None}),
    ],
)
def test_verdict_json(src, tgt, expected):
    out = qflow("types", "check", src, tgt, "--json")
    assert out.returncode == 0, out.stderr
    body = json.loads(out.stdout)
    assert list(body) == ["verdict", "conversion", "reason"]
    assert {k: body[k] for k in ("verdict", "conversion")} == expected
    assert isinstance(body["reason"], str) and body["reason"]


def test_incompatible_reason_locates_the_problem():
    body = json.loads(qflow("types", "check", "list[str]", "list[bool]", "--json").stdout)
    assert body["reason"].startswith("list element: str → bool is incompatible")


def test_custom_types_file(point_file: Path):
    out = qflow("types", "check", "Point3", "Point", "--custom-types", str(point_file), "--json")
    assert out.returncode == 0
    assert json.loads(out.stdout)["verdict"] == "compatible"
    out = qflow("types", "check", "Point", "Point3", "--custom-types", str(point_file), "--json")
    body = json.loads(out.stdout)
    assert body["verdict"] == "incompatible"
    assert "field 'z'" in body["reason"]
    out = qflow("types", "check", "dict[str, int]", "Point", "--custom-types", str(point_file), "--json")
    assert json.loads(out.stdout)["verdict"] == "convertible"


def test_without_json_prints_one_line():
    out = qflow("types", "check", "str", "int")
    assert out.returncode == 0
    assert out.stdout == "convertible (int()): str → int is convertible with int()\n"


@pytest.mark.parametrize(
    "args,fragment",
    [
        (["list[int", "int"], "invalid source type 'list[int': expected ']', found end of string at position 8"),
        (["int", "dict[str]"], "invalid target type 'dict[str]'"),
        (["int", "Literal[1.5]"], "position 8"),
    ],
)
def test_bad_type_strings_exit_2_with_a_json_error(args, fragment):
    out = qflow("types", "check", *args, "--json")
    assert out.returncode == 2
    body = json.loads(out.stdout)
    assert list(body) == ["error"] and list(body["error"]) == ["message"]
    assert fragment in body["error"]["message"]
    assert "Traceback" not in out.stdout + out.stderr


def test_bad_type_string_without_json_is_one_line_on_stderr():
    out = qflow("types", "check", "list[int", "int")
    assert out.returncode == 2
    assert out.stdout == ""
    assert out.stderr.count("\n") == 1 and out.stderr.startswith("error: invalid source type")


@pytest.mark.parametrize(
    "content,fragment",
    [
        ("{not json", "invalid JSON"),
        ('{"Point": {"fields": {"x": "flaot ["}}}', "custom type 'Point': field 'x'"),
        ('{"Point": {"fields": {"x": "float"}, "required": ["y"]}}', "required field 'y'"),
        ("[1, 2]", "must be a JSON object"),
    ],
)
def test_bad_custom_types_file_exit_2(tmp_path: Path, content, fragment):
    f = tmp_path / "bad.json"
    f.write_text(content)
    out = qflow("types", "check", "int", "float", "--custom-types", str(f), "--json")
    assert out.returncode == 2
    body = json.loads(out.stdout)
    assert fragment in body["error"]["message"]
    assert "\n" not in body["error"]["message"]
    assert "Traceback" not in out.stderr


def test_missing_custom_types_file_exit_2(tmp_path: Path):
    out = qflow("types", "check", "int", "float", "--custom-types", str(tmp_path / "nope.json"), "--json")
    assert out.returncode == 2
    assert "not found" in json.loads(out.stdout)["error"]["message"]
