"""Workflow overhead: chain40 and fan200, in-process and on RQ workers, next to a bare
subprocess-per-task baseline measured in the same run.

    .venv/bin/python bench/workflows.py --json [--runs 5] [--workers 2]

- chain40: 40 sequential nodes, each computing fib(10) and adding the previous node's result.
- fan200: a source, 200 parallel fib(10) nodes fed by it, a sink summing the 200 results.

Ways, timed from "run this execution" to "the execution's result is in the database":
- baseline: one fresh `sys.executable -c CODE` subprocess per task (the interpreter itself, no wrapper
  script), the value passed on argv and read back from stdout; fan200's tasks run as many at a time as
  there are cores.
- inprocess: `qflow run`'s embedded executor (SQLite, one node at a time, one warm container per
  execution), through the same state machine as the workers.
- queue: `qflow run --queue`'s path: the execution is created and its first nodes enqueued on RQ, two
  `qflow worker` processes (started by this script, on a fresh PostgreSQL database and a private RQ
  queue) run the nodes in their containers, and the waiter wakes on the workers' Redis notification.

Every node runs in a hardened container (that cost is included; each worker keeps one started container
ready for the next execution and starts a new one when an execution takes it — the script waits for
those starts to finish before each timed run, so they fall inside no timed run, the baseline's
included). Workflow parsing and validation
(libcst on every node, once per workflow) happens before timing and is reported on its own. Each way
runs once untimed first (the "cold" run: images, imports, the workers' first containers), then
`--runs` timed runs, interleaved; medians are reported with their ratios to the baseline median. For
the queue runs the script also reads back where the time went (see `breakdown`).
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
QFLOW = str(Path(sys.executable).with_name("qflow"))

FIB = "def fib(k):\n    return k if k < 2 else fib(k - 1) + fib(k - 2)\n"
CHAIN_NODE = ("def main(prev: int) -> int:\n"
              "    def fib(k: int) -> int:\n"
              "        return k if k < 2 else fib(k - 1) + fib(k - 2)\n"
              "    return fib(10) + prev\n")
SOURCE_NODE = "def main() -> int:\n    return 10\n"
FIB_NODE = ("def main(n: int) -> int:\n"
            "    def fib(k: int) -> int:\n"
            "        return k if k < 2 else fib(k - 1) + fib(k - 2)\n"
            "    return fib(n)\n")
FAN = 200
CHAIN = 40


def sink_node(n: int) -> str:
    args = ", ".join(f"x{i}: int" for i in range(n))
    return f"def main({args}) -> int:\n    return " + " + ".join(f"x{i}" for i in range(n)) + "\n"


# ---------------------------------------------------------------- workflows


def write_nodes(d: Path) -> None:
    (d / "chain_node.py").write_text(CHAIN_NODE)
    (d / "source.py").write_text(SOURCE_NODE)
    (d / "fib.py").write_text(FIB_NODE)
    (d / "sink.py").write_text(sink_node(FAN))


def chain_spec() -> dict:
    nodes = [{"id": "n0", "node": "./chain_node.py", "inputs": {"prev": 0}}]
    nodes += [{"id": f"n{i}", "node": "./chain_node.py"} for i in range(1, CHAIN)]
    conns = [{"from": f"n{i - 1}.result", "to": f"n{i}.prev"} for i in range(1, CHAIN)]
    return {"name": "chain40", "nodes": nodes, "connections": conns}


def fan_spec() -> dict:
    nodes = [{"id": "source", "node": "./source.py"}]
    nodes += [{"id": f"f{i}", "node": "./fib.py"} for i in range(FAN)]
    nodes += [{"id": "sink", "node": "./sink.py"}]
    conns = [{"from": "source.result", "to": f"f{i}.n"} for i in range(FAN)]
    conns += [{"from": f"f{i}.result", "to": f"sink.x{i}"} for i in range(FAN)]
    return {"name": "fan200", "nodes": nodes, "connections": conns}


EXPECTED = {"chain40": ("n39", 55 * CHAIN), "fan200": ("sink", 55 * FAN)}


def prepare(doc: dict, base: Path):
    from qflow.engine.prepare import prepare_workflow
    from qflow.engine.spec import parse_workflow

    spec = parse_workflow(doc)
    t0 = time.perf_counter()
    resolved, plan = prepare_workflow(spec, {}, base)
    return spec, resolved, plan, time.perf_counter() - t0


# ---------------------------------------------------------------- baseline


def task(code: str, *argv: str) -> int:
    p = subprocess.run([sys.executable, "-c", code, *argv], capture_output=True, text=True, check=True)
    return int(p.stdout)


CHAIN_TASK = "import sys\n" + FIB + "print(fib(10) + int(sys.argv[1]))\n"
SOURCE_TASK = "print(10)\n"
FIB_TASK = "import sys\n" + FIB + "print(fib(int(sys.argv[1])))\n"
SINK_TASK = "import sys\nprint(sum(int(x) for x in sys.argv[1:]))\n"


def baseline(name: str) -> tuple[float, int]:
    t0 = time.perf_counter()
    if name == "chain40":
        value = 0
        for _ in range(CHAIN):
            value = task(CHAIN_TASK, str(value))
    else:
        n = task(SOURCE_TASK)
        with ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
            results = list(pool.map(lambda _: task(FIB_TASK, str(n)), range(FAN)))
        value = task(SINK_TASK, *map(str, results))
    return time.perf_counter() - t0, value


# ---------------------------------------------------------------- in-process


def inprocess(sessions, app_settings, prepared) -> tuple[float, int, uuid.UUID]:
    from qflow.engine.inprocess import execute

    spec, resolved, plan, _ = prepared
    t0 = time.perf_counter()
    out = execute(sessions, spec, resolved, plan, {}, app_settings=app_settings)
    took = time.perf_counter() - t0
    key, _ = EXPECTED[spec.name]
    assert out.status == "completed", out.to_json()
    return took, out.nodes[key].outputs["result"], out.execution_id


# ---------------------------------------------------------------- queue


class QueueRig:
    """A fresh PostgreSQL database, a private RQ queue and `workers` `qflow worker` processes."""

    def __init__(self, workers: int, files_dir: Path):
        from sqlalchemy import create_engine

        from qflow.config import Settings
        from qflow.db.session import resolve_url

        admin = os.environ.get("QFLOW_BENCH_POSTGRES_URL",
                               "postgresql+psycopg://qflow:qflow@127.0.0.1:5432/postgres")
        self.admin = create_engine(resolve_url(admin), isolation_level="AUTOCOMMIT")
        self.dbname = f"qflow_bench_{uuid.uuid4().hex[:12]}"
        with self.admin.connect() as c:
            c.exec_driver_sql(f'CREATE DATABASE "{self.dbname}"')
        self.db_url = resolve_url(admin).set(database=self.dbname).render_as_string(hide_password=False)
        self.redis_url = os.environ.get("QFLOW_BENCH_REDIS_URL", "redis://127.0.0.1:6379/13")
        self.queue = f"bench-{uuid.uuid4().hex[:8]}"
        self.settings = Settings(database_url=self.db_url, redis_url=self.redis_url, files_dir=files_dir)
        self.env = {**os.environ, "QFLOW_DATABASE_URL": self.db_url, "QFLOW_REDIS_URL": self.redis_url,
                    "QFLOW_QUEUE_NAME": self.queue, "QFLOW_FILES_DIR": str(files_dir)}
        from qflow.db.migrate import ensure_migrated
        from qflow.db.session import session_factory
        from qflow.engine.queue.dispatch import RQDispatcher

        ensure_migrated(self.db_url)
        self.sessions = session_factory(self.db_url)
        self.dispatcher = RQDispatcher(self.redis_url, self.queue)
        self.logs = [tempfile.TemporaryFile() for _ in range(workers)]
        self.procs = [subprocess.Popen([QFLOW, "worker", "--log-level", "WARNING"], env=self.env,
                                       stdout=log, stderr=subprocess.STDOUT) for log in self.logs]
        self._wait_ready(workers)

    def quiesce(self) -> None:
        """Before any timed run: until the workers have started their next pre-started containers
        (which they do right after an execution took theirs), so that no timed run — the baseline's
        included — shares the machine with container starts from a previous one."""
        self._wait_ready(len(self.procs))
        time.sleep(0.3)

    def _wait_ready(self, workers: int) -> None:
        """Until every worker is registered with RQ and has its pre-started container."""
        import docker
        from rq import Worker

        client = docker.from_env()
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            registered = len(Worker.all(queue=self.dispatcher.queue))
            pooled = len(client.containers.list(ignore_removed=True, filters={"label": "org.qflow.execution=pool",
                                                         "status": "running"}))
            if registered >= workers and pooled >= workers:
                return
            if any(p.poll() is not None for p in self.procs):
                break
            time.sleep(0.2)
        raise RuntimeError("workers did not start: " + self.worker_logs())

    def worker_logs(self) -> str:
        out = []
        for log in self.logs:
            log.seek(0)
            out.append(log.read().decode(errors="replace")[-2000:])
        return "\n---\n".join(out)

    def run(self, prepared) -> tuple[float, int, uuid.UUID]:
        from qflow.engine.queue import submit

        spec, resolved, plan, _ = prepared
        t0 = time.perf_counter()
        eid = submit.create(self.sessions, spec, resolved, plan, {}, queue="rq", app_settings=self.settings)
        submit.start(self.sessions, eid, self.dispatcher)
        status = submit.wait(self.sessions, eid, self.dispatcher, timeout=300)
        took = time.perf_counter() - t0
        if status != "completed":
            raise RuntimeError(f"{spec.name} ended {status}: {self.worker_logs()}")
        out = submit.outcome(self.sessions, eid, self.settings.files_dir)
        key, _ = EXPECTED[spec.name]
        return took, out.nodes[key].outputs["result"], eid

    def breakdown(self, eid: uuid.UUID, spec_name: str) -> dict:
        """Where an execution's time went, from its rows: the nodes' own time in the container, the
        worker's time around it (claim, sandbox round trip, record), and the hand-off from one node's
        record to the next node's claim (dispatch, Redis, the worker picking the job up)."""
        from sqlalchemy import select

        from qflow.engine.queue.state import EX, NE

        with self.sessions() as s:
            ex = s.execute(select(EX.c.created_at, EX.c.started_at, EX.c.finished_at).where(EX.c.id == eid)).one()
            nodes = s.execute(select(NE.c.node_key, NE.c.started_at, NE.c.finished_at, NE.c.wall_seconds,
                                     NE.c.worker_id).where(NE.c.execution_id == eid)).all()
        wall = sum(n.wall_seconds or 0 for n in nodes)
        span = sum((n.finished_at - n.started_at).total_seconds() for n in nodes)
        out = {
            "create_to_start_s": round((ex.started_at - ex.created_at).total_seconds(), 4),
            "start_to_finish_s": round((ex.finished_at - ex.started_at).total_seconds(), 4),
            "nodes_in_container_s": round(wall, 4),
            "nodes_worker_overhead_s": round(span - wall, 4),
            "per_node_worker_overhead_ms": round(1000 * (span - wall) / len(nodes), 2),
            "nodes_per_worker": sorted((sum(1 for n in nodes if n.worker_id == w) for w in
                                        {n.worker_id for n in nodes}), reverse=True),
        }
        if spec_name == "chain40":
            by = {n.node_key: n for n in nodes}
            gaps = [(by[f"n{i}"].started_at - by[f"n{i - 1}"].finished_at).total_seconds() for i in range(1, CHAIN)]
            out["handoff_total_s"] = round(sum(gaps), 4)
            out["handoff_median_ms"] = round(1000 * statistics.median(gaps), 2)
        else:
            starts = sorted(n.started_at for n in nodes)
            ends = sorted(n.finished_at for n in nodes)
            out["first_start_to_last_finish_s"] = round((ends[-1] - starts[0]).total_seconds(), 4)
        return out

    def close(self) -> None:
        for p in self.procs:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.procs:
            try:
                p.wait(timeout=60)
            except subprocess.TimeoutExpired:
                p.kill()
        from qflow.db.session import dispose_engine

        dispose_engine(self.db_url)
        with self.admin.connect() as c:
            c.exec_driver_sql(f'DROP DATABASE IF EXISTS "{self.dbname}" WITH (FORCE)')
        self.admin.dispose()
        try:
            self.dispatcher.queue.delete(delete_jobs=True)
        except Exception:  # noqa: BLE001
            pass


