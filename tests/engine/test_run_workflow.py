"""`qflow run` end to end: real containers, the embedded SQLite database, and every row it records."""

from __future__ import annotations

import json
import textwrap

import pytest

from tests.support import REPO, rows, run_cli

pytestmark = pytest.mark.docker


def test_demo_workflow_runs_and_is_recorded(tmp_path, runner_image, no_leftover_containers):
    db = f"sqlite:///{tmp_path / 'q.db'}"
    p = run_cli("run", str(REPO / "node_library/workflows/demo.yaml"), "--param", "n=5", "--json",
                env={"QFLOW_DATABASE_URL": db})
    assert p.returncode == 0, p.stderr
    out = json.loads(p.stdout)
    assert out["status"] == "completed"
    nodes = out["nodes"]
    assert nodes["numbers"]["outputs"] == {"result": [1, 2, 3, 4, 5]}
    assert nodes["total"]["outputs"] == {"result": 15.0}
    assert nodes["stats"]["outputs"]["count"] == 5 and nodes["stats"]["outputs"]["median"] == 3.0
    assert nodes["words"]["outputs"]["result"]["the"] == 3
    assert "numbers" in p.stderr and "completed" in p.stderr  # progress goes to stderr

    ex = rows(db, "SELECT * FROM workflow_executions")
    assert len(ex) == 1 and ex[0]["status"] == "completed" and ex[0]["progress_percent"] == 100.0
    assert ex[0]["id"] == out["execution_id"].replace("-", "")  # SQLite keeps UUIDs as 32 hex digits
    ne = {r["node_key"]: r for r in rows(db, "SELECT * FROM node_executions")}
    assert set(ne) == {"numbers", "stats", "total", "words"}
    assert all(r["status"] == "completed" and r["attempt"] == 1 for r in ne.values())
    assert all(r["cpu_seconds"] is not None and r["peak_memory_bytes"] > 0 for r in ne.values())
    # The default isolation: one warm container for the execution, a fresh process per node.
    containers = rows(db, "SELECT * FROM containers")
    assert len(containers) == 1
    c = containers[0]
    assert c["status"] == "removed" and c["isolation"] == "execution" and c["removed_at"] is not None
    assert c["memory_limit_bytes"] == 128 * 2**20 and c["image"] == "qflow-runner:3.11"
    assert {r["container_id"] for r in ne.values()} == {c["id"]}
    assert abs(c["cpu_seconds"] - sum(r["cpu_seconds"] for r in ne.values())) < 1e-6
    assert c["peak_memory_bytes"] == max(r["peak_memory_bytes"] for r in ne.values())
    flows = rows(db, "SELECT source_output, target_input, transport, size_bytes FROM node_data_flow")
    assert sorted((f["source_output"], f["target_input"]) for f in flows) == [("result", "values")] * 2
    assert all(f["transport"] == "json" and f["size_bytes"] > 0 for f in flows)
    events = [r["event_type"] for r in rows(db, "SELECT event_type FROM workflow_execution_events ORDER BY id")]
    assert events[0] == "started" and events[-1] == "completed"
    assert events.count("node_started") == 4 and events.count("node_completed") == 4
    metrics = rows(db, "SELECT name FROM performance_metrics")
    assert len(metrics) == 12


def test_node_isolation_gives_each_node_its_own_container(tmp_path, runner_image, no_leftover_containers):
    wf = (REPO / "node_library/workflows/demo.yaml").read_text().replace(
        "max_retries: 0}", "max_retries: 0, isolation: node}")
    assert "isolation: node" in wf
    path = tmp_path / "demo.yaml"
    path.write_text(wf)
    db = f"sqlite:///{tmp_path / 'q.db'}"
    p = run_cli("run", str(path), "--json", env={"QFLOW_DATABASE_URL": db})
    assert p.returncode == 0, p.stderr
    containers = rows(db, "SELECT * FROM containers")
    assert len(containers) == 4
    assert {c["isolation"] for c in containers} == {"node"} and {c["status"] for c in containers} == {"removed"}
    ne = rows(db, "SELECT container_id FROM node_executions")
    assert {r["container_id"] for r in ne} == {c["id"] for c in containers}


