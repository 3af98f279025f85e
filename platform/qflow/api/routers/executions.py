"""Executions: their state (status, progress, current node, every node's run), control (cancel, pause,
resume) and their event stream (server-sent events replaying and following
`workflow_execution_events`). Every id that is not the user's answers 404."""

from __future__ import annotations

import json
import time
import uuid
from typing import Annotated

import anyio
from fastapi import APIRouter, Header, HTTPException, Query, Request
from fastapi.responses import StreamingResponse
from sqlalchemy import select

from qflow.api.deps import CurrentUser, SessionDep, SessionsDep, not_found
from qflow.db.models import File, NodeExecution, WorkflowExecution
from qflow.display import to_plain_json
from type_system import codec

router = APIRouter(prefix="/executions", tags=["executions"])

# How often the event stream looks for new events, and sends a comment to keep the connection open.
# The stream waits asynchronously and reads the database in a worker thread only for the read itself:
# a stream that slept in a thread would hold one of the server's 40 for as long as it is open.
POLL_SECONDS = 0.25
KEEPALIVE_SECONDS = 15.0
DRAIN_SECONDS = 15.0


def _node_json(n: NodeExecution, files: dict[uuid.UUID, File]) -> dict:
    from qflow.engine.queue.files import FILES, file_refs

    outputs = None
    if n.outputs is not None:
        outputs = to_plain_json(codec.decode({k: v for k, v in n.outputs.items() if k != FILES}))
        for name, fid in file_refs(n.outputs).items():  # too big to inline: a reference to the stored file
            f = files.get(fid)
            outputs[name] = {"file": {"id": str(fid), "sha256": f.sha256 if f else None,
                                      "size_bytes": f.size_bytes if f else None,
                                      "mime_type": f.mime_type if f else None}}
    return {
        "node": n.node_key, "status": n.status, "attempt": n.attempt, "outputs": outputs,
        "error": n.error, "logs": n.logs,
        "resource_usage": {"cpu_seconds": n.cpu_seconds, "peak_memory_bytes": n.peak_memory_bytes,
                           "wall_seconds": n.wall_seconds},
        "worker": n.worker_id, "queued_at": n.queued_at, "started_at": n.started_at, "finished_at": n.finished_at,
    }


def _owned(session, user, execution_id: uuid.UUID) -> WorkflowExecution:
    ex = session.scalars(select(WorkflowExecution).where(WorkflowExecution.id == execution_id,
                                                         WorkflowExecution.owner_id == user.id)).one_or_none()
    if ex is None:
        raise not_found("execution")
    return ex


