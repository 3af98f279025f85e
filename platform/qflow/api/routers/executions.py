from __future__ import annotations

import uuid

from fastapi import APIRouter
from sqlalchemy import select

from qflow.api.deps import CurrentUser, SessionDep, not_found
from qflow.db.models import NodeExecution, WorkflowExecution
from qflow.display import to_plain_json
from type_system import codec

router = APIRouter(prefix="/executions", tags=["executions"])


def _node_json(n: NodeExecution) -> dict:
    return {
        "node": n.node_key, "status": n.status, "attempt": n.attempt,
        "outputs": None if n.outputs is None else to_plain_json(codec.decode(n.outputs)),
        "error": n.error, "logs": n.logs,
        "resource_usage": {"cpu_seconds": n.cpu_seconds, "peak_memory_bytes": n.peak_memory_bytes,
                           "wall_seconds": n.wall_seconds},
        "started_at": n.started_at, "finished_at": n.finished_at,
    }


@router.get("/{execution_id}")
def get_execution(execution_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> dict:
    ex = session.scalars(select(WorkflowExecution).where(WorkflowExecution.id == execution_id,
                                                         WorkflowExecution.owner_id == user.id)).one_or_none()
    if ex is None:
        raise not_found("execution")
    nodes = session.scalars(select(NodeExecution).where(NodeExecution.execution_id == ex.id)
                            .order_by(NodeExecution.id))
    return {
        "id": str(ex.id), "status": ex.status, "progress_percent": ex.progress_percent,
        "current_node": ex.current_node, "error": ex.error, "created_at": ex.created_at,
        "started_at": ex.started_at, "finished_at": ex.finished_at,
        "nodes": {n.node_key: _node_json(n) for n in nodes},
    }
