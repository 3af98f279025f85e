"""How the API resolves a workflow's nodes (against a real PostgreSQL database): a node's `main` and the
workflow's `python_version` apply to library and stored nodes as they do to `qflow run`'s files, and
a Python version Qflow does not support is refused naming the field."""

from __future__ import annotations

import pytest

from tests.api.conftest import register_and_login

pytestmark = pytest.mark.postgres

TWO_MAINS = """\
def main(x: int) -> int:
    return x


def shout(text: str) -> str:
    return text.upper()
"""


def _workflow(**kw) -> dict:
    return {"name": "w", "nodes": [{"id": "n", "node": "range_list", "inputs": {"n": 3}}], **kw}


def test_an_unsupported_python_version_is_422_naming_the_field(client):
    h = register_and_login(client)
    for version in ("abc", "3.99", "2.7", ""):
        r = client.post("/api/v1/workflows", json=_workflow(python_version=version), headers=h)
        assert r.status_code == 422, (version, r.text)
        message = r.json()["detail"]["message"]
        assert "python_version" in message and "3.9, 3.11, 3.13" in message
    assert client.get("/api/v1/workflows", headers=h).json() == []  # nothing stored
    wf = client.post("/api/v1/workflows", json=_workflow(), headers=h).json()
    r = client.put(f"/api/v1/workflows/{wf['id']}", json=_workflow(python_version="abc"), headers=h)
    assert r.status_code == 422 and "python_version" in r.json()["detail"]["message"]
    assert client.get(f"/api/v1/workflows/{wf['id']}", headers=h).json()["latest_version"] == 1


def test_a_nodes_main_applies_to_library_and_stored_nodes(client):
    h = register_and_login(client)
    # A main function the library node does not have is a problem on that node, as with `qflow run`.
    wf = {"name": "w", "nodes": [{"id": "a", "node": "range_list", "main": "nope", "inputs": {"n": 1}}]}
    r = client.post("/api/v1/workflows", json=wf, headers=h)
    assert r.status_code == 422, r.text
    problems = r.json()["detail"]["problems"]
    assert [p["node"] for p in problems] == ["a"] and "nope" in problems[0]["message"]
    # A stored node run with another of its functions takes that function's inputs and outputs.
    node = client.post("/api/v1/nodes", json={"name": "two", "code": TWO_MAINS}, headers=h).json()
    shout = {"name": "w", "nodes": [{"id": "s", "node": f"{node['id']}@1", "main": "shout", "inputs": {"text": "hi"}},
                                     {"id": "t", "node": "slugify"}],
             "connections": [{"from": "s.result", "to": "t.text"}]}
    r = client.post("/api/v1/workflows", json=shout, headers=h)
    assert r.status_code == 201, r.text
    wrong = {**shout, "nodes": [{**shout["nodes"][0], "inputs": {"x": 1}}, shout["nodes"][1]]}
    r = client.post("/api/v1/workflows", json=wrong, headers=h)
    assert r.status_code == 422 and "text" in r.text  # shout's required input, not main's


def test_the_workflows_python_version_applies_to_library_nodes(client):
    from qflow.engine.prepare import prepare_workflow
    from qflow.engine.spec import parse_workflow

    h = register_and_login(client)
    node = client.post("/api/v1/nodes", json={"name": "two", "code": TWO_MAINS, "python_version": "3.13"},
                       headers=h).json()
    spec = parse_workflow({"name": "w", "python_version": "3.9", "nodes": [
        {"id": "lib", "node": "range_list", "inputs": {"n": 2}},
        {"id": "own", "node": f"{node['id']}@1", "main": "shout", "inputs": {"text": "x"}}]})
    with client.app.state.sessions() as session:
        resolved, _ = prepare_workflow(spec, {}, None, session)
    assert resolved["lib"].python_version == "3.9" and resolved["lib"].node_version_id is not None
    # A stored version keeps the Python version it was saved for; its main function is the node's.
    assert resolved["own"].python_version == "3.13"
    assert resolved["own"].signature["main_function"] == "shout"
    assert resolved["own"].node_version_id is not None