def test_warm_container_passes_no_state_between_nodes(tmp_path, runner_image, no_leftover_containers):
    """Two nodes in one warm container: a module global, an environment variable and a file in /tmp
    set by the first are not seen by the second."""
    write(tmp_path, "dirty.py", """
        import os, json
        def main() -> str:
            json.FLAG = "dirty"
            os.environ["LEAK"] = "1"
            open("/tmp/leak.txt", "w").write("x")
            open("left-in-cwd.txt", "w").write("x")
            return os.getcwd()
    """)
    write(tmp_path, "probe.py", """
        import os, json
        def main(after: str) -> list[bool]:
            return [hasattr(json, "FLAG"), "LEAK" in os.environ, os.path.exists("/tmp/leak.txt"),
                    os.path.exists(os.path.join(after, "left-in-cwd.txt"))]
    """)
    wf = write(tmp_path, "wf.yaml", """
        name: state
        nodes:
          - {id: dirty, node: ./dirty.py}
          - {id: probe, node: ./probe.py}
        connections:
          - {from: dirty.result, to: probe.after}
    """)
    db = f"sqlite:///{tmp_path / 'q.db'}"
    p = run_cli("run", str(wf), "--json", env={"QFLOW_DATABASE_URL": db})
    assert p.returncode == 0, p.stdout + p.stderr
    assert json.loads(p.stdout)["nodes"]["probe"]["outputs"]["result"] == [False, False, False, False]
    assert len(rows(db, "SELECT id FROM containers")) == 1  # really the same container


def write(tmp_path, name: str, body: str):
    (tmp_path / name).write_text(textwrap.dedent(body))
    return tmp_path / name


def test_failed_node_fails_execution_and_skips_dependents(tmp_path, runner_image, no_leftover_containers):
    write(tmp_path, "boom.py", """
        def main(x: int) -> list[float]:
            raise ValueError("no good: %d" % x)
    """)
    wf = write(tmp_path, "wf.yaml", """
        name: failing
        nodes:
          - {id: first, node: range_list, inputs: {n: 3}}
          - {id: bad, node: ./boom.py, inputs: {x: 7}}
          - {id: after, node: sum_values}
          - {id: side, node: sum_values}
        connections:
          - {from: first.result, to: side.values}
          - {from: bad.result, to: after.values}
    """)
    db = f"sqlite:///{tmp_path / 'q.db'}"
    p = run_cli("run", str(wf), "--json", env={"QFLOW_DATABASE_URL": db})
    assert p.returncode == 1
    out = json.loads(p.stdout)
    assert out["status"] == "failed"
    assert out["nodes"]["bad"]["status"] == "failed"
    assert out["nodes"]["bad"]["error"]["type"] == "NodeError"
    assert "ValueError: no good: 7" in out["nodes"]["bad"]["error"]["message"]
    assert out["nodes"]["after"]["status"] == "skipped"
    assert out["nodes"]["side"]["status"] == "completed"
    ex = rows(db, "SELECT status, error FROM workflow_executions")[0]
    assert ex["status"] == "failed" and json.loads(ex["error"])["node"] == "bad"
    errors = rows(db, "SELECT error_type, message FROM error_logs")
    assert errors == [{"error_type": "NodeError", "message": "ValueError: no good: 7"}]
    assert [r["status"] for r in rows(db, "SELECT status FROM node_executions WHERE node_key='after'")] == ["skipped"]


def test_invalid_workflow_exits_2_with_every_problem_and_runs_nothing(tmp_path, docker_client):
    wf = write(tmp_path, "wf.yaml", """
        name: broken
        nodes:
          - {id: words, node: word_count, inputs: {text: hi}}
          - {id: total, node: sum_values}
          - {id: ghost, node: no_such_node}
        connections:
          - {from: words.result, to: total.values}
    """)
    db = f"sqlite:///{tmp_path / 'q.db'}"
    p = run_cli("run", str(wf), "--json", env={"QFLOW_DATABASE_URL": db})
    assert p.returncode == 2
    err = json.loads(p.stdout)["error"]
    by_node = {pr["node"]: pr for pr in err["problems"]}
    assert "dict[str, int]" in by_node["total"]["message"] and "list[float]" in by_node["total"]["message"]
    assert by_node["total"]["connection"] == "words.result -> total.values"
    assert "no_such_node" in by_node["ghost"]["message"]
    assert not (tmp_path / "q.db").exists()  # nothing ran, nothing was recorded


