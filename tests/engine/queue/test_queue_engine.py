"""Workflows on RQ workers, end to end: real `qflow worker` processes, Redis, PostgreSQL and Docker;
and the rows every case leaves (events, data flow, files, error logs, checkpoints)."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import time

import pytest

from tests.engine.queue.conftest import JOIN_NODE, SLEEP_NODE, SOURCE_NODE
from tests.support import REPO, run_cli

pytestmark = [pytest.mark.docker, pytest.mark.redis, pytest.mark.postgres]


def overlap(a: dict, b: dict) -> float:
    return (min(a["finished_at"], b["finished_at"]) - max(a["started_at"], b["started_at"])).total_seconds()


def test_parallel_branches_run_at_the_same_time_on_two_workers(rig, no_leftover_containers):
    src, slow, join = rig.node("src.py", SOURCE_NODE), rig.node("slow.py", SLEEP_NODE), rig.node("join.py", JOIN_NODE)
    doc = {"name": "diamond",
           "nodes": [{"id": "src", "node": src, "inputs": {"start": 10}},
                     {"id": "left", "node": slow, "inputs": {"seconds": 2.0}},
                     {"id": "right", "node": slow, "inputs": {"seconds": 2.0}},
                     {"id": "join", "node": join}],
           "connections": [{"from": "src.result", "to": "left.x"}, {"from": "src.result", "to": "right.x"},
                           {"from": "left.result", "to": "join.a"}, {"from": "right.result", "to": "join.b"}]}
    rig.start_worker()
    rig.start_worker()
    rig.wait_workers_ready(2)
    started = time.monotonic()
    eid = rig.submit(doc)
    assert rig.wait(eid) == "completed", rig.logs()
    took = time.monotonic() - started
    out = rig.outcome(eid)
    assert out["nodes"]["join"]["outputs"] == {"result": 22}
    nodes = rig.nodes(eid)
    left, right = nodes["left"], nodes["right"]
    assert overlap(left, right) > 1.5, (left, right)  # both 2-second branches ran at once ...
    assert left["worker_id"] != right["worker_id"]  # ... on the two workers
    assert took < 4.0 + 2.0  # not one after the other (2 x 2 s) plus the rest
    assert {n["status"] for n in nodes.values()} == {"completed"} and {n["attempt"] for n in nodes.values()} == {1}
    ex = rig.rows("SELECT * FROM workflow_executions")[0]
    assert ex["status"] == "completed" and ex["progress_percent"] == 100.0 and ex["queue"] == "rq"
    kinds = [e["event_type"] for e in rig.events(eid)]
    assert kinds[0] == "started" and kinds[-1] == "completed"
    assert kinds.count("node_started") == 4 and kinds.count("node_completed") == 4 and len(kinds) == 10
    flows = rig.rows("SELECT f.source_output, f.target_input, f.transport, f.size_bytes, f.serialization, "
                     "f.transfer_seconds, s.node_key AS src, t.node_key AS dst FROM node_data_flow f "
                     "JOIN node_executions s ON s.id = f.source_node_execution_id "
                     "JOIN node_executions t ON t.id = f.target_node_execution_id")
    assert sorted((f["src"], f["dst"], f["target_input"]) for f in flows) == [
        ("left", "join", "a"), ("right", "join", "b"), ("src", "left", "x"), ("src", "right", "x")]
    assert all(f["transport"] == "json" and f["serialization"] == "json" and f["size_bytes"] == 2
               and f["transfer_seconds"] >= 0 for f in flows)
    # Each worker ran its nodes in a warm container of its own for this execution, removed at the end.
    containers = rig.wait_for(lambda: (c := rig.rows("SELECT * FROM containers")) and
                              all(x["status"] == "removed" for x in c) and c, what="containers closed")
    assert {c["isolation"] for c in containers} == {"execution"} and 1 <= len(containers) <= 2


def test_a_failing_node_is_retried_with_exponential_backoff(rig, no_leftover_containers):
    # The node fails until 2.2 s after the run was submitted (containers share the host's clock):
    # attempt 1 at ~0 s, attempt 2 after 1 s (QFLOW_RETRY_BASE_SECONDS), attempt 3 after 2 s more.
    flaky = rig.node("flaky.py", """
        import time
        def main(not_before: float) -> float:
            if time.time() < not_before:
                raise RuntimeError("too early")
            return time.time()
    """)
    never = rig.node("never.py", """
        def main() -> int:
            raise ValueError("never works")
    """)
    after = rig.node("after.py", """
        def main(x: int) -> int:
            return x
    """)
    doc = {"name": "flaky", "settings": {"max_retries": 2},
           "params": {"not_before": 0.0},
           "nodes": [{"id": "flaky", "node": flaky, "inputs": {"not_before": "{{ params.not_before }}"}},
                     {"id": "never", "node": never}, {"id": "after", "node": after}],
           "connections": [{"from": "never.result", "to": "after.x"}]}
    rig.start_worker()
    rig.wait_workers_ready(1)
    eid = rig.submit(doc, {"not_before": time.time() + 2.2})
    assert rig.wait(eid) == "failed", rig.logs()
    nodes = rig.nodes(eid)
    assert (nodes["flaky"]["status"], nodes["flaky"]["attempt"]) == ("completed", 3)
    assert (nodes["never"]["status"], nodes["never"]["attempt"]) == ("failed", 3)
    assert nodes["after"]["status"] == "skipped"
    events = rig.events(eid)
    for key in ("flaky", "never"):
        mine = [e for e in events if (e["payload"] or {}).get("node") == key]
        kinds = [e["event_type"] for e in mine]
        assert kinds == ["node_started", "node_retried", "node_started", "node_retried", "node_started",
                         "node_completed" if key == "flaky" else "node_failed"], kinds
        retried = [e for e in mine if e["event_type"] == "node_retried"]
        assert [e["payload"]["delay_seconds"] for e in retried] == [1.0, 2.0]
        starts = [e for e in mine if e["event_type"] == "node_started"]
        assert [e["payload"]["attempt"] for e in starts] == [1, 2, 3]
        for r, s in zip(retried, starts[1:]):  # each attempt waited out its delay
            assert (s["created_at"] - r["created_at"]).total_seconds() >= r["payload"]["delay_seconds"] - 0.05
    skipped = [e for e in events if e["event_type"] == "node_skipped"]
    assert [(e["payload"]["node"], e["payload"]["because"]) for e in skipped] == [("after", "never")]
    assert rig.rows("SELECT id FROM node_data_flow") == []  # no edge carried a value: 'after' never ran
    errors = rig.rows("SELECT error_type, message FROM error_logs ORDER BY created_at")
    assert [e["error_type"] for e in errors] == ["NodeError"] * 5
    assert sum("too early" in e["message"] for e in errors) == 2
    ex = rig.rows("SELECT status, error FROM workflow_executions")[0]
    assert ex["error"]["node"] == "never" and "never works" in ex["error"]["message"]


def test_cancel_kills_the_running_node_and_cancels_the_rest(rig, docker_client, no_leftover_containers):
    slow, after = rig.node("slow.py", SLEEP_NODE), rig.node("after.py", JOIN_NODE)
    doc = {"name": "cancel",
           "nodes": [{"id": "long", "node": slow, "inputs": {"x": 1, "seconds": 60}},
                     {"id": "other", "node": slow, "inputs": {"x": 1, "seconds": 0.1}},
                     {"id": "after", "node": after}],
           "connections": [{"from": "long.result", "to": "after.a"}, {"from": "other.result", "to": "after.b"}]}
    rig.start_worker()
    rig.wait_workers_ready(1)
    eid = rig.submit(doc)
    rig.wait_for(lambda: rig.node_status(eid, "long") == "running", what="long running")
    time.sleep(0.5)
    from qflow.engine.queue import submit

    t0 = time.monotonic()
    submit.cancel(rig.sessions, eid, rig.dispatcher())
    assert rig.wait(eid, timeout=5) == "cancelled"
    rig.wait_for(lambda: rig.node_status(eid, "long") == "cancelled", timeout=10, what="long cancelled")
    assert time.monotonic() - t0 < 8  # the 60-second node did not run to its end
    nodes = rig.nodes(eid)
    assert nodes["after"]["status"] == "cancelled" and nodes["long"]["error"] is None
    kinds = [e["event_type"] for e in rig.events(eid)]
    assert "cancelled" in kinds and "completed" not in kinds and "failed" not in kinds
    # One worker: 'long' ran, 'other' waited behind it on the queue; the killed node's end is recorded.
    assert kinds == ["started", "node_started", "cancelled", "node_failed"]
    assert rig.events(eid)[-1]["payload"]["status"] == "cancelled"
    assert rig.rows("SELECT id FROM node_data_flow") == []
    # The killed node's container is gone, and the execution's containers are all removed.
    def removed() -> bool:
        rows = rig.rows("SELECT docker_id, status, exit_code FROM containers")
        alive = {c.id for c in docker_client.containers.list(all=True, ignore_removed=True)}
        return rows and all(r["status"] == "removed" and r["docker_id"] not in alive for r in rows)

    rig.wait_for(removed, timeout=15, what="containers removed")


def test_pause_stops_scheduling_and_resume_continues_from_the_checkpoint(rig, no_leftover_containers):
    from qflow.engine.queue import submit

    slow = rig.node("slow.py", SLEEP_NODE)
    doc = {"name": "pausing",
           "nodes": [{"id": "a", "node": slow, "inputs": {"x": 0, "seconds": 1.5}},
                     {"id": "b", "node": slow, "inputs": {"seconds": 0.1}},
                     {"id": "c", "node": slow, "inputs": {"seconds": 0.1}}],
           "connections": [{"from": "a.result", "to": "b.x"}, {"from": "b.result", "to": "c.x"}]}
    rig.start_worker()
    rig.wait_workers_ready(1)
    eid = rig.submit(doc)
    rig.wait_for(lambda: rig.node_status(eid, "a") == "running", what="a running")
    checkpoint = submit.pause(rig.sessions, eid, rig.dispatcher())
    assert rig.rows("SELECT status FROM workflow_executions")[0]["status"] == "paused"
    # The running node finishes and is recorded; nothing after it starts while paused.
    rig.wait_for(lambda: rig.node_status(eid, "a") == "completed", what="a completed")
    time.sleep(2.0)
    assert (rig.node_status(eid, "b"), rig.node_status(eid, "c")) == ("pending", "pending")
    ex = rig.rows("SELECT status, progress_percent FROM workflow_executions")[0]
    assert ex == {"status": "paused", "progress_percent": pytest.approx(33.3)}
    cp = rig.rows("SELECT id, state FROM workflow_checkpoints")
    assert [c["id"] for c in cp] == [checkpoint] and cp[0]["state"]["nodes"]["a"]["status"] == "running"
    submit.resume(rig.sessions, eid, rig.dispatcher())
    assert rig.wait(eid) == "completed", rig.logs()
    assert rig.outcome(eid)["nodes"]["c"]["outputs"] == {"result": 3}
    events = rig.events(eid)
    kinds = [e["event_type"] for e in events]
    assert kinds.count("paused") == 1 and kinds.count("resumed") == 1
    resumed_at = next(e["created_at"] for e in events if e["event_type"] == "resumed")
    b_started = next(e["created_at"] for e in events if e["event_type"] == "node_started" and e["payload"]["node"] == "b")
    assert b_started > resumed_at
    assert next(e for e in events if e["event_type"] == "resumed")["payload"]["checkpoint_id"] == str(checkpoint)
    flows = rig.rows("SELECT target_input, transport, size_bytes FROM node_data_flow")
    assert flows == [{"target_input": "x", "transport": "json", "size_bytes": 1}] * 2  # a -> b, b -> c, once each


def test_a_worker_killed_mid_node_loses_nothing_and_the_node_completes_once(rig, docker_client):
    slow, after = rig.node("slow.py", SLEEP_NODE), rig.node("after.py", SOURCE_NODE.replace("start: int = 1", "start: int"))
    doc = {"name": "crash",
           "nodes": [{"id": "victim", "node": slow, "inputs": {"x": 41, "seconds": 3}},
                     {"id": "after", "node": after}],
           "connections": [{"from": "victim.result", "to": "after.start"}]}
    w1, w2 = rig.start_worker(), rig.start_worker()
    rig.wait_workers_ready(2)
    eid = rig.submit(doc)
    node = rig.wait_for(lambda: (n := rig.nodes(eid)["victim"])["status"] == "running" and n, what="victim running")
    victim_pid = int(node["worker_id"].split(":")[1])
    killed = next(p for p in (w1, w2) if p.pid == victim_pid)
    time.sleep(0.5)  # well inside the node's 3 seconds
    os.kill(killed.pid, signal.SIGKILL)
    killed.wait()
    assert rig.wait(eid, timeout=60) == "completed", rig.logs()
    nodes = rig.nodes(eid)
    victim = nodes["victim"]
    assert victim["status"] == "completed" and victim["attempt"] == 2 and victim["worker_id"] != node["worker_id"]
    assert rig.outcome(eid)["nodes"]["after"]["outputs"] == {"result": 42}
    events = rig.events(eid)
    mine = [e["event_type"] for e in events if (e["payload"] or {}).get("node") == "victim"]
    assert mine == ["node_started", "node_retried", "node_started", "node_completed"]  # one result, once
    retried = next(e for e in events if e["event_type"] == "node_retried")
    assert retried["payload"]["reason"] == "worker_lost" and retried["payload"]["worker"] == node["worker_id"]
    errors = rig.rows("SELECT error_type, context FROM error_logs")
    assert errors == [{"error_type": "SandboxError", "context": {"node": "victim", "attempt": 1, "reason": "worker_lost"}}]
    assert len(rig.rows("SELECT id FROM node_data_flow")) == 1  # the edge, recorded once
    # The dead worker's containers are removed by the survivor's reaper.
    rig.wait_for(lambda: not [c for c in docker_client.containers.list(all=True, ignore_removed=True, filters={"label": "org.qflow.owner"})
                              if f":{victim_pid}:" in c.labels.get("org.qflow.worker", "")],
                 timeout=20, what="the dead worker's containers reaped")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_a_redis_restart_loses_no_execution(rig, tmp_path, no_leftover_containers):
    """A Redis of the test's own, restarted without saving anything mid-run: the queued jobs are gone,
    the reconciler enqueues their nodes again from PostgreSQL and the execution completes."""
    port = _free_port()
    server = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
              "--dir", str(tmp_path)]
    redis_proc = subprocess.Popen(server, stdout=subprocess.DEVNULL)
    try:
        rig.redis_url = f"redis://127.0.0.1:{port}/0"
        rig.wait_for(lambda: _ping(rig.redis_url), what="redis up")
        slow = rig.node("slow.py", SLEEP_NODE)
        nodes = [{"id": "n0", "node": slow, "inputs": {"x": 0, "seconds": 1.0}}]
        nodes += [{"id": f"n{i}", "node": slow, "inputs": {"seconds": 1.0}} for i in range(1, 4)]
        nodes += [{"id": f"side{i}", "node": slow, "inputs": {"x": i, "seconds": 0.5}} for i in range(3)]
        conns = [{"from": f"n{i - 1}.result", "to": f"n{i}.x"} for i in range(1, 4)]
        rig.start_worker()
        rig.wait_workers_ready(1)
        eid = rig.submit({"name": "redis-restart", "nodes": nodes, "connections": conns})
        rig.wait_for(lambda: rig.node_status(eid, "n0") == "running", what="n0 running")
        # Queued behind n0 in Redis now: the side nodes. Restart Redis with nothing saved.
        subprocess.run(["redis-cli", "-p", str(port), "shutdown", "nosave"], capture_output=True)
        redis_proc.wait(timeout=10)
        time.sleep(1.5)
        redis_proc = subprocess.Popen(server, stdout=subprocess.DEVNULL)
        rig.wait_for(lambda: _ping(rig.redis_url), what="redis back")
        assert rig.wait(eid, timeout=90) == "completed", rig.logs()
        out = rig.outcome(eid)
        assert out["nodes"]["n3"]["outputs"] == {"result": 4}
        assert {n["status"] for n in out["nodes"].values()} == {"completed"}
        kinds = [e["event_type"] for e in rig.events(eid)]
        assert kinds.count("node_completed") == 7 and kinds.count("completed") == 1
        assert "enqueued" in rig.logs() and "again" in rig.logs()  # the reconciler's doing
    finally:
        rig.stop_workers()
        if redis_proc.poll() is None:
            redis_proc.terminate()
            redis_proc.wait(timeout=10)


def _ping(url: str) -> bool:
    import redis

    try:
        return bool(redis.Redis.from_url(url, socket_connect_timeout=0.5).ping())
    except redis.RedisError:
        return False


BIG_NODE = """
    def main(n: int) -> str:
        return "x" * n
