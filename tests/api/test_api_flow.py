"""The API over HTTP (FastAPI's TestClient) against a real PostgreSQL database and real containers."""

from __future__ import annotations

import time
import uuid

import pytest

from tests.api.conftest import ended, register_and_login

pytestmark = pytest.mark.postgres

DOUBLE = "def main(x: int) -> int:\n    return 2 * x\n"
TRIPLE = "def main(x: int) -> int:\n    return 3 * x\n"
TO_TEXT = "def main(value: int) -> str:\n    return str(value)\n"


def test_register_login_and_token_rules(client):
    headers = register_and_login(client)
    assert client.get("/api/v1/nodes", headers=headers).status_code == 200
    assert client.get("/api/v1/nodes").status_code == 401
    assert client.get("/api/v1/nodes", headers={"Authorization": "Bearer nope"}).status_code == 401
    dup = client.post("/api/v1/auth/register", json={"email": "ADA@example.com", "password": "another pass"})
    assert dup.status_code == 409
    bad = client.post("/api/v1/auth/login", json={"email": "ada@example.com", "password": "wrong password"})
    assert bad.status_code == 401
    short = client.post("/api/v1/auth/register", json={"email": "b@example.com", "password": "short"})
    assert short.status_code == 422 and "password" in short.text


def test_nodes_create_version_and_read_back(client):
    h = register_and_login(client)
    r = client.post("/api/v1/nodes", json={"name": "double", "code": DOUBLE}, headers=h)
    assert r.status_code == 201, r.text
    node = r.json()
    assert node["latest_version"] == 1
    assert node["version"]["signature"]["inputs"][0] == {"name": "x", "type": "int", "required": True,
                                                          "description": None}
    uuid.UUID(node["id"])
    # Unchanged code: no new version.
    same = client.post("/api/v1/nodes", json={"name": "double", "code": DOUBLE}, headers=h)
    assert same.status_code == 200 and same.json()["latest_version"] == 1
    # Changed code: version 2.
    changed = client.post("/api/v1/nodes", json={"name": "double", "code": TRIPLE}, headers=h)
    assert changed.status_code == 201 and changed.json()["latest_version"] == 2
    versions = client.get(f"/api/v1/nodes/{node['id']}/versions", headers=h).json()
    assert [v["version"] for v in versions] == [1, 2]
    v1 = client.get(f"/api/v1/nodes/{node['id']}/versions/1", headers=h).json()
    assert v1["code"] == DOUBLE
    listed = client.get("/api/v1/nodes", params={"mine": True}, headers=h).json()
    assert [n["name"] for n in listed] == ["double"]


def test_node_with_bad_code_is_422_with_position(client):
    h = register_and_login(client)
    r = client.post("/api/v1/nodes", json={"name": "bad", "code": "def main(x: int) -> int\n    return x\n"},
                    headers=h)
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert detail["line"] == 1 and "message" in detail
    assert client.get("/api/v1/nodes", params={"mine": True}, headers=h).json() == []  # nothing stored


def test_other_users_see_404_exactly_like_missing(client):
    alice = register_and_login(client, "alice@example.com")
    bob = register_and_login(client, "bob@example.com")
    node = client.post("/api/v1/nodes", json={"name": "double", "code": DOUBLE}, headers=alice).json()
    r_bob = client.get(f"/api/v1/nodes/{node['id']}", headers=bob)
    r_missing = client.get(f"/api/v1/nodes/{uuid.uuid4()}", headers=bob)
    assert r_bob.status_code == r_missing.status_code == 404
    assert r_bob.json() == {"detail": "node not found"} == r_missing.json()
    assert client.get("/api/v1/nodes", params={"mine": False, "public": False}, headers=bob).json() == []
    # Bob cannot wire Alice's private node either: it is unknown to him.
    wf = {"name": "steal", "nodes": [{"id": "a", "node": f"{node['id']}@1", "inputs": {"x": 1}}]}
    r = client.post("/api/v1/workflows", json=wf, headers=bob)
    assert r.status_code == 422 and "no such node version" in r.text


def test_workflow_validation_lists_every_incompatible_connection(client):
    h = register_and_login(client)
    double = client.post("/api/v1/nodes", json={"name": "double", "code": DOUBLE}, headers=h).json()
    wf = {
        "name": "bad",
        "nodes": [
            {"id": "words", "node": "word_count", "inputs": {"text": "a b"}},
            {"id": "d1", "node": f"{double['id']}@1"},
            {"id": "d2", "node": f"{double['id']}@1"},
        ],
        "connections": [{"from": "words.result", "to": "d1.x"}, {"from": "words.result", "to": "d2.x"}],
    }
    r = client.post("/api/v1/workflows", json=wf, headers=h)
    assert r.status_code == 422
    problems = r.json()["detail"]["problems"]
    assert {p["connection"] for p in problems} == {"words.result -> d1.x", "words.result -> d2.x"}
    assert all("dict[str, int]" in p["message"] and "int" in p["message"] for p in problems)
    assert client.get("/api/v1/workflows", headers=h).json() == []


