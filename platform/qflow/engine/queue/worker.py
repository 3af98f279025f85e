"""`qflow worker`: an RQ worker that runs workflow nodes.

It is an RQ `SimpleWorker` (each job runs in the worker process: no fork per job, and the process keeps
its warm containers, its database pool and its snapshot cache from one job to the next) on a queue with
the JSON serializer. Next to RQ's loop, a maintenance thread runs the reconciler, closes the sandboxes
of executions that ended or idled, removes abandoned containers (`reaper.reap`, at start and every
half minute by default) and expires temporary files. A worker that loses Redis keeps retrying it; one whose RQ
loop ends on an error starts a new one.

`--burst` works until no running execution on the queue has a node queued or running (RQ's own burst
mode stops at the first empty queue, which would leave a node's delayed retry behind).
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid

from rq.worker import SimpleWorker

from qflow.engine.queue import state
from qflow.engine.queue.dispatch import RQDispatcher
from qflow.engine.queue.leases import WorkerLeases
from qflow.engine.queue.reconciler import reconcile
from qflow.engine.queue.runtime import Heartbeats, NodeRunner, RunnerParts, Sandboxes
from qflow.engine.queue.snapshot import SnapshotCache
from qflow.engine.queue.state import Tuning

log = logging.getLogger("qflow.worker")

EXPIRE_SECONDS = 600.0

_STOP = threading.Event()
_RUNTIME: "WorkerRuntime | None" = None


class QflowWorker(SimpleWorker):
    # RQ waits up to 60 s between attempts to reach a lost Redis; a restart should cost seconds.
    max_connection_wait_time = 2.0
    # RQ refreshes the worker's own key (three round trips) several times per job; its TTL is a
    # minute, so once a second is plenty. Pipelined heartbeats (part of RQ's own pipelines) pass.
    heartbeat_every = 1.0
    _beat_at = 0.0

    def heartbeat(self, timeout=None, pipeline=None):
        if pipeline is not None:
            return super().heartbeat(timeout, pipeline=pipeline)
        if timeout is None and time.monotonic() - self._beat_at < self.heartbeat_every:
            return None
        with self.connection.pipeline(transaction=False) as p:
            super().heartbeat(timeout, pipeline=p)
            p.execute()
        self._beat_at = time.monotonic()
        return None

    def request_stop(self, signum, frame):
        _STOP.set()
        super().request_stop(signum, frame)


class WorkerRuntime:
    """Everything one worker process keeps between jobs."""

    def __init__(self, app_settings=None, engine_settings=None, *, connection=None):
        from qflow.config import get_settings
        from sqlalchemy.orm import sessionmaker

        from qflow.db.session import create_engine_for
        from qflow.sandbox.sandboxes import worker_identity

        self.app = app_settings or get_settings()
        self.es = engine_settings or self.app
        if not self.app.redis_url:
            raise RuntimeError("QFLOW_REDIS_URL is not set: workers take their jobs from Redis")
        # The worker's own engine: no pre-ping (a round trip before every transaction); a connection
        # that died is invalidated by its first error and the transition is tried again (runtime.py).
        self.engine = create_engine_for(self.app.database_url, pool_pre_ping=False)
        self.sessions = sessionmaker(bind=self.engine, expire_on_commit=False)
        self.dispatcher = RQDispatcher(self.app.redis_url, self.es.queue_name, connection=connection)
        self.worker_id = worker_identity()
        self.tuning = Tuning.from_settings(self.app, self.es)
        self.sandboxes = Sandboxes(self.sessions, prestart=self.es.prestart_containers, background_close=True)
        self.heartbeats = Heartbeats(self.sessions, self.worker_id, self.es.heartbeat_seconds)
        self.snapshots = SnapshotCache()
        self.deployment: str | None = None  # known once the lease is held
        self.leases = WorkerLeases(self.dispatcher.connection, self.worker_id,
                                   ttl=max(self.es.stale_after_seconds, 3 * self.es.heartbeat_seconds))
        self.runner = NodeRunner(RunnerParts(self.sessions, self.worker_id, self.tuning, self.sandboxes,
                                             self.heartbeats, self.snapshots), self.dispatcher)
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # -- maintenance

    def reconcile(self):
        return reconcile(self.sessions, self.dispatcher, self.snapshots, self.tuning, self.es)

    def reap(self) -> None:
        import docker

        from qflow.sandbox.reaper import reap

        removed = reap(docker.from_env(), self.sessions, leases_gone=self.leases.gone, deployment=self.deployment)
        if removed:
            log.info("removed %d abandoned container(s)", len(removed))

    def hold_lease(self) -> None:
        """Renew this worker's lease from now on; containers made after this carry its label."""
        from qflow.engine.queue.leases import deployment_id
        from qflow.sandbox.sandboxes import hold_lease

        self.deployment = deployment_id(self.dispatcher.connection)
        hold_lease(self.deployment)
        self.leases.hold()

    def start_maintenance(self) -> None:
        self._thread = threading.Thread(target=self._maintain, name="qflow-maintenance", daemon=True)
        self._thread.start()

    def _maintain(self) -> None:
        from qflow.engine.queue.files import expire_files

        last = {"reap": time.monotonic(), "expire": 0.0, "reconcile": 0.0}
        while not self._stop.wait(min(1.0, self.es.reconcile_seconds)):
            now = time.monotonic()
            for name, every, job in (
                    ("reconcile", self.es.reconcile_seconds, self.reconcile),
                    ("reap", self.es.reap_seconds, self.reap),
                    ("expire", EXPIRE_SECONDS, lambda: expire_files(self.sessions, self.tuning.files_dir))):
                if now - last[name] >= every:
                    last[name] = now
                    try:
                        job()
                    except Exception as e:  # noqa: BLE001 — maintenance tries again next time
                        log.warning("%s failed: %s", name, e)
            try:
                self.sandboxes.close_idle(self.es.sandbox_idle_seconds)
            except Exception as e:  # noqa: BLE001
                log.warning("closing idle sandboxes failed: %s", e)

    def work_left(self) -> bool:
        """Does a running execution on the queue still have a node queued or running?"""
        from sqlalchemy import exists, select

        q = select(exists().where(state.NE.c.execution_id == state.EX.c.id, state.EX.c.status == "running",
                                  state.EX.c.queue == "rq", state.NE.c.status.in_(("queued", "running"))))
        with self.sessions() as s:
            return bool(s.scalar(q))

    def close(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)
        try:
            self.leases.release()
        except Exception as e:  # noqa: BLE001 — an unreleased lease lapses by itself
            log.warning("releasing the worker lease failed: %s", e)
        self.heartbeats.stop()
        self.sandboxes.close_all()
        self.engine.dispose()