"""
SIZE_NODE = """
    def main(text: str) -> int:
        return len(text)
"""


def _files_under(folder) -> list:
    return [p for p in folder.rglob("*") if p.is_file()] if folder.exists() else []


def _big_workflow(rig) -> dict:
    big, size = rig.node("big.py", BIG_NODE), rig.node("size.py", SIZE_NODE)
    rig.extra_env["QFLOW_INLINE_OUTPUT_BYTES"] = "1024"
    return {"name": "files", "nodes": [{"id": "big", "node": big, "inputs": {"n": 50_000}}, {"id": "size", "node": size}],
            "connections": [{"from": "big.result", "to": "size.text"}]}


@pytest.mark.parametrize("store", ["database", "directory"])
def test_big_outputs_travel_as_files_and_expire(rig, store, no_leftover_containers):
    import hashlib

    doc = _big_workflow(rig)
    rig.extra_env["QFLOW_FILE_STORE"] = store
    rig.start_worker()
    rig.wait_workers_ready(1)
    eid = rig.submit(doc)
    assert rig.wait(eid) == "completed", rig.logs()
    out = rig.outcome(eid)
    assert out["nodes"]["size"]["outputs"] == {"result": 50_000}
    assert out["nodes"]["big"]["outputs"] == {"result": "x" * 50_000}  # read back from its file
    files = rig.rows("SELECT * FROM files")
    assert len(files) == 1
    f = files[0]
    contents = rig.rows("SELECT file_id, content FROM file_contents")
    on_disk = _files_under(rig.files_dir)
    if store == "database":
        assert f["storage_path"] == "@database" and on_disk == []
        assert [c["file_id"] for c in contents] == [f["id"]]
        data = bytes(contents[0]["content"])
    else:
        assert contents == [] and on_disk == [rig.files_dir / f["storage_path"]]
        data = on_disk[0].read_bytes()
    assert f["sha256"] == hashlib.sha256(data).hexdigest() and f["size_bytes"] == len(data) == 50_002
    assert f["mime_type"] == "application/json" and f["is_temporary"] and f["expires_at"] > f["created_at"]
    assert str(f["execution_id"]) == str(eid)
    big_row = rig.nodes(eid)["big"]
    assert big_row["outputs"] == {"$files": {"result": str(f["id"])}}
    flow = rig.rows("SELECT transport, file_id, size_bytes FROM node_data_flow")
    assert flow == [{"transport": "file", "file_id": f["id"], "size_bytes": 50_002}]
    # Expiry removes the bytes and keeps the row (node_data_flow history points at it).
    from datetime import timedelta

    from qflow.db.base import utcnow
    from qflow.engine.queue.files import expire_files

    assert expire_files(rig.sessions, rig.files_dir, now=utcnow() + timedelta(days=8)) == 1
    assert _files_under(rig.files_dir) == []
    assert rig.rows("SELECT file_id FROM file_contents") == []
    assert rig.rows("SELECT storage_path FROM files") == [{"storage_path": ""}]
    assert rig.outcome(eid)["nodes"]["big"]["error"]["message"].endswith("has expired")


def test_a_big_output_written_on_one_host_is_read_on_another(rig, tmp_path, no_leftover_containers):
    """Two worker 'hosts' that share only the database and Redis (each its own files directory): the
    producer runs on the first, which then stops; the consumer runs on the second and reads the file."""
    doc = _big_workflow(rig)
    rig.extra_env["QFLOW_FILES_DIR"] = str(tmp_path / "host-a")
    first = rig.start_worker("--max-jobs", "1")
    rig.wait_workers_ready(1)
    eid = rig.submit(doc)
    first.wait(timeout=60)
    assert rig.nodes(eid)["big"]["status"] == "completed", rig.logs()
    assert rig.nodes(eid)["size"]["status"] == "queued"
    rig.extra_env["QFLOW_FILES_DIR"] = str(tmp_path / "host-b")
    second = rig.start_worker()
    assert rig.wait(eid) == "completed", rig.logs()
    nodes = rig.nodes(eid)
    assert nodes["big"]["worker_id"].split(":")[1] == str(first.pid)
    assert nodes["size"]["worker_id"].split(":")[1] == str(second.pid)
    assert rig.outcome(eid)["nodes"]["size"]["outputs"] == {"result": 50_000}
    assert _files_under(tmp_path / "host-a") == [] and _files_under(tmp_path / "host-b") == []


def test_qflow_run_queue_prints_the_same_result_as_in_process(rig, tmp_path, no_leftover_containers):
    rig.start_worker()
    rig.wait_workers_ready(1)
    demo = str(REPO / "node_library/workflows/demo.yaml")
    p = run_cli("run", demo, "--param", "n=5", "--queue", "--json", env=rig.env, timeout=120)
    assert p.returncode == 0, p.stderr + rig.logs()
    queued = json.loads(p.stdout)
    assert "queued 'demo'" in p.stderr and "total completed" in p.stderr
    local = run_cli("run", demo, "--param", "n=5", "--json",
                    env={"QFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'local.db'}"}, timeout=120)
    assert local.returncode == 0, local.stderr
    inproc = json.loads(local.stdout)
    assert queued["status"] == inproc["status"] == "completed"
    for key in ("numbers", "stats", "total", "words"):
        assert queued["nodes"][key]["outputs"] == inproc["nodes"][key]["outputs"]
        assert set(queued["nodes"][key]) == set(inproc["nodes"][key])
    assert rig.rows("SELECT queue FROM workflow_executions") == [{"queue": "rq"}]
    # Without Redis configured, --queue is a clean error.
    env = {k: v for k, v in rig.env.items() if k != "QFLOW_REDIS_URL"}
    p = subprocess.run([str(REPO / ".venv/bin/qflow"), "run", demo, "--queue"], capture_output=True, text=True,
                       env=env, timeout=60)
    assert p.returncode == 2 and "QFLOW_REDIS_URL" in p.stderr


def test_burst_workers_drain_the_queue_and_exit(rig, no_leftover_containers):
    slow = rig.node("slow.py", SLEEP_NODE)
    doc = {"name": "burst", "nodes": [{"id": f"n{i}", "node": slow, "inputs": {"x": i, "seconds": 0.2}}
                                      for i in range(6)]}
    eid = rig.submit(doc)
    workers = [rig.start_worker("--burst"), rig.start_worker("--burst")]
    for w in workers:
        assert w.wait(timeout=90) == 0, rig.logs()
    assert rig.rows("SELECT status FROM workflow_executions") == [{"status": "completed"}]
    assert len({n["worker_id"] for n in rig.nodes(eid).values()}) >= 1


def test_a_node_over_its_timeout_is_killed_retried_and_fails(rig, no_leftover_containers):
    slow = rig.node("slow.py", SLEEP_NODE)
    doc = {"name": "timeout", "settings": {"max_retries": 1},
           "nodes": [{"id": "slow", "node": slow, "inputs": {"x": 1, "seconds": 30}, "timeout_seconds": 1}]}
    rig.start_worker()
    rig.wait_workers_ready(1)
    t0 = time.monotonic()
    eid = rig.submit(doc)
    assert rig.wait(eid, timeout=60) == "failed", rig.logs()
    assert time.monotonic() - t0 < 20
    node = rig.nodes(eid)["slow"]
    assert (node["status"], node["attempt"], node["error"]["type"]) == ("timed_out", 2, "TimeLimitExceeded")
    kinds = [e["event_type"] for e in rig.events(eid)]
    assert kinds == ["started", "node_started", "node_retried", "node_started", "node_failed", "failed"]


def test_jobs_on_redis_are_json_not_pickle(rig):
    """What a job carries: the function's dotted name and (execution id, node key, attempt), as JSON."""
    import zlib

    import redis

    slow = rig.node("slow.py", SLEEP_NODE)
    eid = rig.submit({"name": "json", "nodes": [{"id": "n", "node": slow, "inputs": {"x": 1}}]})  # no worker
    job_key = f"rq:job:qf-{eid.hex}-n-1"
    raw = redis.Redis.from_url(rig.redis_url).hgetall(job_key)
    data = raw[b"data"]
    try:
        data = zlib.decompress(data)
    except zlib.error:
        pass
    assert json.loads(data) == ["qflow.engine.queue.jobs.run_node", None, [str(eid), "n", 1], {}]
    assert raw.get(b"result") is None and b"\x80\x04" not in data  # no pickle protocol header anywhere


