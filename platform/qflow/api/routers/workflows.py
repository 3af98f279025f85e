from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Request, Response, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from qflow.api.concurrency import once_more_on_conflict
from qflow.api.deps import MAX_INT, CurrentUser, SessionDep, SessionsDep, VersionPath, not_found
from qflow.db.base import utcnow
from qflow.db.models import Workflow, WorkflowTag, WorkflowVersion, WorkflowVersionNode, workflow_tag_links
from qflow.engine.prepare import WorkflowInvalid, prepare_workflow
from qflow.engine.queue.snapshot import workflow_document
from qflow.engine.spec import WorkflowFileError, WorkflowSpec, parse_workflow
from qflow.services.locking import locked
from qflow.services.tags import TagError, replace_tags, tags_by_item
from qflow.services.types import load_matrix

router = APIRouter(prefix="/workflows", tags=["workflows"])


class WorkflowOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    latest_version: int
    definition: dict[str, Any]
    tags: list[str] = Field(default_factory=list)
    created_at: datetime
    updated_at: datetime


class VersionOut(BaseModel):
    id: uuid.UUID
    version: int
    definition: dict[str, Any]
    created_at: datetime


class ExecutionIn(BaseModel):
    params: dict[str, Any] = Field(default_factory=dict)
    # Which saved version to run (default: the latest).
    version: int | None = Field(default=None, ge=1, le=MAX_INT)


class TagsIn(BaseModel):
    tags: list[str] = Field(max_length=50)


def invalid(e: WorkflowInvalid) -> HTTPException:
    return HTTPException(422,
                         {"message": e.message, "problems": [p.to_json() for p in e.problems]})


def _spec(payload: dict) -> WorkflowSpec:
    try:
        return parse_workflow(payload)
    except WorkflowFileError as e:
        raise HTTPException(422, {"message": str(e), "problems": []}) from None


def _validated(payload: dict, session, user):
    spec = _spec(payload)
    try:
        resolved, _ = prepare_workflow(spec, spec.params, None, session, user.id, matrix=load_matrix(session))
    except WorkflowInvalid as e:
        raise invalid(e) from None
    session.rollback()  # end the read transaction of validation before the write one
    return spec, resolved


def _add_version(session, wf: Workflow, number: int, spec: WorkflowSpec, resolved: dict) -> WorkflowVersion:
    version = WorkflowVersion(workflow_id=wf.id, version=number, definition=spec.to_json())
    session.add(version)
    session.flush()
    for key, r in resolved.items():
        session.add(WorkflowVersionNode(workflow_version_id=version.id, node_key=key,
                                        node_version_id=r.node_version_id))
    return version


def _tags(session, workflow_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    return tags_by_item(session, WorkflowTag, workflow_tag_links, "workflow_id", workflow_ids)


def _out(w: Workflow, v: WorkflowVersion, tags: list[str]) -> WorkflowOut:
    return WorkflowOut(id=w.id, name=w.name, description=w.description, latest_version=w.latest_version,
                       definition=v.definition, tags=tags, created_at=w.created_at, updated_at=w.updated_at)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WorkflowOut)
def create_workflow(payload: dict[str, Any], session: SessionDep, user: CurrentUser) -> WorkflowOut:
    """Validates the whole workflow first: 422 lists every problem (incompatible connections with both
    types), and nothing is stored unless it is valid."""
    spec, resolved = _validated(payload, session, user)
    with session.begin():
        wf = Workflow(owner_id=user.id, name=spec.name, description=spec.description or "", latest_version=1)
        session.add(wf)
        session.flush()
        version = _add_version(session, wf, 1, spec, resolved)
    return _out(wf, version, [])


