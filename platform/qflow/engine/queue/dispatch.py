"""How a node's job reaches the code that runs it: RQ (any worker host) or a local thread pool (the
embedded executor). Both carry only `Job`s — execution id, node key, attempt — as plain JSON; the
state machine in `state.py` decides everything else.

A dispatch that fails (Redis down) is logged, not raised: the node stays 'queued' in the database and
the reconciler enqueues it again once Redis answers.
"""

from __future__ import annotations

import logging
import threading
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Callable, Iterable

from qflow.engine.queue.state import Job

log = logging.getLogger("qflow.engine")

JOB_FUNCTION = "qflow.engine.queue.jobs.run_node"
CHANNEL = "qflow:execution:{}"
ALIVE = {"queued", "scheduled", "deferred"}  # RQ job statuses that will still be delivered


def channel(execution_id: uuid.UUID | str) -> str:
    return CHANNEL.format(execution_id)


class RQDispatcher:
    """Enqueues jobs on one RQ queue with the JSON serializer (nothing is pickled, either way)."""

    kind = "rq"

    def __init__(self, redis_url: str, queue_name: str, connection=None):
        from redis import Redis
        from rq import Queue
        from rq.serializers import JSONSerializer

        self.connection = connection or Redis.from_url(redis_url, socket_connect_timeout=5,
                                                       socket_timeout=30, health_check_interval=30)
        self.queue = Queue(queue_name, connection=self.connection, serializer=JSONSerializer)
        self._timers: set[threading.Timer] = set()
        self._lock = threading.Lock()

    # -- enqueue

    def dispatch(self, jobs: Iterable[Job]) -> None:
        now, later = [], []
        for j in jobs:
            (later if j.delay > 0 else now).append(j)
        if now:
            try:
                self._enqueue(now)
            except Exception as e:  # noqa: BLE001 — the reconciler enqueues them again
                log.warning("could not enqueue %d job(s) (%s); the reconciler will", len(now), e)
        for j in later:
            self._later(j)

    def _enqueue(self, jobs: list[Job], replace: bool = False) -> None:
        from rq.job import Job as RQJob

        if replace:  # (a pipeline RQ enqueues on must hold nothing else: RQ may WATCH on it)
            self.connection.delete(*[RQJob.key_for(j.job_id) for j in jobs])
        with self.connection.pipeline() as pipe:
            for j in jobs:
                self.queue.enqueue_call(JOB_FUNCTION, args=j.args(), job_id=j.job_id, timeout=-1, result_ttl=60,
                                        failure_ttl=24 * 3600, description=f"{j.node_key}#{j.attempt}",
                                        pipeline=pipe)
            pipe.execute()

    def _later(self, j: Job) -> None:
        def fire() -> None:
            with self._lock:
                self._timers.discard(timer)
            self.dispatch([Job(j.execution_id, j.node_key, j.attempt)])

        timer = threading.Timer(j.delay, fire)
        timer.daemon = True
        with self._lock:
            self._timers.add(timer)
        timer.start()

    def pending_timers(self) -> int:
        with self._lock:
            return len(self._timers)

    # -- what the reconciler asks

    def _statuses(self, jobs: list[Job]) -> list[str | None]:
        """Each job's RQ status (None: no job hash), in one round trip."""
        from rq.job import Job as RQJob

        if not jobs:
            return []
        with self.connection.pipeline() as pipe:
            for j in jobs:
                pipe.hget(RQJob.key_for(j.job_id), "status")
            found = pipe.execute()
        return [st.decode() if isinstance(st, bytes) else st for st in found]

    def missing(self, jobs: list[Job]) -> list[Job]:
        """The jobs RQ will not deliver: no job hash, or one that already ran, failed or stopped."""
        return [j for j, st in zip(jobs, self._statuses(jobs)) if st not in ALIVE and st != "started"]

    def started(self, jobs: list[Job]) -> list[Job]:
        """Jobs a worker took (status 'started') — for a node still 'queued', that worker died
        before it could claim the node."""
        return [j for j, st in zip(jobs, self._statuses(jobs)) if st == "started"]

    def redeliver(self, jobs: list[Job]) -> None:
        if jobs:
            self._enqueue(jobs, replace=True)

    # -- progress notifications (best effort; readers also poll the database)

    def notify(self, execution_id: uuid.UUID, ended: str | None = None) -> None:
        try:
            self.connection.publish(channel(execution_id), ended or "changed")
        except Exception:  # noqa: BLE001
            pass


class LocalDispatcher:
    """The embedded executor's queue: a thread pool in this process (`concurrency` nodes at a time),
    and timers for retry delays."""

    kind = "inprocess"

    def __init__(self, run: Callable[[Job], None], concurrency: int = 1):
        self._run = run
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="qflow-node")
        self._lock = threading.Condition()
        self._outstanding = 0
        self._timers: set[threading.Timer] = set()
        self._closed = False
        self.listeners: list[Callable[[uuid.UUID, str | None], None]] = []

    def dispatch(self, jobs: Iterable[Job]) -> None:
        for j in jobs:
            if j.delay > 0:
                self._later(j)
                continue
            with self._lock:
                if self._closed:
                    return
                self._outstanding += 1
            self._pool.submit(self._wrapped, Job(j.execution_id, j.node_key, j.attempt))

    def _wrapped(self, job: Job) -> None:
        try:
            self._run(job)
        except Exception:  # noqa: BLE001 — the waiter's stall check recovers the node
            log.exception("node job %s failed in the engine", job.job_id)
        finally:
            with self._lock:
                self._outstanding -= 1
                self._lock.notify_all()

    def _later(self, j: Job) -> None:
        def fire() -> None:
            self.dispatch([Job(j.execution_id, j.node_key, j.attempt)])  # counted before the timer is not
            with self._lock:
                self._timers.discard(timer)
                self._outstanding -= 1
                self._lock.notify_all()

        timer = threading.Timer(j.delay, fire)
        timer.daemon = True
        with self._lock:
            self._timers.add(timer)
            self._outstanding += 1
        timer.start()

    def idle(self) -> bool:
        with self._lock:
            return self._outstanding == 0

    def wait_idle(self, timeout: float) -> bool:
        with self._lock:
            return self._lock.wait_for(lambda: self._outstanding == 0, timeout)

    def notify(self, execution_id: uuid.UUID, ended: str | None = None) -> None:
        for listener in list(self.listeners):
            listener(execution_id, ended)
        with self._lock:
            self._lock.notify_all()

    def close(self) -> None:
        with self._lock:
            self._closed = True
            timers, self._timers = list(self._timers), set()
        for t in timers:
            t.cancel()
        self._pool.shutdown(wait=True)
