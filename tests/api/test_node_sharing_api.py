"""Who sees a node, and what keeps it alive (against a real PostgreSQL database): re-creating a deleted
node brings back none of its old metadata, re-posting a live one applies what the body sets, a public
node stays public while other users' workflows use it, and deleting a workflow frees its nodes."""

from __future__ import annotations

import pytest

from tests.api.conftest import register_and_login

pytestmark = pytest.mark.postgres

ONE = "def main() -> int:\n    return 1\n"
SECRET = "API_KEY = 'hunter2'\n\ndef main() -> int:\n    return 2\n"
DOUBLE = "def main(x: int) -> int:\n    return 2 * x\n"


def _uses(node_id: str, version: int = 1) -> dict:
    return {"name": "uses", "nodes": [{"id": "a", "node": f"{node_id}@{version}", "inputs": {"x": 1}}]}


def test_a_deleted_public_node_comes_back_private_and_untagged(client):
    alice = register_and_login(client, "alice@example.com")
    bob = register_and_login(client, "bob@example.com")
    node = client.post("/api/v1/nodes", json={"name": "secret", "code": ONE, "is_public": True, "is_template": True,
                                              "description": "shared", "tags": ["old"]}, headers=alice).json()
    assert client.delete(f"/api/v1/nodes/{node['id']}", headers=alice).status_code == 204
    again = client.post("/api/v1/nodes", json={"name": "secret", "code": SECRET}, headers=alice)
    assert again.status_code == 201, again.text
    back = again.json()
    assert back["id"] == node["id"] and back["latest_version"] == 2  # the same node, its history kept
    assert (back["is_public"], back["is_template"], back["description"], back["tags"]) == (False, False, "", [])
    # Bob can no longer read it, its old version or the new one.
    for path in (f"/api/v1/nodes/{node['id']}", f"/api/v1/nodes/{node['id']}/versions/2",
                 f"/api/v1/nodes/{node['id']}/versions/1"):
        assert client.get(path, headers=bob).status_code == 404
    # What the body sets, it gets.
    client.delete(f"/api/v1/nodes/{node['id']}", headers=alice)
    third = client.post("/api/v1/nodes", json={"name": "secret", "code": SECRET, "tags": ["new"],
                                               "description": "again"}, headers=alice).json()
    assert (third["is_public"], third["tags"], third["description"]) == (False, ["new"], "again")


def test_reposting_a_live_node_applies_the_metadata_the_body_sets(client):
    h = register_and_login(client)
    node = client.post("/api/v1/nodes", json={"name": "n", "code": ONE, "description": "first", "tags": ["a"]},
                       headers=h).json()
    r = client.post("/api/v1/nodes", json={"name": "n", "code": ONE, "description": "new desc", "is_template": True},
                    headers=h)
    assert r.status_code == 200 and r.json()["latest_version"] == 1  # same code: no new version
    got = client.get(f"/api/v1/nodes/{node['id']}", headers=h).json()
    assert (got["description"], got["is_template"], got["is_public"], got["tags"]) == ("new desc", True, False, ["a"])
    # Fields left out stay as they are.
    client.post("/api/v1/nodes", json={"name": "n", "code": ONE, "is_public": True}, headers=h)
    got = client.get(f"/api/v1/nodes/{node['id']}", headers=h).json()
    assert (got["description"], got["is_template"], got["is_public"]) == ("new desc", True, True)


def test_a_node_other_users_workflows_use_stays_public(client):
    alice = register_and_login(client, "alice@example.com")
    bob = register_and_login(client, "bob@example.com")
    node = client.post("/api/v1/nodes", json={"name": "pub", "code": DOUBLE, "is_public": True}, headers=alice).json()
    wf = client.post("/api/v1/workflows", json=_uses(node["id"]), headers=bob)
    assert wf.status_code == 201, wf.text
    r = client.patch(f"/api/v1/nodes/{node['id']}", json={"is_public": False}, headers=alice)
    assert r.status_code == 409 and "other users" in r.json()["detail"]
    r = client.post("/api/v1/nodes", json={"name": "pub", "code": DOUBLE, "is_public": False}, headers=alice)
    assert r.status_code == 409
    assert client.get(f"/api/v1/nodes/{node['id']}", headers=alice).json()["is_public"] is True
    assert client.get(f"/api/v1/workflows/{wf.json()['id']}", headers=bob).status_code == 200
    # Alice's own workflows do not hold it public; other metadata still changes.
    assert client.post("/api/v1/workflows", json=_uses(node["id"]), headers=alice).status_code == 201
    assert client.patch(f"/api/v1/nodes/{node['id']}", json={"description": "x"}, headers=alice).status_code == 200
    # Once Bob deletes his workflow, Alice may make it private.
    assert client.delete(f"/api/v1/workflows/{wf.json()['id']}", headers=bob).status_code == 204
    r = client.patch(f"/api/v1/nodes/{node['id']}", json={"is_public": False}, headers=alice)
    assert r.status_code == 200 and r.json()["is_public"] is False


def test_deleting_a_workflow_hides_it_keeps_its_versions_and_frees_its_nodes(client, api_db):
    from sqlalchemy import create_engine, text

    alice = register_and_login(client, "alice@example.com")
    bob = register_and_login(client, "bob@example.com")
    node = client.post("/api/v1/nodes", json={"name": "double", "code": DOUBLE}, headers=alice).json()
    wf = client.post("/api/v1/workflows", json=_uses(node["id"]), headers=alice).json()
    client.put(f"/api/v1/workflows/{wf['id']}", json={**_uses(node["id"]), "description": "v2"}, headers=alice)
    assert client.delete(f"/api/v1/nodes/{node['id']}", headers=alice).status_code == 409
    # Another user's workflow answers 404, like a missing one, and stays.
    assert client.delete(f"/api/v1/workflows/{wf['id']}", headers=bob).status_code == 404
    assert client.get(f"/api/v1/workflows/{wf['id']}", headers=alice).status_code == 200
    assert client.delete(f"/api/v1/workflows/{wf['id']}", headers=alice).status_code == 204
    for method, path, kw in [("GET", f"/api/v1/workflows/{wf['id']}", {}),
                             ("GET", f"/api/v1/workflows/{wf['id']}/versions", {}),
                             ("PUT", f"/api/v1/workflows/{wf['id']}", {"json": _uses(node["id"])}),
                             ("POST", f"/api/v1/workflows/{wf['id']}/executions", {"json": {}}),
                             ("DELETE", f"/api/v1/workflows/{wf['id']}", {})]:
        r = client.request(method, path, headers=alice, **kw)
        assert r.status_code == 404, (method, path, r.text)
    assert client.get("/api/v1/workflows", headers=alice).json() == []
    engine = create_engine(api_db)
    with engine.connect() as c:
        versions = c.execute(text("SELECT version FROM workflow_versions ORDER BY version")).scalars().all()
    engine.dispose()
    assert versions == [1, 2]  # history kept
    assert client.delete(f"/api/v1/nodes/{node['id']}", headers=alice).status_code == 204