@router.get("/{execution_id}")
def get_execution(execution_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> dict:
    from qflow.engine.queue.files import file_refs

    ex = _owned(session, user, execution_id)
    nodes = list(session.scalars(select(NodeExecution).where(NodeExecution.execution_id == ex.id)
                                 .order_by(NodeExecution.id)))
    ids = [fid for n in nodes for fid in file_refs(n.outputs).values()]
    files = {f.id: f for f in session.scalars(select(File).where(File.id.in_(ids)))} if ids else {}
    return {
        "id": str(ex.id), "status": ex.status, "queue": ex.queue, "progress_percent": ex.progress_percent,
        "current_node": ex.current_node, "error": ex.error, "created_at": ex.created_at,
        "started_at": ex.started_at, "finished_at": ex.finished_at,
        "workflow_version_id": str(ex.workflow_version_id) if ex.workflow_version_id else None,
        "nodes": {n.node_key: _node_json(n, files) for n in nodes},
    }


# ---------------------------------------------------------------- control


def _dispatcher(request: Request, ex: WorkflowExecution):
    """Where a resumed execution's jobs go: RQ for queued executions, this process's thread pool for
    in-process ones (None when this process does not run it: it is started again here)."""
    if ex.queue == "rq":
        if not request.app.state.settings.redis_url:
            raise HTTPException(409, "this execution runs on the queue, and this server has no QFLOW_REDIS_URL")
        from qflow.api.routers.workflows import rq_dispatcher

        return rq_dispatcher(request.app)
    from qflow.engine.inprocess import local_dispatcher

    return local_dispatcher(ex.id)


def _take_over(sessions, ex: WorkflowExecution) -> None:
    """Resume an in-process execution here only if the process that ran it is gone; then this one
    becomes its runner (compare-and-set: one server wins). Two live runners would each take the
    other's running nodes for lost."""
    from qflow.engine.queue import state
    from qflow.sandbox.reaper import owner_alive
    from qflow.sandbox.sandboxes import worker_identity

    if ex.runner_id is not None and owner_alive(ex.runner_id) is not False:
        raise HTTPException(409, "this execution runs in another server process (or on another host): "
                                 "resume it through that server")
    if not state.take_runner(sessions, ex.id, worker_identity(), ex.runner_id):
        raise HTTPException(409, "another server has just taken this execution over")


def _control(action: str, execution_id: uuid.UUID, request: Request, session, sessions, user) -> dict:
    from qflow.engine.queue import submit
    from qflow.engine.queue.state import TransitionRefused

    ex = _owned(session, user, execution_id)
    session.rollback()
    dispatcher = _dispatcher(request, ex) if action == "resume" or ex.queue == "rq" else None
    try:
        if action == "cancel":
            submit.cancel(sessions, ex.id, dispatcher)
            result = {}
        elif action == "pause":
            result = {"checkpoint_id": str(submit.pause(sessions, ex.id, dispatcher))}
        else:
            if dispatcher is None:  # an in-process execution this process does not run
                _take_over(sessions, ex)
                from qflow.api.inprocess_runs import run_in_background
                from qflow.engine.queue import state

                state.resume(sessions, ex.id, submit.load_snapshot(sessions, ex.id))
                run_in_background(sessions, ex.id, request.app.state.settings)
            else:
                submit.resume(sessions, ex.id, dispatcher)
            result = {}
    except TransitionRefused as e:
        raise HTTPException(409, f"cannot {action} an execution that is {e.status}") from None
    from qflow.engine.queue.state import execution_status

    return {"id": str(ex.id), "status": execution_status(sessions, ex.id), **result}


@router.post("/{execution_id}/cancel")
def cancel_execution(execution_id: uuid.UUID, request: Request, session: SessionDep, sessions: SessionsDep,
                     user: CurrentUser) -> dict:
    """Cancel: nodes not yet running never run; a running node's container is killed (within a
    heartbeat). 409 if the execution has already ended."""
    return _control("cancel", execution_id, request, session, sessions, user)


@router.post("/{execution_id}/pause")
def pause_execution(execution_id: uuid.UUID, request: Request, session: SessionDep, sessions: SessionsDep,
                    user: CurrentUser) -> dict:
    """Pause: a checkpoint is written, running nodes finish, nothing new starts. 409 unless running."""
    return _control("pause", execution_id, request, session, sessions, user)


@router.post("/{execution_id}/resume")
def resume_execution(execution_id: uuid.UUID, request: Request, session: SessionDep, sessions: SessionsDep,
                     user: CurrentUser) -> dict:
    """Resume from the latest checkpoint. 409 unless paused."""
    return _control("resume", execution_id, request, session, sessions, user)


# ---------------------------------------------------------------- events


def _sse(ev) -> str:
    data = {"id": str(ev.id), "event": ev.event_type, "node": (ev.payload or {}).get("node"),
            "node_execution_id": str(ev.node_execution_id) if ev.node_execution_id else None,
            "payload": ev.payload, "at": ev.created_at.isoformat()}
    return f"id: {ev.id}\nevent: {ev.event_type}\ndata: {json.dumps(data)}\n\n"


@router.get("/{execution_id}/events")
def execution_events(execution_id: uuid.UUID, session: SessionDep, sessions: SessionsDep, user: CurrentUser,
                     follow: Annotated[bool, Query(description="keep the stream open until the execution ends")] = True,
                     last_event_id: Annotated[str | None, Header()] = None) -> StreamingResponse:
    """Server-sent events: every event of the execution so far, then each new one as it happens, until
    the execution ends (or at once with `follow=false`). A reconnecting client's `Last-Event-ID`
    resumes after the event it names."""
    from qflow.engine.queue.state import EXECUTION_TERMINAL, execution_status, nodes_running
    from qflow.engine.queue.submit import EventFollower

    ex = _owned(session, user, execution_id)
    session.close()  # the stream may stay open for hours: hold no connection for it
    after = None
    if last_event_id:
        try:
            after = uuid.UUID(last_event_id)
        except ValueError:
            raise HTTPException(422, "Last-Event-ID is not an event id") from None
    follower = EventFollower(sessions, ex.id, after_id=after)

    def read() -> tuple[bool, bool, list]:
        # Read before the events: what is over now has all its events written.
        ended = execution_status(sessions, ex.id) in EXECUTION_TERMINAL
        return ended, ended and not nodes_running(sessions, ex.id), follower.poll()

    async def stream():
        quiet_since = time.monotonic()
        ended_at = None
        while True:
            ended, settled, new = await anyio.to_thread.run_sync(read)
            for ev in new:
                yield _sse(ev)
            if new:
                quiet_since = time.monotonic()
            if ended and ended_at is None:
                ended_at = time.monotonic()
            # A cancelled execution's running node is recorded a moment after the execution ends: the
            # stream waits for it (for DRAIN_SECONDS at most), so that it carries every event.
            if settled or not follow or (ended_at is not None and time.monotonic() - ended_at > DRAIN_SECONDS):
                return
            if time.monotonic() - quiet_since > KEEPALIVE_SECONDS:
                quiet_since = time.monotonic()
                yield ": keep-alive\n\n"
            await anyio.sleep(POLL_SECONDS)

    return StreamingResponse(stream(), media_type="text/event-stream",
                             headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
