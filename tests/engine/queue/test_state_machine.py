"""The transitions themselves, on real PostgreSQL, raced from threads: exactly one claim of a node,
one queueing of a child whose parents finish at the same moment, one end of an execution, and no
result recorded by a worker that lost its node. Results are given as the sandbox would give them (no
containers here: these tests are about the database)."""

from __future__ import annotations

import threading
import time
import uuid
from datetime import timedelta

import pytest
from sqlalchemy import create_engine, text

from qflow.sandbox.outcome import RunResult, failure

@pytest.fixture(params=["postgres", "sqlite"])
def db(request, tmp_path):
    """PostgreSQL (server mode) and SQLite (the embedded executor's default): one state machine."""
    from qflow.db.migrate import ensure_migrated
    from qflow.db.session import dispose_engine, get_engine, session_factory

    if request.param == "postgres":
        url = request.getfixturevalue("make_pg_database")()
    else:
        url = f"sqlite:///{tmp_path / 'state.db'}"
    ensure_migrated(url)
    get_engine(url)
    yield url, session_factory(url)
    dispose_engine(url)


def rows(url: str, sql: str, **params) -> list[dict]:
    """Rows as plain values on both databases (SQLite hands back JSON as text and UUIDs as hex)."""
    import json
    import re

    def plain(v):
        if isinstance(v, str) and v[:1] in "{[":
            return json.loads(v)
        if isinstance(v, str) and re.fullmatch(r"[0-9a-f]{32}", v):
            return uuid.UUID(v)
        return v

    engine = create_engine(url)
    try:
        with engine.connect() as c:
            return [{k: plain(v) for k, v in r._mapping.items()} for r in c.execute(text(sql), params)]
    finally:
        engine.dispose()


def make_execution(sessions, tmp_path, doc: dict, max_retries: int = 0):
    from qflow.config import Settings
    from qflow.engine.prepare import prepare_workflow
    from qflow.engine.queue import state, submit
    from qflow.engine.queue.snapshot import SnapshotCache
    from qflow.engine.spec import parse_workflow

    (tmp_path / "one.py").write_text("def main(x: int = 0) -> int:\n    return x + 1\n")
    (tmp_path / "two.py").write_text("def main(a: int, b: int) -> int:\n    return a + b\n")
    doc = {"name": "t", "settings": {"max_retries": max_retries}, **doc}
    spec = parse_workflow(doc)
    resolved, plan = prepare_workflow(spec, {}, tmp_path)
    eid = submit.create(sessions, spec, resolved, plan, {}, queue="rq", app_settings=Settings(files_dir=tmp_path))
    snap = SnapshotCache().get(sessions, eid)
    jobs = state.start(sessions, eid, snap).jobs
    return eid, snap, jobs


def tuning(tmp_path):
    from qflow.engine.queue.state import Tuning

    return Tuning(files_dir=tmp_path, retry_base_seconds=0.01)


def ok(value: int) -> RunResult:
    return RunResult(status="completed", outputs={"result": value},
                     resource_usage={"cpu_seconds": 0.001, "peak_memory_bytes": 1, "wall_seconds": 0.001})


DIAMOND = {
    "nodes": [{"id": "a", "node": "./one.py"}, {"id": "b", "node": "./one.py"}, {"id": "c", "node": "./two.py"}],
    "connections": [{"from": "a.result", "to": "c.a"}, {"from": "b.result", "to": "c.b"}],
}


