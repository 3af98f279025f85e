"""Finds what a crash or a lost Redis left behind, and puts it right. Runs every few seconds in every
worker (and in a `qflow run --queue` waiter, for its own execution); every fix is a conditional
transition, so any number of reconcilers may run at once.

1. A running node whose heartbeat is stale lost its worker (killed, host gone, frozen): a new attempt
   is queued (`node_retried`, reason `worker_lost`); the old worker, should it come back, has its
   result refused and its container killed at its next heartbeat.
2. A queued node whose RQ job will not be delivered — Redis restarted without it, the enqueue after
   the commit never happened, or a worker took the job and died before claiming the node — is
   enqueued again.
3. A running execution with nothing queued or running is settled (ready nodes queued, or ended); and
   an execution left pending by a crashed submitter is started.
"""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass
from datetime import timedelta

from qflow.db.base import utcnow
from qflow.engine.queue import state
from qflow.engine.queue.state import Job

log = logging.getLogger("qflow.engine")

PENDING_START_SECONDS = 60


@dataclass
class Report:
    lost: int = 0
    redelivered: int = 0
    settled: int = 0
    started: int = 0

    def __bool__(self) -> bool:
        return bool(self.lost or self.redelivered or self.settled or self.started)


def reconcile(sessions, dispatcher, snapshots, tuning, engine_settings, *, queue: str = "rq",
              execution_id: uuid.UUID | None = None) -> Report:
    report = Report()
    now = utcnow()
    stale = now - timedelta(seconds=engine_settings.stale_after_seconds)

    for row in state.lost_nodes(sessions, stale, queue, execution_id):
        snap = snapshots.get(sessions, row.execution_id)
        t = state.requeue_lost(sessions, snap, row.execution_id, row.id, row.attempt, stale, tuning)
        if t.recorded:
            report.lost += 1
            log.warning("node %s of %s lost its worker (attempt %d); %s", row.id, row.execution_id, row.attempt,
                        "running it again" if t.jobs else "not running it again (its execution ended, or it "
                        "lost too many)")
            dispatcher.dispatch(t.jobs)
            dispatcher.notify(row.execution_id, t.ended)

    due = now - timedelta(seconds=engine_settings.requeue_grace_seconds)
    rows = state.queued_nodes(sessions, due, queue, execution_id)
    if rows:
        jobs = [Job(r.execution_id, r.node_key, r.attempt + 1) for r in rows]
        again = dispatcher.missing(jobs)
        old = [j for j, r in zip(jobs, rows) if r.queued_at < stale]
        again += dispatcher.started(old)
        fresh = [j for j in again if state.touch_queued(sessions, j.execution_id, j.node_key, j.attempt - 1)]
        if fresh:
            dispatcher.redeliver(fresh)
            report.redelivered += len(fresh)
            log.warning("enqueued %d queued node(s) again: %s", len(fresh), ", ".join(j.job_id for j in fresh))

    for eid in state.idle_executions(sessions, queue, execution_id):
        t = state.settle(sessions, eid, snapshots.get(sessions, eid))
        if t.jobs or t.ended:
            report.settled += 1
            dispatcher.dispatch(t.jobs)
            dispatcher.notify(eid, t.ended)

    for eid in state.stuck_pending(sessions, queue, now - timedelta(seconds=PENDING_START_SECONDS), execution_id):
        try:
            t = state.start(sessions, eid, snapshots.get(sessions, eid))
        except state.TransitionRefused:
            continue
        report.started += 1
        dispatcher.dispatch(t.jobs)
        dispatcher.notify(eid)
    return report
