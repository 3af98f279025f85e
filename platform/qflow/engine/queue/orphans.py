"""In-process executions whose process died. Nothing else would ever finish them: an RQ execution's
nodes are re-run by any worker's reconciler, but an in-process one lives only in the process that ran
it (`workflow_executions.runner_id`; rows from before that column: the processes on its node
executions). Once that process is gone (on this host):

- a Qflow server takes over the executions that users submitted through the API (`adopt`): a
  compare-and-set of the runner, so of two servers starting at once exactly one resumes each, which
  then runs it as the reconciler would (its nodes that were running are lost and run again);
- executions of a `qflow run` that was killed have nobody waiting for them: they fail (`abort`),
  saying why, with their unfinished nodes cancelled. The reaper removes the containers either way.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass

from sqlalchemy import select

from qflow.engine.queue import state
from qflow.sandbox.reaper import owner_alive

ERROR = {"type": "SandboxError", "message": "the process running this execution ended before it finished",
         "traceback": None}


@dataclass(frozen=True)
class Orphan:
    execution_id: uuid.UUID
    owner_id: uuid.UUID | None
    runner_id: str | None  # as recorded: what a take-over compares against


def orphaned_inprocess(sessions) -> list[Orphan]:
    """Active in-process executions whose runner is a dead process of this host."""
    EX, NE = state.EX, state.NE
    with sessions() as s:
        rows = s.execute(select(EX.c.id, EX.c.owner_id, EX.c.runner_id).where(
            EX.c.queue == "inprocess", EX.c.status.in_(state.EXECUTION_ACTIVE))).all()
        legacy = [r.id for r in rows if r.runner_id is None]
        node_workers: dict[uuid.UUID, set[str]] = defaultdict(set)
        if legacy:
            for execution_id, worker_id in s.execute(select(NE.c.execution_id, NE.c.worker_id).where(
                    NE.c.execution_id.in_(legacy), NE.c.worker_id.is_not(None))):
                node_workers[execution_id].add(worker_id)
    orphans = []
    for r in rows:
        runners = {r.runner_id} if r.runner_id else node_workers[r.id]
        if runners and all(owner_alive(w) is False for w in runners):
            orphans.append(Orphan(r.id, r.owner_id, r.runner_id))
    return orphans


def abort_orphaned_inprocess(sessions, *, only_unowned: bool = False) -> list[uuid.UUID]:
    """Fail orphaned in-process executions (with `only_unowned`, only those no API user submitted)."""
    return [o.execution_id for o in orphaned_inprocess(sessions)
            if not (only_unowned and o.owner_id is not None) and state.abort(sessions, o.execution_id, dict(ERROR))]


def adopt_orphaned_inprocess(sessions, runner_id: str) -> list[uuid.UUID]:
    """Make `runner_id` the runner of the orphaned executions that users submitted; the ids taken
    (the caller runs them: `inprocess.run_execution`)."""
    return [o.execution_id for o in orphaned_inprocess(sessions)
            if o.owner_id is not None and state.take_runner(sessions, o.execution_id, runner_id, o.runner_id)]


def cancel_lost_nodes_of_ended(sessions, settings) -> int:
    """Running nodes of ended in-process executions whose process died (a cancel or another branch's
    failure ended the execution while it ran them): cancelled, with their event. The RQ reconciler
    does the same for queued executions."""
    from datetime import timedelta

    from qflow.db.base import utcnow
    from qflow.engine.queue.snapshot import SnapshotCache
    from qflow.engine.queue.state import Tuning

    EX, NE = state.EX, state.NE
    with sessions() as s:
        rows = s.execute(select(NE.c.id, NE.c.execution_id, NE.c.attempt, NE.c.worker_id)
                         .join(EX, EX.c.id == NE.c.execution_id)
                         .where(EX.c.queue == "inprocess", EX.c.status.in_(state.EXECUTION_TERMINAL),
                                NE.c.status == "running")).all()
    lost = [r for r in rows if r.worker_id is None or owner_alive(r.worker_id) is False]
    if not lost:
        return 0
    snapshots, tuning, cutoff = SnapshotCache(size=4), Tuning.from_settings(settings), utcnow() + timedelta(seconds=1)
    return sum(state.requeue_lost(sessions, snapshots.get(sessions, r.execution_id), r.execution_id, r.id,
                                  r.attempt, cutoff, tuning).recorded for r in lost)