# ---------------------------------------------------------------- main


def summary(xs: list[float]) -> dict:
    return {"median_s": round(statistics.median(xs), 4), "min_s": round(min(xs), 4), "max_s": round(max(xs), 4),
            "runs_s": [round(x, 4) for x in xs]}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--only", choices=["chain40", "fan200"], default=None)
    args = ap.parse_args()

    from qflow.config import Settings
    from qflow.db.migrate import ensure_migrated
    from qflow.db.session import session_factory
    from qflow.sandbox.images import ensure_runner_image

    ensure_runner_image("3.11", log=lambda m: print(m, file=sys.stderr))
    tmp = Path(tempfile.mkdtemp(prefix="qflow-bench-"))
    write_nodes(tmp)
    names = [args.only] if args.only else ["chain40", "fan200"]
    prepared = {n: prepare(chain_spec() if n == "chain40" else fan_spec(), tmp) for n in names}

    local = Settings(database_url=f"sqlite:///{tmp / 'inprocess.db'}", files_dir=tmp / "files")
    ensure_migrated(local.database_url)
    local_sessions = session_factory(local.database_url)

    rig = QueueRig(args.workers, tmp / "files")
    out: dict = {"cpus": os.cpu_count(), "python": sys.executable, "runs": args.runs, "workers": args.workers,
                 "node_code": {"chain40": CHAIN_NODE, "fan200": FIB_NODE}}
    try:
        for name in names:
            key, want = EXPECTED[name]
            cold = {}
            took, value = baseline(name)
            cold["baseline"] = took
            assert value == want, (name, "baseline", value)
            took, value, _ = inprocess(local_sessions, local, prepared[name])
            cold["inprocess"] = took
            assert value == want, (name, "inprocess", value)
            took, value, _ = rig.run(prepared[name])
            cold["queue"] = took
            assert value == want, (name, "queue", value)
            times: dict[str, list[float]] = {"baseline": [], "inprocess": [], "queue": []}
            last_queue = None
            for _ in range(args.runs):
                rig.quiesce()
                took, value = baseline(name)
                times["baseline"].append(took)
                rig.quiesce()
                took, value, _ = inprocess(local_sessions, local, prepared[name])
                times["inprocess"].append(took)
                rig.quiesce()
                took, value, last_queue = rig.run(prepared[name])
                times["queue"].append(took)
                assert value == want
            base = statistics.median(times["baseline"])
            out[name] = {
                "prepare_s": round(prepared[name][3], 4),
                "baseline_subprocess_per_task": summary(times["baseline"]),
                "inprocess": summary(times["inprocess"]),
                f"queue_{args.workers}_workers": summary(times["queue"]),
                "ratio_to_baseline": {
                    "inprocess": round(statistics.median(times["inprocess"]) / base, 3),
                    "queue": round(statistics.median(times["queue"]) / base, 3),
                },
                "cold_first_run_s": {k: round(v, 4) for k, v in cold.items()},
                "breakdown_last_queue_run": rig.breakdown(last_queue, name),
            }
            print(f"{name}: baseline {base:.3f}s  inprocess {statistics.median(times['inprocess']):.3f}s  "
                  f"queue {statistics.median(times['queue']):.3f}s", file=sys.stderr)
    finally:
        rig.close()
    if args.json:
        print(json.dumps(out, indent=2))
    else:
        for name in names:
            r = out[name]
            print(f"{name}: ratios to baseline {r['ratio_to_baseline']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
