"""Bad input gets a 4xx saying what was wrong and where — never a 500 — against a real PostgreSQL
database. Each case is one a review found answering 500."""

from __future__ import annotations

import pytest

from tests.api.conftest import register_and_login

pytestmark = pytest.mark.postgres

DOUBLE = "def main(x: int) -> int:\n    return 2 * x\n"
BIG = 2**63  # past PostgreSQL's BIGINT, let alone the INTEGER version columns


def _workflow(ref: str) -> dict:
    return {"name": "w", "nodes": [{"id": "a", "node": ref, "inputs": {"x": 1}}]}


def test_bad_node_references_are_a_validation_problem(client):
    h = register_and_login(client)
    node = client.post("/api/v1/nodes", json={"name": "double", "code": DOUBLE}, headers=h).json()
    refs = {
        "-" * 36 + "@1": "neither a library node name",  # 36 characters of the uuid alphabet, not a uuid
        f"{node['id']}@99999999999999999999999": "no such node version",
        f"{node['id']}@{'9' * 5000}": "no such node version",  # more digits than int() converts
        f"{node['id']}@0": "no such node version",
    }
    for ref, message in refs.items():
        r = client.post("/api/v1/workflows", json=_workflow(ref), headers=h)
        assert r.status_code == 422, (ref[:60], r.text[:300])
        problems = r.json()["detail"]["problems"]
        assert [p["node"] for p in problems] == ["a"] and message in problems[0]["message"]
    assert client.post("/api/v1/workflows", json=_workflow(f"{node['id']}@1"), headers=h).status_code == 201


def test_versions_offsets_and_limits_past_the_database_integers_are_422(client):
    h = register_and_login(client)
    node = client.post("/api/v1/nodes", json={"name": "double", "code": DOUBLE}, headers=h).json()
    wf = client.post("/api/v1/workflows", json=_workflow(f"{node['id']}@1"), headers=h).json()
    for path in (f"/api/v1/nodes?offset={BIG}", f"/api/v1/nodes/{node['id']}/versions/{BIG}",
                 f"/api/v1/workflows/{wf['id']}/versions/{BIG}", f"/api/v1/nodes/{node['id']}/versions/0"):
        r = client.get(path, headers=h)
        assert r.status_code == 422, (path, r.text)
    r = client.post(f"/api/v1/workflows/{wf['id']}/executions", json={"version": BIG}, headers=h)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "version"]
    # In range but missing: still the 404 of what does not exist.
    assert client.get(f"/api/v1/nodes/{node['id']}/versions/{2**31 - 1}", headers=h).status_code == 404
    assert client.get(f"/api/v1/workflows/{wf['id']}/versions/7", headers=h).status_code == 404
    assert client.get("/api/v1/nodes?offset=2147483647", headers=h).json() == []