def runtime() -> WorkerRuntime:
    """The process's runtime: the worker's, or one made from the settings (a plain `rq worker`)."""
    global _RUNTIME
    if _RUNTIME is None:
        _RUNTIME = WorkerRuntime()
    return _RUNTIME


def run_worker(*, burst: bool = False, name: str | None = None, log_level: str = "INFO",
               max_jobs: int | None = None) -> int:
    """The `qflow worker` loop; returns the number of RQ work loops that ran."""
    global _RUNTIME
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError
    from rq.serializers import JSONSerializer
    from rq.worker.base import StopRequested

    from qflow.config import get_settings
    from qflow.sandbox.images import ensure_runner_image

    logging.basicConfig(level=log_level, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    rt = _RUNTIME = WorkerRuntime()
    base = name or f"qflow-{socket.gethostname()}-{os.getpid()}-{uuid.uuid4().hex[:6]}"
    loops = 0
    try:
        try:
            rt.hold_lease()
        except Exception as e:  # noqa: BLE001 — Redis away for now: the renewing thread tries again
            log.warning("taking the worker lease failed: %s", e)
        try:
            rt.reap()
        except Exception as e:  # noqa: BLE001 — no Docker here is every node's SandboxError, not ours
            log.warning("reaping at start failed: %s", e)
        try:
            version = get_settings().default_python_version
            ensure_runner_image(version, log=lambda m: log.info(m))
            rt.sandboxes.warm(version, default_limits())
        except Exception as e:  # noqa: BLE001
            log.warning("could not prepare the runner image: %s", e)
        rt.start_maintenance()
        while not _STOP.is_set():
            loops += 1
            worker = QflowWorker([rt.dispatcher.queue], connection=rt.dispatcher.connection,
                                 serializer=JSONSerializer, name=f"{base}-{loops}", worker_ttl=60)
            try:
                worker.work(burst=burst, logging_level=log_level, max_jobs=max_jobs)
            except (RedisConnectionError, RedisTimeoutError) as e:
                log.warning("Redis is not answering (%s); trying again", e)
                _STOP.wait(1.0)
                continue
            except StopRequested:
                break
            if _STOP.is_set() or max_jobs is not None:
                break
            if burst:
                try:
                    rt.reconcile()
                    if not rt.work_left():
                        break
                except StopRequested:
                    break
                except Exception as e:  # noqa: BLE001
                    log.warning("burst check failed: %s", e)
                _STOP.wait(0.2)
                continue
            log.warning("the RQ work loop ended; starting it again")
            _STOP.wait(1.0)
    except StopRequested:
        pass
    finally:
        rt.close()
        _RUNTIME = None
    return loops


def default_limits():
    """The limits of a node that sets none (what the pre-start pool warms for)."""
    from qflow.config import get_settings
    from qflow.sandbox.container import Limits

    s = get_settings()
    return Limits(timeout_seconds=s.default_timeout_seconds, memory_mb=s.default_memory_mb, pids=s.default_pids_limit,
                  output_bytes=s.default_output_limit_bytes, tmp_mb=s.default_tmp_size_mb)
