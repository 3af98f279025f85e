"""Executions over HTTP: on RQ workers when the server has Redis (a real `qflow worker` process runs the
nodes), in-process otherwise; cancel, pause and resume; the server-sent event stream; workflow
versions and tags."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
import uuid

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import ended, register_and_login
from tests.support import QFLOW

SLEEPY = """
import time
def main(x: int, seconds: float = 0.0) -> int:
    time.sleep(seconds)
    return x + 1
"""


def chain(node_id: str, seconds: float = 0.0, n: int = 3) -> dict:
    nodes = [{"id": "n0", "node": f"{node_id}@1", "inputs": {"x": "{{ params.start }}", "seconds": seconds}}]
    nodes += [{"id": f"n{i}", "node": f"{node_id}@1", "inputs": {"seconds": seconds}} for i in range(1, n)]
    return {"name": "chain", "params": {"start": 1}, "nodes": nodes,
            "connections": [{"from": f"n{i - 1}.result", "to": f"n{i}.x"} for i in range(1, n)]}


def wait_status(client, ex_id, headers, want, timeout=60) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ex = client.get(f"/api/v1/executions/{ex_id}", headers=headers).json()
        if ex["status"] in want:
            return ex
        time.sleep(0.1)
    raise AssertionError(f"execution still {ex['status']}")


def events(client, ex_id, headers, **kw) -> list[dict]:
    out = []
    with client.stream("GET", f"/api/v1/executions/{ex_id}/events", headers=headers, **kw) as r:
        assert r.status_code == 200 and r.headers["content-type"].startswith("text/event-stream")
        for line in r.iter_lines():
            if line.startswith("data: "):
                out.append(json.loads(line[len("data: "):]))
    return out


@pytest.fixture
def queued_api(api_db, redis_url, tmp_path, runner_image):
    """The API with Redis configured, a queue of the test's own, and one `qflow worker` on it."""
    from qflow.api.app import create_app
    from qflow.config import Settings
    from qflow.engine.queue.settings import EngineSettings

    queue = f"api-{uuid.uuid4().hex[:8]}"
    settings = Settings(database_url=api_db, redis_url=redis_url, files_dir=tmp_path / "files")
    app = create_app(settings)
    app.state.engine_settings = EngineSettings(queue_name=queue)
    env = {**os.environ, "QFLOW_DATABASE_URL": api_db, "QFLOW_REDIS_URL": redis_url, "QFLOW_QUEUE_NAME": queue,
           "QFLOW_FILES_DIR": str(tmp_path / "files"), "QFLOW_HEARTBEAT_SECONDS": "0.5",
           "QFLOW_RECONCILE_SECONDS": "0.5"}
    log = open(tmp_path / "worker.log", "wb")
    worker = subprocess.Popen([QFLOW, "worker"], env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        with TestClient(app) as client:
            yield client, app
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        from qflow.api.routers.workflows import rq_dispatcher

        rq_dispatcher(app).queue.delete(delete_jobs=True)


@pytest.mark.docker
@pytest.mark.redis
def test_executions_run_on_the_queue_and_stream_their_events(queued_api, no_leftover_containers):
    client, _ = queued_api
    h = register_and_login(client)
    node = client.post("/api/v1/nodes", json={"name": "sleepy", "code": SLEEPY}, headers=h).json()
    wf = client.post("/api/v1/workflows", json=chain(node["id"]), headers=h).json()
    started = client.post(f"/api/v1/workflows/{wf['id']}/executions", json={"params": {"start": 5}}, headers=h)
    assert started.status_code == 202, started.text
    ex_id = started.json()["execution_id"]
    # The stream replays what happened so far and follows until the execution ends.
    streamed = events(client, ex_id, h)
    kinds = [e["event"] for e in streamed]
    assert kinds == ["started", "node_started", "node_completed", "node_started", "node_completed",
                     "node_started", "node_completed", "completed"]
    assert [e["node"] for e in streamed if e["event"] == "node_completed"] == ["n0", "n1", "n2"]
    ex = client.get(f"/api/v1/executions/{ex_id}", headers=h).json()
    assert ex["status"] == "completed" and ex["queue"] == "rq" and ex["progress_percent"] == 100.0
    assert ex["nodes"]["n2"]["outputs"] == {"result": 8} and ex["nodes"]["n2"]["worker"]
    # A client reconnecting with Last-Event-ID gets only what came after.
    rest = events(client, ex_id, {**h, "Last-Event-ID": streamed[4]["id"]})
    assert [e["id"] for e in rest] == [e["id"] for e in streamed[5:]]
    other = register_and_login(client, "eve@example.com")
    assert client.get(f"/api/v1/executions/{ex_id}/events", headers=other).status_code == 404
    assert client.post(f"/api/v1/executions/{ex_id}/cancel", headers=other).status_code == 404
    assert client.post(f"/api/v1/executions/{ex_id}/cancel", headers=h).status_code == 409


@pytest.mark.docker
@pytest.mark.redis
def test_pause_resume_and_cancel_over_http(queued_api, no_leftover_containers):
    client, _ = queued_api
    h = register_and_login(client)
    node = client.post("/api/v1/nodes", json={"name": "sleepy", "code": SLEEPY}, headers=h).json()
    wf = client.post("/api/v1/workflows", json=chain(node["id"], seconds=1.0), headers=h).json()
    ex_id = client.post(f"/api/v1/workflows/{wf['id']}/executions", json={}, headers=h).json()["execution_id"]
    deadline = time.monotonic() + 30
    while client.get(f"/api/v1/executions/{ex_id}", headers=h).json()["current_node"] != "n0":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    paused = client.post(f"/api/v1/executions/{ex_id}/pause", headers=h)
    assert paused.status_code == 200 and paused.json()["status"] == "paused" and paused.json()["checkpoint_id"]
    assert client.post(f"/api/v1/executions/{ex_id}/pause", headers=h).status_code == 409
    deadline = time.monotonic() + 30  # n0 finishes (however slowly its container starts)...
    while client.get(f"/api/v1/executions/{ex_id}", headers=h).json()["nodes"]["n0"]["status"] != "completed":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    time.sleep(1.0)  # ...and n1 must not start
    ex = client.get(f"/api/v1/executions/{ex_id}", headers=h).json()
    assert ex["nodes"]["n0"]["status"] == "completed" and ex["nodes"]["n1"]["status"] == "pending"
    resumed = client.post(f"/api/v1/executions/{ex_id}/resume", headers=h)
    assert resumed.status_code == 200 and resumed.json()["status"] == "running"
    deadline = time.monotonic() + 30
    while client.get(f"/api/v1/executions/{ex_id}", headers=h).json()["nodes"]["n1"]["status"] != "running":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    cancelled = client.post(f"/api/v1/executions/{ex_id}/cancel", headers=h)
    assert cancelled.status_code == 200 and cancelled.json()["status"] == "cancelled"
    ex = wait_status(client, ex_id, h, {"cancelled"})
    deadline = time.monotonic() + 10
    while ex["nodes"]["n1"]["status"] == "running":
        assert time.monotonic() < deadline
        time.sleep(0.1)
        ex = client.get(f"/api/v1/executions/{ex_id}", headers=h).json()
    assert [ex["nodes"][k]["status"] for k in ("n0", "n1", "n2")] == ["completed", "cancelled", "cancelled"]
    kinds = [e["event"] for e in events(client, ex_id, h, params={"follow": "false"})]
    assert [k for k in kinds if k in ("paused", "resumed", "cancelled")] == ["paused", "resumed", "cancelled"]


@pytest.mark.docker
def test_in_process_executions_answer_control_and_events_too(client, runner_image, no_leftover_containers):
    h = register_and_login(client)
    node = client.post("/api/v1/nodes", json={"name": "sleepy", "code": SLEEPY}, headers=h).json()
    wf = client.post("/api/v1/workflows", json=chain(node["id"]), headers=h).json()
    ex_id = client.post(f"/api/v1/workflows/{wf['id']}/executions", json={}, headers=h).json()["execution_id"]
    ex = ended(client, h, ex_id)
    assert ex["status"] == "completed" and ex["queue"] == "inprocess"
    assert client.post(f"/api/v1/executions/{ex_id}/resume", headers=h).status_code == 409
    kinds = [e["event"] for e in events(client, ex_id, h)]
    assert kinds[0] == "started" and kinds[-1] == "completed" and kinds.count("node_completed") == 3


def test_workflow_versions_and_tags(client):
    h = register_and_login(client)
    first = {"name": "wf", "nodes": [{"id": "n", "node": "range_list", "inputs": {"n": 3}}]}
    wf = client.post("/api/v1/workflows", json=first, headers=h).json()
    assert wf["latest_version"] == 1 and wf["tags"] == []
    same = client.put(f"/api/v1/workflows/{wf['id']}", json=first, headers=h)
    assert same.status_code == 200 and same.json()["latest_version"] == 1  # unchanged: no new version
    second = {**first, "description": "more", "nodes": [{"id": "n", "node": "range_list", "inputs": {"n": 4}}]}
    got = client.put(f"/api/v1/workflows/{wf['id']}", json=second, headers=h).json()
    assert got["latest_version"] == 2 and got["description"] == "more"
    bad = {**first, "nodes": [{"id": "n", "node": "no_such_node"}]}
    r = client.put(f"/api/v1/workflows/{wf['id']}", json=bad, headers=h)
    assert r.status_code == 422 and r.json()["detail"]["problems"]
    versions = client.get(f"/api/v1/workflows/{wf['id']}/versions", headers=h).json()
    assert [v["version"] for v in versions] == [1, 2]
    assert versions[0]["definition"]["nodes"][0]["inputs"] == {"n": 3}
    assert client.get(f"/api/v1/workflows/{wf['id']}/versions/2", headers=h).json()["definition"]["description"] == "more"
    assert client.get(f"/api/v1/workflows/{wf['id']}/versions/3", headers=h).status_code == 404
    tagged = client.put(f"/api/v1/workflows/{wf['id']}/tags", json={"tags": ["ETL ", "nightly", "etl"]}, headers=h)
    assert tagged.json()["tags"] == ["etl", "nightly"]
    other = client.post("/api/v1/workflows", json={**first, "name": "other"}, headers=h).json()
    assert [w["name"] for w in client.get("/api/v1/workflows", params={"tag": "ETL"}, headers=h).json()] == ["wf"]
    assert len(client.get("/api/v1/workflows", headers=h).json()) == 2
    eve = register_and_login(client, "eve@example.com")
    assert client.put(f"/api/v1/workflows/{wf['id']}", json=second, headers=eve).status_code == 404
    assert client.get(f"/api/v1/workflows/{wf['id']}/versions", headers=eve).status_code == 404
    assert client.put(f"/api/v1/workflows/{other['id']}/tags", json={"tags": ["x"]}, headers=eve).status_code == 404


@pytest.mark.docker
def test_an_execution_runs_the_version_asked_for(client, runner_image, no_leftover_containers):
    h = register_and_login(client)
    v1 = {"name": "wf", "nodes": [{"id": "n", "node": "range_list", "inputs": {"n": 3}}]}
    wf = client.post("/api/v1/workflows", json=v1, headers=h).json()
    client.put(f"/api/v1/workflows/{wf['id']}", headers=h,
               json={**v1, "nodes": [{"id": "n", "node": "range_list", "inputs": {"n": 5}}]})
    latest = client.post(f"/api/v1/workflows/{wf['id']}/executions", json={}, headers=h).json()["execution_id"]
    old = client.post(f"/api/v1/workflows/{wf['id']}/executions", json={"version": 1}, headers=h).json()["execution_id"]
    assert ended(client, h, latest)["nodes"]["n"]["outputs"] == {"result": [0, 1, 2, 3, 4]}
    assert ended(client, h, old)["nodes"]["n"]["outputs"] == {"result": [0, 1, 2]}
    assert client.post(f"/api/v1/workflows/{wf['id']}/executions", json={"version": 9}, headers=h).status_code == 404
