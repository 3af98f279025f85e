"""Workflow validation: pure, over specs and signatures (no Docker, no database)."""

from __future__ import annotations

import pytest

from qflow.authoring import inspect_node
from qflow.engine.spec import WorkflowFileError, parse_workflow
from qflow.engine.templates import TemplateError, parse_param_overrides, resolve
from qflow.engine.validate import topological_order, validate

SOURCES = {
    "ints": "def main(n: int) -> list[int]:\n    return list(range(n))\n",
    "floats": "def main(values: list[float]) -> float:\n    return sum(values)\n",
    "strs": "def main(values: list[str]) -> str:\n    return ''.join(values)\n",
    "bools": "def main(values: list[bool]) -> int:\n    return len(values)\n",
    "passthrough": "def main(x: int) -> int:\n    return x\n",
    "to_int": "def main(text: str) -> int:\n    return int(text)\n",
    "text": "def main() -> str:\n    return '3'\n",
}


def sigs(mapping: dict[str, str]) -> dict[str, dict]:
    return {node_id: inspect_node(SOURCES[kind]) for node_id, kind in mapping.items()}


def wf(nodes, connections, params=None):
    return parse_workflow({"name": "t", "params": params or {}, "nodes": nodes, "connections": connections})


def test_valid_chain_orders_nodes_and_records_verdicts():
    spec = wf([{"id": "b", "node": "x"}, {"id": "a", "node": "x", "inputs": {"n": 3}}],
              [{"from": "a.result", "to": "b.values"}])
    plan, problems = validate(spec, sigs({"a": "ints", "b": "floats"}), {})
    assert problems == []
    assert plan.order == ["a", "b"]
    assert plan.verdicts["a.result -> b.values"]["verdict"] == "compatible"
    assert plan.constants["a"] == {"n": 3}


def test_incompatible_connection_names_both_types_and_the_reason():
    spec = wf([{"id": "a", "node": "x", "inputs": {"n": 3}}, {"id": "b", "node": "x"}],
              [{"from": "a.result", "to": "b.values"}])
    plan, problems = validate(spec, sigs({"a": "ints", "b": "bools"}), {})
    assert plan is None and len(problems) == 1
    p = problems[0].to_json()
    assert p["connection"] == "a.result -> b.values" and p["node"] == "b"
    assert "list[int]" in p["message"] and "list[bool]" in p["message"] and "incompatible" in p["message"]


def test_convertible_connection_is_allowed():
    spec = wf([{"id": "t", "node": "x"}, {"id": "i", "node": "x"}], [{"from": "t.result", "to": "i.x"}])
    plan, problems = validate(spec, {"t": inspect_node(SOURCES["text"]), "i": inspect_node(SOURCES["passthrough"])}, {})
    assert problems == []
    assert plan.verdicts["t.result -> i.x"] == {"verdict": "convertible", "conversion": "int()",
                                                 "reason": plan.verdicts["t.result -> i.x"]["reason"]}


def test_every_problem_is_reported_not_just_the_first():
    spec = wf([{"id": "a", "node": "x", "inputs": {"n": 3}}, {"id": "b", "node": "x"},
               {"id": "c", "node": "x"}],
              [{"from": "a.result", "to": "b.values"}, {"from": "a.nope", "to": "c.x"},
               {"from": "ghost.result", "to": "c.x"}])
    _, problems = validate(spec, sigs({"a": "ints", "b": "bools", "c": "passthrough"}), {})
    messages = [p.message for p in problems]
    assert any("list[bool]" in m for m in messages)
    assert any("no output 'nope'" in m for m in messages)
    assert any("unknown node 'ghost'" in m for m in messages)
    assert any("required input c.x" in m for m in messages)


def test_cycle_is_reported_with_its_nodes():
    spec = wf([{"id": "a", "node": "x"}, {"id": "b", "node": "x"}, {"id": "c", "node": "x"},
               {"id": "d", "node": "x", "inputs": {"x": 1}}],
              [{"from": "a.result", "to": "b.x"}, {"from": "b.result", "to": "c.x"},
               {"from": "c.result", "to": "a.x"}])
    _, problems = validate(spec, sigs({k: "passthrough" for k in "abcd"}), {})
    cycles = [p for p in problems if p.message.startswith("cycle")]
    assert len(cycles) == 1
    assert cycles[0].message == "cycle: a -> b -> c -> a"


def test_two_cycles_are_two_problems():
    order, cycles = topological_order(list("abcde"), [("a", "b"), ("b", "a"), ("c", "d"), ("d", "c"), ("d", "e")])
    assert order == []
    assert sorted(map(sorted, cycles)) == [["a", "b"], ["c", "d"]]


