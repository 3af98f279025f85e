"""The node library over HTTP on PostgreSQL: seeded built-ins, tags, filters and search, metadata
changes, and deletes refused while a workflow uses the node."""

from __future__ import annotations

import pytest

from qflow.services.library import library_files
from tests.api.conftest import register_and_login

pytestmark = pytest.mark.postgres

DOUBLE = "def main(x: int) -> int:\n    return 2 * x\n"


def test_library_is_seeded_as_public_templates(client):
    h = register_and_login(client)
    nodes = client.get("/api/v1/nodes", params={"limit": 500}, headers=h).json()
    builtins = {n["name"]: n for n in nodes if n["builtin"]}
    assert set(builtins) == set(library_files())
    assert len(builtins) >= 10
    assert all(n["is_public"] and n["is_template"] and "library" in n["tags"] for n in builtins.values())
    assert builtins["describe_numbers"]["description"].startswith("Descriptive statistics")
    one = client.get(f"/api/v1/nodes/{builtins['range_list']['id']}", headers=h).json()
    assert one["version"]["signature"]["outputs"] == [{"name": "result", "type": "list[int]"}]
    # Built-ins are visible to everyone but changed by no one.
    assert client.patch(f"/api/v1/nodes/{one['id']}", json={"description": "x"}, headers=h).status_code == 403
    assert client.delete(f"/api/v1/nodes/{one['id']}", headers=h).status_code == 403


def test_reseeding_an_unchanged_library_creates_nothing(client):
    from qflow.services.library import seed_library

    report = seed_library(client.app.state.sessions)
    assert report.created == [] and report.updated == [] and len(report.unchanged) == len(library_files())


def test_tags_filters_and_search(client):
    h = register_and_login(client)
    client.post("/api/v1/nodes", json={"name": "double", "code": DOUBLE, "tags": ["Math", "demo"],
                                       "description": "doubles a number"}, headers=h)
    client.post("/api/v1/nodes", json={"name": "triple", "code": DOUBLE.replace("2 *", "3 *"), "tags": ["math"],
                                       "is_template": True}, headers=h)

    def names(**params):
        r = client.get("/api/v1/nodes", params=params, headers=h)
        assert r.status_code == 200, r.text
        return sorted(n["name"] for n in r.json())

    assert names(tag="math", mine=True) == ["double", "triple"]
    assert names(tag=["math", "demo"]) == ["double"]
    assert names(q="doubles") == ["double"]
    assert names(mine=True, template=True) == ["triple"]
    assert "word_count" in names(q="words", tag="library")
    node = [n for n in client.get("/api/v1/nodes", params={"mine": True}, headers=h).json()
            if n["name"] == "double"][0]
    assert node["tags"] == ["demo", "math"]
    r = client.patch(f"/api/v1/nodes/{node['id']}", json={"tags": ["arith"], "is_public": True}, headers=h)
    assert r.status_code == 200 and r.json()["tags"] == ["arith"] and r.json()["is_public"] is True
    assert names(tag="math", mine=True) == ["triple"]
    # A public node of another user is visible but not theirs to change.
    other = register_and_login(client, "other@example.com")
    assert client.get(f"/api/v1/nodes/{node['id']}", headers=other).status_code == 200
    assert client.patch(f"/api/v1/nodes/{node['id']}", json={"tags": []}, headers=other).status_code == 403


def test_delete_refused_while_a_workflow_uses_the_node(client):
    h = register_and_login(client)
    node = client.post("/api/v1/nodes", json={"name": "double", "code": DOUBLE}, headers=h).json()
    spare = client.post("/api/v1/nodes", json={"name": "spare", "code": DOUBLE}, headers=h).json()
    wf = {"name": "uses", "nodes": [{"id": "a", "node": f"{node['id']}@1", "inputs": {"x": 1}}]}
    assert client.post("/api/v1/workflows", json=wf, headers=h).status_code == 201
    r = client.delete(f"/api/v1/nodes/{node['id']}", headers=h)
    assert r.status_code == 409 and "workflow" in r.json()["detail"]
    assert client.get(f"/api/v1/nodes/{node['id']}", headers=h).status_code == 200
    assert client.delete(f"/api/v1/nodes/{spare['id']}", headers=h).status_code == 204
    assert client.get(f"/api/v1/nodes/{spare['id']}", headers=h).status_code == 404
    # Its name can be used again; the old versions are still there as history.
    again = client.post("/api/v1/nodes", json={"name": "spare", "code": DOUBLE + "\n# v2\n"}, headers=h)
    assert again.status_code == 201 and again.json()["latest_version"] == 2


def test_workflow_with_a_library_name_records_the_builtin_version(client):
    from sqlalchemy import select

    from qflow.db.models import PythonNode, PythonNodeVersion, WorkflowVersionNode

    h = register_and_login(client)
    wf = {"name": "lib", "nodes": [{"id": "n", "node": "range_list", "inputs": {"n": 3}}]}
    assert client.post("/api/v1/workflows", json=wf, headers=h).status_code == 201
    with client.app.state.sessions() as s:
        row = s.execute(select(PythonNode.name, PythonNode.owner_id)
                        .join(PythonNodeVersion, PythonNodeVersion.node_id == PythonNode.id)
                        .join(WorkflowVersionNode, WorkflowVersionNode.node_version_id == PythonNodeVersion.id)).one()
    assert row.name == "range_list" and row.owner_id is None


def test_a_tag_too_long_is_a_422_and_stores_nothing(client):
    h = register_and_login(client)
    r = client.post("/api/v1/nodes", json={"name": "t", "code": DOUBLE, "tags": ["x" * 65]}, headers=h)
    assert r.status_code == 422 and "64 characters" in r.text
    assert client.get("/api/v1/nodes", params={"mine": True}, headers=h).json() == []