@pytest.mark.docker
def test_workflow_execution_runs_in_containers(client, runner_image, no_leftover_containers):
    h = register_and_login(client)
    double = client.post("/api/v1/nodes", json={"name": "double", "code": DOUBLE}, headers=h).json()
    to_text = client.post("/api/v1/nodes", json={"name": "to_text", "code": TO_TEXT}, headers=h).json()
    wf = {
        "name": "chain",
        "params": {"start": 5},
        "nodes": [
            {"id": "a", "node": f"{double['id']}@1", "inputs": {"x": "{{ params.start }}"}},
            {"id": "b", "node": f"{double['id']}@1"},
            {"id": "c", "node": f"{to_text['id']}@1"},
        ],
        "connections": [{"from": "a.result", "to": "b.x"}, {"from": "b.result", "to": "c.value"}],
    }
    created = client.post("/api/v1/workflows", json=wf, headers=h)
    assert created.status_code == 201, created.text
    wf_id = created.json()["id"]
    started = client.post(f"/api/v1/workflows/{wf_id}/executions", json={"params": {"start": 7}}, headers=h)
    assert started.status_code == 202, started.text
    ex_id = started.json()["execution_id"]
    # TestClient runs the background task before returning, so the execution is finished here.
    ex = ended(client, h, ex_id)
    assert ex["status"] == "completed", ex
    assert ex["progress_percent"] == 100.0
    assert ex["nodes"]["c"]["outputs"] == {"result": "28"}
    assert ex["nodes"]["a"]["resource_usage"]["peak_memory_bytes"] > 0
    other = register_and_login(client, "eve@example.com")
    assert client.get(f"/api/v1/executions/{ex_id}", headers=other).status_code == 404
    assert client.post(f"/api/v1/workflows/{wf_id}/executions", json={}, headers=other).status_code == 404


@pytest.mark.redis
@pytest.mark.docker
def test_health_checks_every_component_for_real(api_db, tmp_path, docker_client, redis_url):
    from fastapi.testclient import TestClient
    from sqlalchemy import create_engine, text

    from qflow.api.app import create_app
    from qflow.config import Settings

    app = create_app(Settings(database_url=api_db, redis_url=redis_url, files_dir=tmp_path))
    with TestClient(app) as c:
        r = c.get("/api/v1/health")
        assert r.status_code == 200
        body = r.json()
        assert body["status"] == "ok"
        assert body["components"]["redis"]["status"] == "ok" and body["components"]["redis"]["version"]
        assert body["components"]["docker"]["version"] == docker_client.version()["Version"]
    # A Redis that does not answer makes the platform degraded, not down.
    app = create_app(Settings(database_url=api_db, redis_url="redis://127.0.0.1:1/0", files_dir=tmp_path))
    with TestClient(app) as c:
        body = c.get("/api/v1/health").json()
        assert body["status"] == "degraded" and body["components"]["redis"]["status"] == "down"
    engine = create_engine(api_db)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT component, status FROM system_health ORDER BY checked_at")).all()
    engine.dispose()
    assert ("redis", "ok") in rows and ("redis", "down") in rows and len(rows) == 6


def test_main_function_or_python_version_change_makes_a_new_version(client):
    h = register_and_login(client)
    two_mains = DOUBLE + "\ndef other(x: int) -> str:\n    return str(x)\n"
    v1 = client.post("/api/v1/nodes", json={"name": "n", "code": two_mains}, headers=h).json()
    v2 = client.post("/api/v1/nodes", json={"name": "n", "code": two_mains, "main_function": "other"}, headers=h)
    assert v2.status_code == 201 and v2.json()["latest_version"] == 2
    assert v2.json()["version"]["signature"]["outputs"] == [{"name": "result", "type": "str"}]
    v3 = client.post("/api/v1/nodes", json={"name": "n", "code": two_mains, "main_function": "other",
                                            "python_version": "3.9"}, headers=h)
    assert v3.status_code == 201 and v3.json()["latest_version"] == 3
    assert v3.json()["version"]["python_version"] == "3.9"
    versions = client.get(f"/api/v1/nodes/{v1['id']}/versions", headers=h).json()
    assert [(v["version"], v["main_function"], v["python_version"]) for v in versions] == [
        (1, "main", "3.11"), (2, "other", "3.11"), (3, "other", "3.9")]
    bad = client.post("/api/v1/nodes", json={"name": "n", "code": DOUBLE, "python_version": "2.7"}, headers=h)
    assert bad.status_code == 422 and client.get(f"/api/v1/nodes/{v1['id']}", headers=h).json()["latest_version"] == 3


@pytest.mark.docker
def test_metrics_are_prometheus_text_from_the_database(client, runner_image, no_leftover_containers):
    from prometheus_client.parser import text_string_to_metric_families

    h = register_and_login(client)
    wf = client.post("/api/v1/workflows", headers=h, json={
        "name": "m", "nodes": [{"id": "n", "node": "range_list", "inputs": {"n": 3}}]}).json()
    started = client.post(f"/api/v1/workflows/{wf['id']}/executions", json={}, headers=h)
    assert started.status_code == 202
    assert ended(client, h, started.json()["execution_id"])["status"] == "completed"
    removed = ("qflow_containers", (("isolation", "execution"), ("status", "removed")))
    deadline = time.monotonic() + 30  # the container's final record follows the execution's end
    while True:
        r = client.get("/api/v1/metrics")
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/plain")
        families = {f.name: f for f in text_string_to_metric_families(r.text)}
        samples = {(s.name, tuple(sorted(s.labels.items()))): s.value
                   for f in families.values() for s in f.samples}
        if samples.get(removed) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert samples[("qflow_executions", (("status", "completed"),))] == 1
    assert samples[("qflow_node_executions", (("status", "completed"),))] == 1
    assert samples[("qflow_node_cpu_seconds_total", (("status", "completed"),))] > 0
    assert samples[("qflow_containers", (("isolation", "execution"), ("status", "removed")))] == 1