def test_self_loop_is_a_cycle():
    _, cycles = topological_order(["a", "b"], [("a", "a"), ("a", "b")])
    assert cycles == [["a"]]


def test_input_wired_twice_and_wired_plus_constant():
    spec = wf([{"id": "a", "node": "x", "inputs": {"x": 1}}, {"id": "b", "node": "x", "inputs": {"x": 2}},
               {"id": "c", "node": "x", "inputs": {"x": 3}}],
              [{"from": "a.result", "to": "c.x"}, {"from": "b.result", "to": "c.x"}])
    _, problems = validate(spec, sigs({k: "passthrough" for k in "abc"}), {})
    messages = " | ".join(p.message for p in problems)
    assert "connected twice" in messages
    assert "both connected and given a value" in messages


def test_constant_inputs_are_type_checked_and_converted():
    spec = wf([{"id": "a", "node": "x", "inputs": {"x": "12"}}, {"id": "b", "node": "x", "inputs": {"x": "twelve"}}], [])
    plan, problems = validate(spec, sigs({"a": "passthrough", "b": "passthrough"}), {})
    assert len(problems) == 1 and problems[0].node == "b" and "b.x" in problems[0].message


def test_param_templates_keep_the_parameters_type():
    spec = wf([{"id": "a", "node": "x", "inputs": {"n": "{{ params.n }}"}}], [], params={"n": 4})
    plan, problems = validate(spec, sigs({"a": "ints"}), {"n": 4})
    assert problems == [] and plan.constants["a"] == {"n": 4}


def test_unknown_param_is_a_problem():
    spec = wf([{"id": "a", "node": "x", "inputs": {"n": "{{ params.missing }}"}}], [])
    _, problems = validate(spec, sigs({"a": "ints"}), {})
    assert len(problems) == 1 and "unknown parameter 'missing'" in problems[0].message


def test_templates():
    params = {"n": 3, "name": "world", "xs": [1, 2]}
    assert resolve("{{ params.n }}", params) == 3
    assert resolve("{{params.xs}}", params) == [1, 2]
    assert resolve("hello {{ params.name }} x{{ params.n }}", params) == "hello world x3"
    assert resolve({"a": ["{{ params.n }}"]}, params) == {"a": [3]}
    with pytest.raises(TemplateError):
        resolve("{{ params.nope }}", params)


def test_param_overrides_read_json_else_string():
    assert parse_param_overrides(["n=5", "s=hello", "xs=[1,2]", "q=\"5\""]) == {"n": 5, "s": "hello", "xs": [1, 2],
                                                                               "q": "5"}
    with pytest.raises(TemplateError):
        parse_param_overrides(["novalue"])


@pytest.mark.parametrize("doc, fragment", [
    ({"name": "x", "nodes": []}, "nodes"),
    ({"name": "x", "nodes": [{"id": "1a", "node": "n"}]}, "node id"),
    ({"name": "x", "nodes": [{"id": "a", "node": "n"}], "connections": [{"from": "a", "to": "b.x"}]}, "node_id.port"),
    ({"name": "x", "nodes": [{"id": "a", "node": "n"}], "bogus": 1}, "bogus"),
    ({"name": "x", "nodes": [{"id": "a", "node": "n"}], "settings": {"memory_mb": 1}}, "memory_mb"),
    ([1, 2], "mapping"),
])
def test_malformed_documents_say_where(doc, fragment):
    with pytest.raises(WorkflowFileError) as e:
        parse_workflow(doc)
    assert fragment in str(e.value)


def test_limits_fall_back_from_node_to_workflow_to_defaults():
    from qflow.config import Settings
    from qflow.engine.spec import effective_limits

    spec = parse_workflow({"name": "t", "settings": {"memory_mb": 512, "pids": 32, "output_mb": 2},
                           "nodes": [{"id": "a", "node": "x", "memory_mb": 128, "tmp_mb": 8},
                                     {"id": "b", "node": "x", "timeout_seconds": 5}]})
    defaults = Settings()
    a, b = effective_limits(spec, "a", defaults), effective_limits(spec, "b", defaults)
    assert (a.memory_mb, a.pids, a.tmp_mb, a.output_bytes) == (128, 32, 8, 2 * 2**20)
    assert a.timeout_seconds == defaults.default_timeout_seconds
    assert (b.memory_mb, b.timeout_seconds, b.tmp_mb) == (512, 5, defaults.default_tmp_size_mb)
    with pytest.raises(WorkflowFileError):
        parse_workflow({"name": "t", "nodes": [{"id": "a", "node": "x", "pids": 1}]})
