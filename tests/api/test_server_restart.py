"""A server killed in the middle of an execution it ran in-process (the embedded default: SQLite, no
Redis): the next server to start takes the execution over and finishes it — the node that was running
is lost and runs again, the rest runs once — and the dead server's containers are removed."""

from __future__ import annotations

import json
import time

import pytest

from tests.api.server import Server, login
from tests.support import rows

pytestmark = pytest.mark.docker

SLOW = "import time\n\ndef main(x: int) -> int:\n    time.sleep(3)\n    return x + 1\n"
PLUS = "def main(x: int) -> int:\n    return x * 10\n"


def test_a_killed_server_s_execution_is_resumed_by_the_next_server(tmp_path, docker_client, runner_image):
    db = f"sqlite:///{tmp_path / 'qflow.db'}"
    first = Server(db, tmp_path / "first.log")
    try:
        h = first.http
        token = login(h)
        slow = h.post("/nodes", json={"name": "slow", "code": SLOW}).json()["id"]
        plus = h.post("/nodes", json={"name": "times10", "code": PLUS}).json()["id"]
        wf = h.post("/workflows", json={
            "name": "resumable",
            "nodes": [{"id": "a", "node": f"{slow}@1", "inputs": {"x": 1}}, {"id": "b", "node": f"{slow}@1"},
                      {"id": "c", "node": f"{plus}@1"}],
            "connections": [{"from": "a.result", "to": "b.x"}, {"from": "b.result", "to": "c.x"}]})
        assert wf.status_code == 201, wf.text
        eid = h.post(f"/workflows/{wf.json()['id']}/executions", json={}).json()["execution_id"]
        deadline = time.monotonic() + 60
        while h.get(f"/executions/{eid}").json()["nodes"]["b"]["status"] != "running":
            assert time.monotonic() < deadline, first.log()
            time.sleep(0.1)
        time.sleep(0.5)  # well inside b's 3 seconds
        first_pid = first.proc.pid
        first.kill()
    finally:
        first.stop()
    assert rows(db, "SELECT status FROM workflow_executions") == [{"status": "running"}]
    left = [c for c in docker_client.containers.list(all=True, ignore_removed=True, filters={"label": "org.qflow.owner"})
            if f":{first_pid}:" in c.labels.get("org.qflow.worker", "")]
    assert left, "the killed server's container should still be there before the next start"

    second = Server(db, tmp_path / "second.log")
    try:
        second.http.headers["Authorization"] = f"Bearer {token}"
        deadline = time.monotonic() + 90
        while (ex := second.http.get(f"/executions/{eid}").json())["status"] not in ("completed", "failed"):
            assert time.monotonic() < deadline, second.log()
            time.sleep(0.2)
        assert ex["status"] == "completed", (ex, second.log())
        assert ex["nodes"]["c"]["outputs"] == {"result": 30}
        (runner,) = rows(db, "SELECT runner_id FROM workflow_executions")
        assert runner["runner_id"].split(":")[1] == str(second.proc.pid)
        events = rows(db, "SELECT event_type, payload FROM workflow_execution_events ORDER BY id")
        per_node = {}
        for e in events:
            node = json.loads(e["payload"] or "{}").get("node")
            if node:
                per_node.setdefault(node, []).append(e["event_type"])
        assert per_node["a"] == ["node_started", "node_completed"]  # done before the kill: not run again
        assert per_node["b"] == ["node_started", "node_retried", "node_started", "node_completed"]
        assert per_node["c"] == ["node_started", "node_completed"]
        retried = next(json.loads(e["payload"]) for e in events if e["event_type"] == "node_retried")
        assert retried["reason"] == "worker_lost"
        taken = [json.loads(e["payload"]) for e in events if e["event_type"] == "resumed"]
        assert [(t["reason"], t["runner"]) for t in taken] == [("runner_lost", runner["runner_id"])]
        assert taken[0]["previous_runner"].split(":")[1] == str(first_pid)
        assert not [c for c in docker_client.containers.list(all=True, ignore_removed=True, filters={"label": "org.qflow.owner"})
                    if f":{first_pid}:" in c.labels.get("org.qflow.worker", "")]
    finally:
        second.stop()


def test_a_server_already_running_takes_over_when_another_dies(tmp_path, docker_client, runner_image):
    """Take-over is not only at start: a second server, up before the first one dies, finds the
    orphaned execution on its next look and finishes it."""
    db = f"sqlite:///{tmp_path / 'qflow.db'}"
    first = Server(db, tmp_path / "first.log")
    second = None
    try:
        h = first.http
        token = login(h)
        slow = h.post("/nodes", json={"name": "slow", "code": SLOW}).json()["id"]
        wf = h.post("/workflows", json={"name": "two-servers", "nodes": [
            {"id": "a", "node": f"{slow}@1", "inputs": {"x": 1}}, {"id": "b", "node": f"{slow}@1"}],
            "connections": [{"from": "a.result", "to": "b.x"}]}).json()
        second = Server(db, tmp_path / "second.log")
        second.http.headers["Authorization"] = f"Bearer {token}"
        eid = h.post(f"/workflows/{wf['id']}/executions", json={}).json()["execution_id"]
        deadline = time.monotonic() + 60
        while h.get(f"/executions/{eid}").json()["nodes"]["a"]["status"] != "running":
            assert time.monotonic() < deadline, first.log()
            time.sleep(0.1)
        first.kill()
        deadline = time.monotonic() + 90
        while (ex := second.http.get(f"/executions/{eid}").json())["status"] not in ("completed", "failed"):
            assert time.monotonic() < deadline, second.log()
            time.sleep(0.2)
        assert ex["status"] == "completed" and ex["nodes"]["b"]["outputs"] == {"result": 3}, (ex, second.log())
        (runner,) = rows(db, "SELECT runner_id FROM workflow_executions")
        assert runner["runner_id"].split(":")[1] == str(second.proc.pid)
    finally:
        first.stop()
        if second is not None:
            second.stop()
