"""Removes Qflow containers nobody will ever close: their owning process is gone (by its pid on this
host, by its lapsed lease on another), their execution has ended, or they never got past `created`. A killed worker's containers are not in its process group, so
nothing else would (RQ's `kill_horse` cannot reach them)."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timezone

import docker
import docker.errors

from qflow.sandbox.container import EXECUTION_LABEL, LEASE_LABEL, OWNER_LABEL, WORKER_LABEL

ENDED = ("completed", "failed", "cancelled")


def owner_alive(identity: str) -> bool | None:
    """True/False for an owner on this host and in this pid namespace (its pid alive — not a zombie —
    with the same start time); None for one elsewhere."""
    from qflow.sandbox.sandboxes import host_part

    try:
        host, pid, start = identity.rsplit(":", 2)
    except ValueError:
        return None
    if host != host_part():
        return None
    try:
        with open(f"/proc/{int(pid)}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return fields[0] not in ("Z", "X") and fields[19] == start
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


def _when(stamp: str) -> datetime:
    """Docker's RFC 3339 times carry nanoseconds; datetime takes microseconds."""
    stamp = stamp.rstrip("Z")
    head, _, frac = stamp.partition(".")
    return datetime.fromisoformat(f"{head}.{(frac or '0')[:6]:0<6}+00:00")


def _leased_elsewhere(containers, deployment: str | None) -> set[str]:
    """Owners elsewhere that hold a lease in this deployment's Redis (another deployment's containers
    on the same engine hold theirs in a Redis this reaper does not read)."""
    owners = {c.labels.get(WORKER_LABEL) for c in containers
              if deployment is not None and c.labels.get(LEASE_LABEL) == deployment}
    return {o for o in owners if o and owner_alive(o) is None}


def reap(client: docker.DockerClient, sessions=None, stale_created_seconds: float = 300,
         exited_grace_seconds: float = 120, leases_gone: Callable[[set[str]], set[str]] | None = None,
         deployment: str | None = None) -> list[str]:
    """Remove abandoned Qflow containers; the ids removed. Abandoned: its owner process on this host is
    gone, its owner on another host let its lease lapse (`leases_gone`, given the owners that hold one,
    answers which are gone), its execution has ended, it never got past `created`, or it exited over
    `exited_grace_seconds` ago (its owner reads an exited container's state at once, then removes it —
    one still there was forgotten; this also covers owners on other hosts that hold no lease)."""
    containers = client.containers.list(all=True, ignore_removed=True, filters={"label": OWNER_LABEL})
    ended = _ended_executions(sessions, {c.labels.get(EXECUTION_LABEL, "") for c in containers})
    gone = leases_gone(_leased_elsewhere(containers, deployment)) if leases_gone is not None else set()
    now = datetime.now(timezone.utc)
    removed = []
    for c in containers:
        worker = c.labels.get(WORKER_LABEL)
        created = _when(c.attrs["Created"])
        state = c.attrs.get("State") or {}
        exited_long_ago = c.status in ("exited", "dead") and state.get("FinishedAt", "").startswith("2") and (
            now - _when(state["FinishedAt"])).total_seconds() > exited_grace_seconds
        owner_gone = bool(worker) and (owner_alive(worker) is False or worker in gone)
        never_started = c.status == "created" and (now - created).total_seconds() > stale_created_seconds
        if owner_gone or c.labels.get(EXECUTION_LABEL) in ended or exited_long_ago or never_started:
            try:
                c.remove(force=True)
                removed.append(c.id)
            except docker.errors.NotFound:
                pass
    return removed
