"""Every built-in node runs in its container and gives the documented result (one warm container for
the module, a fresh process per case — the default isolation)."""

from __future__ import annotations

import datetime as dt

import pytest

from qflow.paths import NODE_LIBRARY_DIR
from qflow.sandbox.container import Limits
from qflow.sandbox.run_node import prepare, run_prepared

pytestmark = pytest.mark.docker

CASES = {
    "range_list": ({"n": 4, "start": 2, "step": 3}, {"result": [2, 5, 8, 11]}),
    "sum_values": ({"values": [1, 2.5, 3]}, {"result": 6.5}),
    "describe_numbers": ({"values": [2, 4, 4, 4, 5, 5, 7, 9]},
                         {"count": 8, "mean": 5.0, "median": 4.5, "stdev": 2.138089935299395,
                          "minimum": 2.0, "maximum": 9.0}),
    "word_count": ({"text": "It is what it is, isn't it?", "top": 2}, {"result": {"it": 3, "is": 2}}),
    "csv_to_rows": ({"text": "a;b\n1;x\n2;y\n", "delimiter": ";"},
                    {"result": [{"a": "1", "b": "x"}, {"a": "2", "b": "y"}]}),
    "column_values": ({"rows": [{"a": "1"}, {"a": "2"}], "column": "a"}, {"result": ["1", "2"]}),
    "parse_json": ({"text": '{"k": [1, null, true]}'}, {"result": {"k": [1, None, True]}}),
    "to_json": ({"value": {"b": 1, "a": [1, 2]}, "indent": 0}, {"result": '{"a": [1, 2], "b": 1}'}),
    "date_range": ({"start": "2024-02-27", "days": 3},
                   {"result": [dt.date(2024, 2, 27), dt.date(2024, 2, 28), dt.date(2024, 2, 29)]}),
    "days_between": ({"start": "2024-01-01", "end": "2024-03-01"}, {"result": 60}),
    "slugify": ({"text": "Crème Brûlée: a Recipe!"}, {"result": "creme-brulee-a-recipe"}),
    "fibonacci": ({"n": 15}, {"result": 610}),
    "yaml_to_dict": ({"text": "a: 1\nb: [x, y]\n"}, {"result": {"a": 1, "b": ["x", "y"]}}),
}


@pytest.fixture(scope="module")
def warm(docker_client, runner_image):
    from qflow.sandbox.sandboxes import ExecutionContainers

    sandbox = ExecutionContainers(docker_client, "library-tests")
    yield sandbox
    sandbox.close()


def test_every_library_node_has_a_case():
    assert {p.stem for p in NODE_LIBRARY_DIR.glob("*.py")} == set(CASES)


@pytest.mark.parametrize("name", sorted(CASES))
def test_library_node_runs_in_its_container(name, warm):
    inputs, expected = CASES[name]
    node = prepare((NODE_LIBRARY_DIR / f"{name}.py").read_text())
    result = run_prepared(node, inputs, Limits(timeout_seconds=30), sandbox=warm)
    assert result.status == "completed", result.error
    assert result.outputs == expected
    assert result.container_id is not None


def test_library_node_errors_are_node_errors(warm):
    node = prepare((NODE_LIBRARY_DIR / "column_values.py").read_text())
    result = run_prepared(node, {"rows": [{"a": "1"}, {"b": "2"}], "column": "a"}, Limits(), sandbox=warm)
    assert result.status == "failed" and result.error["type"] == "NodeError"
    assert "KeyError" in result.error["message"] and "[1]" in result.error["message"]


def test_unknown_requirement_fails_the_node_naming_the_package(warm):
    code = ("# /// script\n# dependencies = [\"qflow-no-such-package-xyz==1.0\"]\n# ///\n"
            "import qflow_no_such_package_xyz\n\ndef main() -> int:\n    return 1\n")
    result = run_prepared(prepare(code), {}, Limits(), sandbox=warm)
    assert result.status == "failed" and result.error["type"] == "NodeError"
    assert "qflow-no-such-package-xyz" in result.error["message"]