def test_conversion_failure_fails_the_node_at_its_connection(tmp_path, runner_image, no_leftover_containers):
    write(tmp_path, "text.py", """
        def main() -> str:
            return "not a number"
    """)
    write(tmp_path, "double.py", """
        def main(x: int) -> int:
            return 2 * x
    """)
    wf = write(tmp_path, "wf.yaml", """
        name: convert
        nodes:
          - {id: t, node: ./text.py}
          - {id: d, node: ./double.py}
        connections:
          - {from: t.result, to: d.x}
    """)
    p = run_cli("run", str(wf), "--json", env={"QFLOW_DATABASE_URL": f"sqlite:///{tmp_path / 'q.db'}"})
    assert p.returncode == 1
    d = json.loads(p.stdout)["nodes"]["d"]
    assert d["status"] == "failed" and d["error"]["type"] == "InputValidationError"
    assert "t.result -> d.x" in d["error"]["message"]


def test_bad_yaml_and_missing_file_are_clean_errors(tmp_path):
    bad = write(tmp_path, "bad.yaml", "name: [unclosed\n")
    p = run_cli("run", str(bad))
    assert p.returncode == 2 and "not valid YAML" in p.stderr and "Traceback" not in p.stderr
    p = run_cli("run", str(tmp_path / "missing.yaml"), "--json")
    assert p.returncode == 2 and "no such file" in json.loads(p.stdout)["error"]["message"]


def test_dependency_layer_is_recorded(tmp_path, runner_image, no_leftover_containers):
    wf = write(tmp_path, "wf.yaml", """
        name: yaml
        nodes:
          - {id: y, node: yaml_to_dict, inputs: {text: "k: [1, 2]"}}
    """)
    db = f"sqlite:///{tmp_path / 'q.db'}"
    p = run_cli("run", str(wf), "--json", env={"QFLOW_DATABASE_URL": db})
    assert p.returncode == 0, p.stdout + p.stderr
    assert json.loads(p.stdout)["nodes"]["y"]["outputs"] == {"result": {"k": [1, 2]}}
    deps = rows(db, "SELECT image, package, version, status FROM container_dependencies")
    assert [(d["package"], d["status"]) for d in deps] == [("pyyaml", "installed")]  # normalised name
    assert deps[0]["image"].startswith("qflow-deps:3.11-") and deps[0]["version"]
    image = rows(db, "SELECT image FROM containers")[0]["image"]
    assert image == deps[0]["image"]


def test_a_killed_run_is_marked_failed_and_cleaned_up_by_the_next(tmp_path, runner_image, no_leftover_containers):
    """kill -9 of `qflow run` mid-node: its execution would stay `running` for ever; the next `qflow run`
    on the same database marks it failed (saying why) and removes its container."""
    import os
    import signal
    import subprocess
    import time

    from tests.support import QFLOW

    write(tmp_path, "slow.py", """
        import time
        def main() -> int:
            time.sleep(60)
            return 1
    """)
    slow = write(tmp_path, "slow.yaml", "name: slow\nnodes:\n  - {id: s, node: ./slow.py}\n")
    quick = write(tmp_path, "quick.yaml", "name: quick\nnodes:\n  - {id: q, node: range_list, inputs: {n: 2}}\n")
    db = f"sqlite:///{tmp_path / 'q.db'}"
    env = {**os.environ, "QFLOW_DATABASE_URL": db}
    victim = subprocess.Popen([QFLOW, "run", str(slow), "--json"], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    from sqlalchemy.exc import OperationalError

    while time.monotonic() < deadline:
        try:
            if rows(db, "SELECT status FROM node_executions") == [{"status": "running"}]:
                break
        except OperationalError:  # not migrated yet
            pass
        time.sleep(0.2)
    else:
        victim.kill()
        pytest.fail("the slow node never started")
    victim.send_signal(signal.SIGKILL)
    victim.wait()
    assert rows(db, "SELECT status FROM workflow_executions") == [{"status": "running"}]
    p = run_cli("run", str(quick), "--json", env={"QFLOW_DATABASE_URL": db})
    assert p.returncode == 0, p.stderr
    assert "left running by a process that ended" in p.stderr
    by_name = {json.loads(r["definition"])["name"]: r for r in
               rows(db, "SELECT definition, status, error FROM workflow_executions")}
    assert by_name["slow"]["status"] == "failed" and by_name["quick"]["status"] == "completed"
    assert "process running this execution ended" in json.loads(by_name["slow"]["error"])["message"]
    assert rows(db, "SELECT node_key, status FROM node_executions WHERE node_key = 's'") == [
        {"node_key": "s", "status": "cancelled"}]