def test_a_worker_holds_a_lease_in_redis_and_labels_its_containers_with_it(rig, docker_client):
    """What lets a reaper on another host (workers in containers sharing one engine) know a dead worker:
    the lease key it renews while it runs and deletes when it stops, and the label on its containers."""
    import redis

    conn = redis.Redis.from_url(rig.redis_url)
    worker = rig.start_worker()
    rig.wait_workers_ready(1)
    pattern = f"qflow:lease:{socket.gethostname()}/*:{worker.pid}:*"
    rig.wait_for(lambda: conn.keys(pattern), what="the worker's lease")
    (key,) = conn.keys(pattern)
    identity = key.decode()[len("qflow:lease:"):]
    assert 0 < conn.pttl(key) <= 3000  # the stale-after time of the tests' engine settings
    time.sleep(2.5)
    assert conn.pttl(key) > 1500  # renewed (every ttl/4): unrenewed, under 0.5 s would be left
    pooled = rig.wait_for(lambda: docker_client.containers.list(
        ignore_removed=True, filters={"label": f"org.qflow.worker={identity}"}), what="a pre-started container")
    deployment = conn.get("qflow:deployment").decode()
    assert all(c.labels.get("org.qflow.lease") == deployment for c in pooled)
    rig.stop_workers()
    assert worker.returncode == 0, rig.logs()
    assert not conn.exists(key)
