"""Removes Qflow containers nobody will ever close: their owning process is gone, their execution has
ended, or they never got past `created`. A killed worker's containers are not in its process group, so
nothing else would (RQ's `kill_horse` cannot reach them)."""

from __future__ import annotations

import socket
import uuid
from datetime import datetime, timezone

import docker
import docker.errors

from qflow.sandbox.container import EXECUTION_LABEL, OWNER_LABEL, WORKER_LABEL

ENDED = ("completed", "failed", "cancelled")


def owner_alive(identity: str) -> bool | None:
    """True/False for an owner on this host (pid alive with the same start time); None elsewhere."""
    try:
        host, pid, start = identity.rsplit(":", 2)
    except ValueError:
        return None
    if host != socket.gethostname():
        return None
    try:
        with open(f"/proc/{int(pid)}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19] == start
    except (OSError, ValueError, IndexError):
        return False


def _ended_executions(sessions, ids: set[str]) -> set[str]:
    if sessions is None or not ids:
        return set()
    from sqlalchemy import select

    from qflow.db.models import WorkflowExecution

    parsed = {}
    for i in ids:
        try:
            parsed[uuid.UUID(i)] = i
        except ValueError:
            continue
    with sessions() as s:
        rows = s.execute(select(WorkflowExecution.id, WorkflowExecution.status)
                         .where(WorkflowExecution.id.in_(list(parsed)))).all()
    return {parsed[r.id] for r in rows if r.status in ENDED}


def reap(client: docker.DockerClient, sessions=None, stale_created_seconds: float = 300) -> list[str]:
    """Remove abandoned Qflow containers; the ids removed."""
    containers = client.containers.list(all=True, filters={"label": OWNER_LABEL})
    ended = _ended_executions(sessions, {c.labels.get(EXECUTION_LABEL, "") for c in containers})
    now = datetime.now(timezone.utc)
    removed = []
    for c in containers:
        worker = c.labels.get(WORKER_LABEL)
        created = datetime.fromisoformat(c.attrs["Created"][:26].rstrip("Z") + "+00:00")
        if (worker and owner_alive(worker) is False) or c.labels.get(EXECUTION_LABEL) in ended or (
                c.status == "created" and (now - created).total_seconds() > stale_created_seconds):
            try:
                c.remove(force=True)
                removed.append(c.id)
            except docker.errors.NotFound:
                pass
    return removed
