"""The queue engine against the real services: PostgreSQL (a fresh database per test), Redis (database
15, a queue name of the test's own — nothing is flushed), Docker, and `qflow worker` processes started
as a user starts them."""

from __future__ import annotations

import os
import signal
import subprocess
import textwrap
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from tests.support import QFLOW

# Fast recovery for tests: heartbeats every 0.5 s, a node is lost after 3 s without one.
ENGINE_ENV = {
    "QFLOW_HEARTBEAT_SECONDS": "0.5",
    "QFLOW_STALE_AFTER_SECONDS": "3",
    "QFLOW_RECONCILE_SECONDS": "0.5",
    "QFLOW_REQUEUE_GRACE_SECONDS": "1",
    "QFLOW_REAP_SECONDS": "2",
    "QFLOW_RETRY_BASE_SECONDS": "1.0",
}


@dataclass
class QueueRig:
    db_url: str
    redis_url: str
    queue: str
    files_dir: Path
    tmp: Path
    extra_env: dict = field(default_factory=dict)
    workers: list = field(default_factory=list)

    # -- settings as the test process uses them

    @property
    def env(self) -> dict:
        return {**os.environ, **ENGINE_ENV, "QFLOW_DATABASE_URL": self.db_url, "QFLOW_REDIS_URL": self.redis_url,
                "QFLOW_QUEUE_NAME": self.queue, "QFLOW_FILES_DIR": str(self.files_dir), **self.extra_env}

    @property
    def settings(self):
        from qflow.config import Settings

        return Settings(database_url=self.db_url, redis_url=self.redis_url, files_dir=self.files_dir)

    @property
    def engine_settings(self):
        from qflow.engine.queue.settings import EngineSettings

        values = {k[len("QFLOW_"):].lower(): v for k, v in {**ENGINE_ENV, **self.extra_env}.items()
                  if k.startswith("QFLOW_")}
        return EngineSettings(queue_name=self.queue, **values)

    @property
    def sessions(self):
        from qflow.db.session import get_engine, session_factory

        get_engine(self.db_url)
        return session_factory(self.db_url)

    def dispatcher(self):
        from qflow.engine.queue.dispatch import RQDispatcher

        return RQDispatcher(self.redis_url, self.queue)

    # -- workers

    def start_worker(self, *args: str) -> subprocess.Popen:
        log = open(self.tmp / f"worker-{len(self.workers)}.log", "wb")
        p = subprocess.Popen([QFLOW, "worker", "--log-level", "INFO", *args], env=self.env, stdout=log,
                             stderr=subprocess.STDOUT)
        p.log_path = log.name
        self.workers.append(p)
        return p

    def wait_workers_ready(self, n: int, timeout: float = 60) -> None:
        from rq import Worker

        queue = self.dispatcher().queue
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if len(Worker.all(queue=queue)) >= n:
                return
            time.sleep(0.1)
        raise AssertionError("workers did not register:\n" + self.logs())

    def logs(self) -> str:
        out = []
        for p in self.workers:
            out.append(f"--- worker pid {p.pid} (exit {p.poll()})\n" + Path(p.log_path).read_text(errors="replace")[-4000:])
        return "\n".join(out)

    def stop_workers(self) -> None:
        for p in self.workers:
            if p.poll() is None:
                p.send_signal(signal.SIGTERM)
        for p in self.workers:
            try:
                p.wait(timeout=30)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()

    # -- workflows

    def node(self, name: str, code: str) -> str:
        (self.tmp / name).write_text(textwrap.dedent(code))
        return f"./{name}"

    def prepare(self, doc: dict, params: dict | None = None):
        from qflow.engine.prepare import prepare_workflow
        from qflow.engine.spec import parse_workflow

        spec = parse_workflow(doc)
        params = {**spec.params, **(params or {})}
        resolved, plan = prepare_workflow(spec, params, self.tmp)
        return spec, resolved, plan, params

    def submit(self, doc: dict, params: dict | None = None) -> uuid.UUID:
        from qflow.engine.queue import submit

        spec, resolved, plan, params = self.prepare(doc, params)
        eid = submit.create(self.sessions, spec, resolved, plan, params, queue="rq", app_settings=self.settings)
        submit.start(self.sessions, eid, self.dispatcher())
        return eid

    def wait(self, eid: uuid.UUID, timeout: float = 90, stop_when=("completed", "failed", "cancelled")) -> str:
        from qflow.engine.queue import submit

        try:
            return submit.wait(self.sessions, eid, self.dispatcher(), timeout=timeout, stop_when=tuple(stop_when))
        except TimeoutError as e:
            raise AssertionError(f"{e}\n{self.logs()}") from None

    def wait_for(self, predicate, timeout: float = 30, what: str = "condition"):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = predicate()
            if value:
                return value
            time.sleep(0.1)
        raise AssertionError(f"timed out waiting for {what}\n{self.logs()}")

    def outcome(self, eid: uuid.UUID) -> dict:
        from qflow.engine.queue import submit

        return submit.outcome(self.sessions, eid, self.files_dir).to_json()

    # -- rows

    def rows(self, sql: str, **params) -> list[dict]:
        engine = create_engine(self.db_url)
        try:
            with engine.connect() as c:
                return [dict(r._mapping) for r in c.execute(text(sql), params)]
        finally:
            engine.dispose()

    def nodes(self, eid: uuid.UUID) -> dict[str, dict]:
        return {r["node_key"]: r for r in self.rows("SELECT * FROM node_executions WHERE execution_id = :e", e=eid)}

    def events(self, eid: uuid.UUID) -> list[dict]:
        return self.rows("SELECT event_type, payload, node_execution_id, created_at FROM workflow_execution_events "
                         "WHERE execution_id = :e ORDER BY created_at, id", e=eid)

    def node_status(self, eid: uuid.UUID, key: str) -> str | None:
        got = self.rows("SELECT status FROM node_executions WHERE execution_id = :e AND node_key = :k", e=eid, k=key)
        return got[0]["status"] if got else None


@pytest.fixture
def rig(make_pg_database, redis_url, runner_image, tmp_path):
    from qflow.db.migrate import ensure_migrated

    db_url = make_pg_database()
    ensure_migrated(db_url)
    r = QueueRig(db_url=db_url, redis_url=redis_url, queue=f"test-{uuid.uuid4().hex[:10]}",
                 files_dir=tmp_path / "files", tmp=tmp_path)
    try:
        yield r
    finally:
        r.stop_workers()
        try:
            r.dispatcher().queue.delete(delete_jobs=True)
        except Exception:  # noqa: BLE001
            pass
        from qflow.db.session import dispose_engine

        dispose_engine(db_url)


SLEEP_NODE = """
    import time
    def main(x: int, seconds: float = 1.0) -> int:
        time.sleep(seconds)
        return x + 1
"""

SOURCE_NODE = """
    def main(start: int = 1) -> int:
        return start
"""

JOIN_NODE = """
    def main(a: int, b: int) -> int:
        return a + b
"""
