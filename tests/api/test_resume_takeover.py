"""Resuming an in-process execution through a server that does not run it: refused while the process
that runs it is alive (two runners would each take the other's running nodes for lost), taken over —
one runner again — once that process is gone."""

from __future__ import annotations

import subprocess
import sys
import time
import uuid

import pytest
from sqlalchemy import create_engine, text

from tests.api.conftest import register_and_login

pytestmark = [pytest.mark.postgres, pytest.mark.docker]

QUICK = "import time\n\ndef main(x: int = 1) -> int:\n    time.sleep(1.5)\n    return x + 1\n"


def identity_of(pid: int) -> str:
    from qflow.sandbox.sandboxes import host_part

    with open(f"/proc/{pid}/stat") as f:
        start = f.read().rsplit(")", 1)[1].split()[19]
    return f"{host_part()}:{pid}:{start}"


def set_runner(db: str, eid: str, runner: str) -> None:
    engine = create_engine(db)
    with engine.begin() as c:
        c.execute(text("UPDATE workflow_executions SET runner_id = :r WHERE id = :e"), {"r": runner, "e": eid})
    engine.dispose()


def wait_status(client, h, eid: str, want: set[str], timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while (ex := client.get(f"/api/v1/executions/{eid}", headers=h).json())["status"] not in want:
        assert time.monotonic() < deadline, ex
        time.sleep(0.1)
    return ex


def test_resume_is_refused_while_the_runner_lives_and_taken_over_once_it_is_gone(client, api_db, runner_image,
                                                                                   no_leftover_containers):
    from qflow.engine.inprocess import local_dispatcher

    h = register_and_login(client)
    node = client.post("/api/v1/nodes", json={"name": "quick", "code": QUICK}, headers=h).json()["id"]
    wf = client.post("/api/v1/workflows", headers=h, json={"name": "w", "nodes": [
        {"id": "a", "node": f"{node}@1"}, {"id": "b", "node": f"{node}@1"}],
        "connections": [{"from": "a.result", "to": "b.x"}]}).json()
    eid = client.post(f"/api/v1/workflows/{wf['id']}/executions", headers=h).json()["execution_id"]
    wait_status(client, h, eid, {"running"})
    assert client.post(f"/api/v1/executions/{eid}/pause", headers=h).status_code == 200  # while a sleeps
    wait_status(client, h, eid, {"paused"})
    other = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        # Another live process is the runner now (as if it had taken over): this process's own
        # runner thread notices and stops...
        set_runner(api_db, eid, identity_of(other.pid))
        deadline = time.monotonic() + 30
        while local_dispatcher(uuid.UUID(eid)) is not None:
            assert time.monotonic() < deadline
            time.sleep(0.1)
        # ...and a resume here must not start a second runner beside the live one.
        r = client.post(f"/api/v1/executions/{eid}/resume", headers=h)
        assert r.status_code == 409 and "another server process" in r.json()["detail"]
    finally:
        other.kill()
        other.wait()
    # That process is gone now: the resume takes the execution over and runs it here.
    r = client.post(f"/api/v1/executions/{eid}/resume", headers=h)
    assert r.status_code == 200, r.text
    ex = wait_status(client, h, eid, {"completed", "failed"})
    assert ex["status"] == "completed" and ex["nodes"]["b"]["outputs"] == {"result": 3}
    engine = create_engine(api_db)
    with engine.connect() as c:
        runner = c.execute(text("SELECT runner_id FROM workflow_executions WHERE id = :e"), {"e": eid}).scalar()
        reasons = [row[0] for row in c.execute(text(
            "SELECT payload->>'reason' FROM workflow_execution_events WHERE event_type = 'resumed'"))]
    engine.dispose()
    from qflow.sandbox.sandboxes import worker_identity

    assert runner == worker_identity()
    assert "runner_lost" in reasons