def _owned(session, user, workflow_id: uuid.UUID, version: int | None = None) -> tuple[Workflow, WorkflowVersion]:
    """The user's workflow and one of its versions (the latest by default); 404 otherwise."""
    number = WorkflowVersion.version == (version if version is not None else Workflow.latest_version)
    row = session.execute(
        select(Workflow, WorkflowVersion).join(WorkflowVersion, (WorkflowVersion.workflow_id == Workflow.id) & number)
        .where(Workflow.id == workflow_id, Workflow.owner_id == user.id, Workflow.deleted_at.is_(None))
    ).one_or_none()
    if row is None:
        raise not_found("workflow version" if version is not None else "workflow")
    return row


@router.get("", response_model=list[WorkflowOut])
def list_workflows(session: SessionDep, user: CurrentUser,
                   tag: Annotated[str | None, Query(description="only workflows with this tag")] = None
                   ) -> list[WorkflowOut]:
    q = (select(Workflow, WorkflowVersion).join(WorkflowVersion, (WorkflowVersion.workflow_id == Workflow.id)
                                                & (WorkflowVersion.version == Workflow.latest_version))
         .where(Workflow.owner_id == user.id, Workflow.deleted_at.is_(None)).order_by(Workflow.created_at))
    if tag is not None:
        q = q.where(Workflow.id.in_(select(workflow_tag_links.c.workflow_id)
                                    .join(WorkflowTag, WorkflowTag.id == workflow_tag_links.c.tag_id)
                                    .where(WorkflowTag.name == tag.strip().lower())))
    rows = session.execute(q).all()
    tags = _tags(session, [w.id for w, _ in rows])
    return [_out(w, v, tags[w.id]) for w, v in rows]


