"""In-process executions whose process died. Nothing else would ever finish them: an RQ execution's
nodes are re-run by any worker's reconciler, but an in-process one lives only in the process that ran
it. When every process that ran one of its nodes is gone (on this host), the execution fails — saying
why — and its unfinished nodes are cancelled; the reaper removes its containers."""

from __future__ import annotations

import uuid
from collections import defaultdict

from sqlalchemy import select

from qflow.engine.queue import state
from qflow.sandbox.reaper import owner_alive

ERROR = {"type": "SandboxError", "message": "the process running this execution ended before it finished",
         "traceback": None}


def abort_orphaned_inprocess(sessions) -> list[uuid.UUID]:
    """Fail running in-process executions whose node runners are all dead processes of this host."""
    EX, NE = state.EX, state.NE
    q = (select(NE.c.execution_id, NE.c.worker_id)
         .join(EX, EX.c.id == NE.c.execution_id)
         .where(EX.c.queue == "inprocess", EX.c.status == "running", NE.c.worker_id.is_not(None)))
    owners: dict[uuid.UUID, set[str]] = defaultdict(set)
    with sessions() as s:
        for execution_id, worker_id in s.execute(q):
            owners[execution_id].add(worker_id)
    aborted = []
    for execution_id, ids in owners.items():
        if all(owner_alive(w) is False for w in ids) and state.abort(sessions, execution_id, dict(ERROR)):
            aborted.append(execution_id)
    return aborted