def race(*fns):
    barrier = threading.Barrier(len(fns))
    out = [None] * len(fns)

    def go(i, f):
        barrier.wait()
        out[i] = f()

    threads = [threading.Thread(target=go, args=(i, f)) for i, f in enumerate(fns)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return out


def test_a_node_is_claimed_once_however_often_its_job_is_delivered(db, tmp_path):
    from qflow.engine.queue import state

    url, sessions = db
    eid, snap, jobs = make_execution(sessions, tmp_path, DIAMOND)
    assert sorted(j.node_key for j in jobs) == ["a", "b"] and all(j.attempt == 1 for j in jobs)
    claims = race(*[lambda w=w: state.claim(sessions, snap, eid, "a", 1, f"w{w}", tmp_path) for w in range(6)])
    assert sum(c is not None for c in claims) == 1
    # A delivery of an attempt that is not the node's turn claims nothing either.
    assert state.claim(sessions, snap, eid, "b", 2, "late", tmp_path) is None
    assert rows(url, "SELECT count(*) AS n FROM workflow_execution_events WHERE event_type = 'node_started'")[0]["n"] == 1


@pytest.mark.parametrize("round_", range(8))
def test_parents_finishing_together_queue_their_child_once_and_the_last_ends_the_execution(db, tmp_path, round_):
    from qflow.engine.queue import state

    url, sessions = db
    eid, snap, _ = make_execution(sessions, tmp_path, DIAMOND)
    ca = state.claim(sessions, snap, eid, "a", 1, "wa", tmp_path)
    cb = state.claim(sessions, snap, eid, "b", 1, "wb", tmp_path)
    t = tuning(tmp_path)
    ta, tb = race(lambda: state.finish(sessions, snap, eid, "a", ca.node_id, 1, "wa", ok(1), t),
                  lambda: state.finish(sessions, snap, eid, "b", cb.node_id, 1, "wb", ok(1), t))
    queued = [j for tr in (ta, tb) for j in tr.jobs]
    assert [(j.node_key, j.attempt) for j in queued] == [("c", 1)]
    cc = state.claim(sessions, snap, eid, "c", 1, "wc", tmp_path)
    assert cc.inputs == {"a": 1, "b": 1}
    tc = state.finish(sessions, snap, eid, "c", cc.node_id, 1, "wc", ok(2), t)
    assert tc.ended == "completed"
    ex = rows(url, "SELECT status, progress_percent, current_node FROM workflow_executions")[0]
    assert ex == {"status": "completed", "progress_percent": 100.0, "current_node": None}
    kinds = [r["event_type"] for r in rows(url, "SELECT event_type FROM workflow_execution_events ORDER BY created_at, id")]
    assert kinds.count("completed") == 1 and kinds.count("node_completed") == 3
    flows = rows(url, "SELECT source_output, target_input, transport, size_bytes FROM node_data_flow")
    assert sorted((f["source_output"], f["target_input"]) for f in flows) == [("result", "a"), ("result", "b")]
    assert all(f["transport"] == "json" and f["size_bytes"] == 1 for f in flows)


@pytest.mark.parametrize("round_", range(5))
def test_two_last_nodes_finishing_together_end_the_execution_once(db, tmp_path, round_):
    from qflow.engine.queue import state

    url, sessions = db
    eid, snap, _ = make_execution(sessions, tmp_path, {"nodes": [{"id": "a", "node": "./one.py"},
                                                                 {"id": "b", "node": "./one.py"}]})
    ca = state.claim(sessions, snap, eid, "a", 1, "wa", tmp_path)
    cb = state.claim(sessions, snap, eid, "b", 1, "wb", tmp_path)
    t = tuning(tmp_path)
    ta, tb = race(lambda: state.finish(sessions, snap, eid, "a", ca.node_id, 1, "wa", ok(1), t),
                  lambda: state.finish(sessions, snap, eid, "b", cb.node_id, 1, "wb", failure("NodeError", "x", "3.11"), t))
    assert sorted([ta.ended or "", tb.ended or ""]) == ["", "failed"]
    ex = rows(url, "SELECT status, error FROM workflow_executions")[0]
    assert ex["status"] == "failed" and ex["error"]["node"] == "b"
    assert rows(url, "SELECT count(*) AS n FROM workflow_execution_events WHERE event_type = 'failed'")[0]["n"] == 1


def test_a_worker_that_lost_its_node_has_its_result_refused(db, tmp_path):
    from qflow.db.base import utcnow
    from qflow.engine.queue import state

    url, sessions = db
    eid, snap, _ = make_execution(sessions, tmp_path, {"nodes": [{"id": "a", "node": "./one.py"}]})
    first = state.claim(sessions, snap, eid, "a", 1, "slow-worker", tmp_path)
    t = tuning(tmp_path)
    # Its heartbeat is older than the cut-off: the reconciler gives the node to another worker.
    lost = state.requeue_lost(sessions, snap, eid, first.node_id, 1, utcnow() + timedelta(seconds=1), t)
    assert [(j.node_key, j.attempt) for j in lost.jobs] == [("a", 2)]
    second = state.claim(sessions, snap, eid, "a", 2, "other-worker", tmp_path)
    assert second is not None and second.node_id == first.node_id
    # The first worker comes back with its result: refused, nothing recorded; the heartbeat says so too.
    late = state.finish(sessions, snap, eid, "a", first.node_id, 1, "slow-worker", ok(1), t)
    assert late.recorded is False
    assert state.heartbeat(sessions, [first.node_id], "slow-worker") == (set(), set())
    done = state.finish(sessions, snap, eid, "a", second.node_id, 2, "other-worker", ok(1), t)
    assert done.ended == "completed"
    kinds = [r["event_type"] for r in rows(url, "SELECT event_type FROM workflow_execution_events ORDER BY created_at, id")]
    assert kinds == ["started", "node_started", "node_retried", "node_started", "node_completed", "completed"]
    node = rows(url, "SELECT status, attempt, worker_id FROM node_executions")[0]
    assert node == {"status": "completed", "attempt": 2, "worker_id": "other-worker"}
    errors = rows(url, "SELECT error_type, context FROM error_logs")
    assert errors == [{"error_type": "SandboxError", "context": {"node": "a", "attempt": 1, "reason": "worker_lost"}}]


def test_pause_returns_queued_nodes_to_pending_with_a_checkpoint_and_resume_queues_them(db, tmp_path):
    from qflow.engine.queue import state

    url, sessions = db
    eid, snap, jobs = make_execution(sessions, tmp_path, DIAMOND)
    ca = state.claim(sessions, snap, eid, "a", 1, "w", tmp_path)
    checkpoint = state.pause(sessions, eid)
    assert state.claim(sessions, snap, eid, "b", 1, "w", tmp_path) is None  # paused: nothing is claimed
    t = state.finish(sessions, snap, eid, "a", ca.node_id, 1, "w", ok(1), tuning(tmp_path))
    assert t.jobs == [] and t.ended is None  # recorded, but nothing scheduled while paused
    cp = rows(url, "SELECT id, state FROM workflow_checkpoints")
    assert [c["id"] for c in cp] == [checkpoint]
    assert cp[0]["state"]["nodes"] == {"a": {"status": "running", "attempt": 1}, "b": {"status": "pending", "attempt": 0},
                                       "c": {"status": "pending", "attempt": 0}}
    with pytest.raises(state.TransitionRefused):
        state.pause(sessions, eid)
    resumed = state.resume(sessions, eid, snap)
    assert [(j.node_key, j.attempt) for j in resumed.jobs] == [("b", 1)]
    ev = rows(url, "SELECT event_type, payload FROM workflow_execution_events WHERE event_type IN ('paused', 'resumed') "
                   "ORDER BY created_at")
    assert [e["event_type"] for e in ev] == ["paused", "resumed"]
    assert ev[0]["payload"]["checkpoint_id"] == ev[1]["payload"]["checkpoint_id"] == str(checkpoint)


def test_cancel_cancels_what_has_not_started_and_refuses_a_second_time(db, tmp_path):
    from qflow.engine.queue import state

    url, sessions = db
    eid, snap, _ = make_execution(sessions, tmp_path, DIAMOND)
    ca = state.claim(sessions, snap, eid, "a", 1, "w", tmp_path)
    state.cancel(sessions, eid)
    with pytest.raises(state.TransitionRefused):
        state.cancel(sessions, eid)
    assert state.heartbeat(sessions, [ca.node_id], "w") == ({ca.node_id}, {ca.node_id})  # told to stop
    cancelled = RunResult(status="cancelled")
    t = state.finish(sessions, snap, eid, "a", ca.node_id, 1, "w", cancelled, tuning(tmp_path))
    assert t.jobs == []
    statuses = {r["node_key"]: r["status"] for r in rows(url, "SELECT node_key, status FROM node_executions")}
    assert statuses == {"a": "cancelled", "b": "cancelled", "c": "cancelled"}
    assert rows(url, "SELECT status FROM workflow_executions")[0]["status"] == "cancelled"


def test_retries_back_off_exponentially_and_then_fail_and_skip(db, tmp_path):
    from qflow.engine.queue import state

    url, sessions = db
    eid, snap, _ = make_execution(sessions, tmp_path, {
        "nodes": [{"id": "a", "node": "./one.py"}, {"id": "b", "node": "./one.py"}],
        "connections": [{"from": "a.result", "to": "b.x"}]}, max_retries=2)
    t = state.Tuning(files_dir=tmp_path, retry_base_seconds=0.5)
    delays = []
    for attempt in (1, 2, 3):
        c = state.claim(sessions, snap, eid, "a", attempt, "w", tmp_path)
        assert c is not None, attempt
        tr = state.finish(sessions, snap, eid, "a", c.node_id, attempt, "w", failure("NodeError", "no", "3.11"), t)
        delays += [j.delay for j in tr.jobs]
    assert delays == [0.5, 1.0]
    assert tr.ended == "failed" and tr.skipped == ["b"]
    node = {r["node_key"]: r for r in rows(url, "SELECT node_key, status, attempt FROM node_executions")}
    assert (node["a"]["status"], node["a"]["attempt"], node["b"]["status"]) == ("failed", 3, "skipped")
    retried = rows(url, "SELECT payload FROM workflow_execution_events WHERE event_type = 'node_retried' ORDER BY created_at")
    assert [(r["payload"]["attempt"], r["payload"]["delay_seconds"]) for r in retried] == [(1, 0.5), (2, 1.0)]
    assert rows(url, "SELECT count(*) AS n FROM error_logs")[0]["n"] == 3
    # An input or output the node's types refuse is not retried: the same inputs fail the same way.
    eid2, snap2, _ = make_execution(sessions, tmp_path, {"nodes": [{"id": "a", "node": "./one.py"}]}, max_retries=2)
    c = state.claim(sessions, snap2, eid2, "a", 1, "w", tmp_path)
    tr = state.finish(sessions, snap2, eid2, "a", c.node_id, 1, "w", failure("OutputValidationError", "no", "3.11"), t)
    assert tr.jobs == [] and tr.ended == "failed"


def test_job_ids_are_plain_and_unique_per_attempt():
    from qflow.engine.queue.state import Job

    e = uuid.UUID(int=1)
    assert Job(e, "a-1", 2).job_id != Job(e, "a", 12).job_id
    assert Job(e, "n", 1).args() == [str(e), "n", 1]


CHAIN2 = {"nodes": [{"id": "a", "node": "./one.py"}, {"id": "b", "node": "./one.py"}],
          "connections": [{"from": "a.result", "to": "b.x"}]}


def test_a_finish_that_commits_while_the_reconciler_takes_the_node_away_is_not_recorded_twice(db, tmp_path, monkeypatch):
    """The reconciler decides a node is lost (stale heartbeat) while its slow-but-alive worker
    finishes it. Whichever transaction goes second must see the first: on SQLite (no FOR UPDATE) the
    reconciler's transaction holds the writer lock from its first read."""
    from datetime import timedelta

    from qflow.db.base import utcnow
    from qflow.engine.queue import state

    url, sessions = db
    eid, snap, _ = make_execution(sessions, tmp_path, CHAIN2)
    t = tuning(tmp_path)
    claim = state.claim(sessions, snap, eid, "a", 1, "slow-worker", tmp_path)
    inside, results = threading.Event(), {}
    real = state._lost_runs

    def lost_runs_then_wait(s, node_id):  # the reconciler has read the node; let the finish try now
        inside.set()
        time.sleep(0.5)
        return real(s, node_id)

    monkeypatch.setattr(state, "_lost_runs", lost_runs_then_wait)

    def reconciler():
        results["lost"] = state.requeue_lost(sessions, snap, eid, claim.node_id, 1, utcnow() + timedelta(seconds=5), t)

    def worker():
        inside.wait(10)
        results["finish"] = state.finish(sessions, snap, eid, "a", claim.node_id, 1, "slow-worker", ok(1), t)

    threads = [threading.Thread(target=reconciler), threading.Thread(target=worker)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert results["lost"].recorded != results["finish"].recorded  # exactly one of them
    a = rows(url, "SELECT status, attempt FROM node_executions WHERE node_key = 'a'")[0]
    events = [r["event_type"] for r in rows(url, "SELECT event_type, payload FROM workflow_execution_events ORDER BY id")
              if r["event_type"].startswith("node_")]
    if results["finish"].recorded:
        assert a["status"] == "completed" and events == ["node_started", "node_completed"]
    else:
        assert a["status"] == "queued" and events == ["node_started", "node_retried"]


def test_a_lost_node_of_a_cancelled_execution_is_cancelled_not_left_running(db, tmp_path):
    from datetime import timedelta

    from qflow.db.base import utcnow
    from qflow.engine.queue import state

    url, sessions = db
    eid, snap, _ = make_execution(sessions, tmp_path, CHAIN2)
    claim = state.claim(sessions, snap, eid, "a", 1, "dead-worker", tmp_path)
    state.cancel(sessions, eid)
    assert rows(url, "SELECT status FROM node_executions WHERE node_key = 'a'") == [{"status": "running"}]
    later = utcnow() + timedelta(hours=1)
    lost = state.lost_nodes(sessions, later, "rq")
    assert [(r.execution_id, r.attempt) for r in lost] == [(eid, 1)]
    t = state.requeue_lost(sessions, snap, eid, claim.node_id, 1, later, tuning(tmp_path))
    assert t.recorded and not t.jobs
    assert rows(url, "SELECT status FROM node_executions WHERE node_key = 'a'") == [{"status": "cancelled"}]


@pytest.mark.parametrize("round_", range(6))
def test_start_and_cancel_at_once_neither_deadlocks_nor_leaves_a_half_state(db, tmp_path, round_):
    """Both take node rows first and the execution row last: whichever commits second sees the first."""
    from qflow.config import Settings
    from qflow.engine.prepare import prepare_workflow
    from qflow.engine.queue import state, submit
    from qflow.engine.queue.snapshot import SnapshotCache
    from qflow.engine.spec import parse_workflow

    url, sessions = db
    (tmp_path / "one.py").write_text("def main(x: int = 0) -> int:\n    return x + 1\n")
    spec = parse_workflow({"name": "t", **DIAMOND, "nodes": [{"id": k, "node": "./one.py"} for k in "abc"],
                           "connections": []})
    resolved, plan = prepare_workflow(spec, {}, tmp_path)
    eid = submit.create(sessions, spec, resolved, plan, {}, queue="rq", app_settings=Settings(files_dir=tmp_path))
    snap = SnapshotCache().get(sessions, eid)

    def attempt(transition):
        def run():
            try:
                transition()
                return "done"
            except state.TransitionRefused:
                return "refused"
            except Exception as e:  # noqa: BLE001 — a deadlock, say: reported, not lost in the thread
                return repr(e)
        return run

    outcomes = race(attempt(lambda: state.start(sessions, eid, snap)), attempt(lambda: state.cancel(sessions, eid)))
    assert set(outcomes) <= {"done", "refused"}, outcomes
    ex = rows(url, "SELECT status FROM workflow_executions")[0]["status"]
    nodes = {r["status"] for r in rows(url, "SELECT status FROM node_executions")}
    assert ex == "cancelled" or (ex == "running" and nodes == {"queued"})
    if ex == "cancelled":
        assert nodes == {"cancelled"}


def test_container_rows_of_one_container_recorded_at_once_are_one_row(db, tmp_path):
    from datetime import datetime, timezone

    from qflow.engine.queue import state
    from qflow.sandbox.container import ContainerRecord, Limits

    url, sessions = db
    eid, _, _ = make_execution(sessions, tmp_path, DIAMOND)
    rec = ContainerRecord(docker_id="d" * 64, image="qflow-runner:3.11", limits=Limits(),
                          created_at=datetime.now(timezone.utc))

    def record():
        with state._begin(sessions) as s:
            return state.upsert_container(s, eid, rec)

    ids = race(*[record for _ in range(6)])
    assert len(set(ids)) == 1
    assert rows(url, "SELECT count(*) AS n FROM containers")[0]["n"] == 1