@router.get("/{workflow_id}", response_model=WorkflowOut)
def get_workflow(workflow_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> WorkflowOut:
    w, v = _owned(session, user, workflow_id)
    return _out(w, v, _tags(session, [w.id])[w.id])


@router.put("/{workflow_id}", response_model=WorkflowOut)
def update_workflow(workflow_id: uuid.UUID, payload: dict[str, Any], session: SessionDep,
                    user: CurrentUser) -> WorkflowOut:
    """A changed definition, validated like a new one, becomes version N + 1 (versions are immutable);
    the same definition again changes nothing."""
    _owned(session, user, workflow_id)
    spec, resolved = _validated(payload, session, user)
    wf, version = once_more_on_conflict(session, lambda: _save_version(session, user, workflow_id, spec, resolved),
                                        "the workflow")
    return _out(wf, version, _tags(session, [wf.id])[wf.id])


def _save_version(session, user, workflow_id: uuid.UUID, spec: WorkflowSpec,
                  resolved: dict) -> tuple[Workflow, WorkflowVersion]:
    # Locked: a concurrent PUT would read the same latest version and write the same next one.
    wf = locked(session, select(Workflow).where(Workflow.id == workflow_id, Workflow.owner_id == user.id,
                                                Workflow.deleted_at.is_(None))).one_or_none()
    if wf is None:  # deleted since it was read
        raise not_found("workflow")
    latest = session.scalars(select(WorkflowVersion).where(WorkflowVersion.workflow_id == wf.id,
                                                           WorkflowVersion.version == wf.latest_version)).one()
    if latest.definition == spec.to_json():
        return wf, latest
    version = _add_version(session, wf, wf.latest_version + 1, spec, resolved)
    wf.latest_version = version.version
    wf.name, wf.description = spec.name, spec.description or ""
    session.flush()
    return wf, version


@router.delete("/{workflow_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_workflow(workflow_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Response:
    """Soft delete: the workflow no longer lists, answers or runs (404), and no longer keeps the nodes it
    uses from being deleted or made private. Its versions stay, for the history of its executions."""
    with session.begin():
        wf = session.scalars(select(Workflow).where(Workflow.id == workflow_id, Workflow.owner_id == user.id,
                                                    Workflow.deleted_at.is_(None))).one_or_none()
        if wf is None:
            raise not_found("workflow")
        wf.deleted_at = utcnow()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{workflow_id}/versions", response_model=list[VersionOut])
def list_versions(workflow_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> list[VersionOut]:
    w, _ = _owned(session, user, workflow_id)
    rows = session.scalars(select(WorkflowVersion).where(WorkflowVersion.workflow_id == w.id)
                           .order_by(WorkflowVersion.version))
    return [VersionOut(id=v.id, version=v.version, definition=v.definition, created_at=v.created_at) for v in rows]


@router.get("/{workflow_id}/versions/{version}", response_model=VersionOut)
def get_version(workflow_id: uuid.UUID, version: VersionPath, session: SessionDep,
                user: CurrentUser) -> VersionOut:
    _, v = _owned(session, user, workflow_id, version)
    return VersionOut(id=v.id, version=v.version, definition=v.definition, created_at=v.created_at)


@router.put("/{workflow_id}/tags", response_model=WorkflowOut)
def set_workflow_tags(workflow_id: uuid.UUID, body: TagsIn, session: SessionDep, user: CurrentUser) -> WorkflowOut:
    """Replace the workflow's tags (lower-cased, trimmed; created on first use)."""
    w, v = _owned(session, user, workflow_id)
    session.rollback()
    try:  # once more when another request created one of the new tags at the same moment
        wanted = once_more_on_conflict(session, lambda: replace_tags(
            session, WorkflowTag, workflow_tag_links, "workflow_id", w.id, body.tags), "the workflow's tags")
    except TagError as e:
        raise HTTPException(422, str(e)) from None
    return _out(w, v, wanted)


@router.post("/{workflow_id}/executions", status_code=status.HTTP_202_ACCEPTED)
def start_execution(workflow_id: uuid.UUID, request: Request, session: SessionDep, sessions: SessionsDep,
                    user: CurrentUser, body: ExecutionIn | None = None) -> JSONResponse:
    """Validates again, then runs: on the RQ workers when the platform has Redis (QFLOW_REDIS_URL),
    else in this process, in the background. 202 with the execution's id either way. Every field of
    the body is optional, and so is the body (no body, or `null`: the latest version, its defaults)."""
    from qflow.engine.queue import submit

    body = body or ExecutionIn()
    _, version = _owned(session, user, workflow_id, body.version)
    spec = _spec(workflow_document(version.definition))  # 422 for one stored before a rule it breaks
    params = {**spec.params, **body.params}
    try:
        resolved, plan = prepare_workflow(spec, params, None, session, user.id, matrix=load_matrix(session))
    except WorkflowInvalid as e:
        raise invalid(e) from None
    session.rollback()
    settings = request.app.state.settings
    if settings.redis_url:
        execution_id = submit.create(sessions, spec, resolved, plan, params, queue="rq", owner_id=user.id,
                                     workflow_version_id=version.id, app_settings=settings)
        submit.start(sessions, execution_id, rq_dispatcher(request.app))
    else:
        from qflow.api.inprocess_runs import run_in_background
        from qflow.engine.inprocess import create_execution

        execution_id = create_execution(sessions, spec, resolved, plan, params, owner_id=user.id,
                                        workflow_version_id=version.id, app_settings=settings)
        run_in_background(sessions, execution_id, settings)
    return JSONResponse({"execution_id": str(execution_id), "status": "pending"},
                        status_code=status.HTTP_202_ACCEPTED,
                        headers={"Location": f"/api/v1/executions/{execution_id}"})


def rq_dispatcher(app):
    """The app's RQ dispatcher (one Redis connection pool per app)."""
    dispatcher = getattr(app.state, "rq_dispatcher", None)
    if dispatcher is None:
        from qflow.engine.queue.dispatch import RQDispatcher

        es = getattr(app.state, "engine_settings", None) or app.state.settings
        dispatcher = app.state.rq_dispatcher = RQDispatcher(app.state.settings.redis_url, es.queue_name)
    return dispatcher
