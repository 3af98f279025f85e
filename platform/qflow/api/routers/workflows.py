from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, BackgroundTasks, HTTPException, Request, status
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field
from sqlalchemy import select

from qflow.api.deps import CurrentUser, SessionDep, SessionsDep, not_found
from qflow.db.models import Workflow, WorkflowExecution, WorkflowVersion, WorkflowVersionNode
from qflow.engine.prepare import WorkflowInvalid, prepare_workflow
from qflow.engine.queue.snapshot import workflow_document
from qflow.engine.spec import WorkflowFileError, WorkflowSpec, parse_workflow
from qflow.services.types import load_matrix

router = APIRouter(prefix="/workflows", tags=["workflows"])


class WorkflowOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    latest_version: int
    definition: dict[str, Any]
    created_at: datetime
    updated_at: datetime


class ExecutionIn(BaseModel):
    params: dict[str, Any] = Field(default_factory=dict)


def invalid(e: WorkflowInvalid) -> HTTPException:
    return HTTPException(422,
                         {"message": e.message, "problems": [p.to_json() for p in e.problems]})


def _spec(payload: dict) -> WorkflowSpec:
    try:
        return parse_workflow(payload)
    except WorkflowFileError as e:
        raise HTTPException(422, {"message": str(e), "problems": []}) from None


@router.post("", status_code=status.HTTP_201_CREATED, response_model=WorkflowOut)
def create_workflow(payload: dict[str, Any], session: SessionDep, user: CurrentUser) -> WorkflowOut:
    """Validates the whole workflow first: 422 lists every problem (incompatible connections with both
    types), and nothing is stored unless it is valid."""
    spec = _spec(payload)
    try:
        resolved, _ = prepare_workflow(spec, spec.params, None, session, user.id, matrix=load_matrix(session))
    except WorkflowInvalid as e:
        raise invalid(e) from None
    session.rollback()  # end the read transaction of validation before the write one
    with session.begin():
        wf = Workflow(owner_id=user.id, name=spec.name, description=spec.description or "", latest_version=1)
        session.add(wf)
        session.flush()
        version = WorkflowVersion(workflow_id=wf.id, version=1, definition=spec.to_json())
        session.add(version)
        session.flush()
        for key, r in resolved.items():
            session.add(WorkflowVersionNode(workflow_version_id=version.id, node_key=key,
                                            node_version_id=r.node_version_id))
    return WorkflowOut(id=wf.id, name=wf.name, description=wf.description, latest_version=1,
                       definition=version.definition, created_at=wf.created_at, updated_at=wf.updated_at)


def _owned(session, user, workflow_id: uuid.UUID) -> tuple[Workflow, WorkflowVersion]:
    row = session.execute(
        select(Workflow, WorkflowVersion).join(WorkflowVersion, (WorkflowVersion.workflow_id == Workflow.id)
                                               & (WorkflowVersion.version == Workflow.latest_version))
        .where(Workflow.id == workflow_id, Workflow.owner_id == user.id, Workflow.deleted_at.is_(None))
    ).one_or_none()
    if row is None:
        raise not_found("workflow")
    return row


@router.get("", response_model=list[WorkflowOut])
def list_workflows(session: SessionDep, user: CurrentUser) -> list[WorkflowOut]:
    rows = session.execute(
        select(Workflow, WorkflowVersion).join(WorkflowVersion, (WorkflowVersion.workflow_id == Workflow.id)
                                               & (WorkflowVersion.version == Workflow.latest_version))
        .where(Workflow.owner_id == user.id, Workflow.deleted_at.is_(None)).order_by(Workflow.created_at))
    return [WorkflowOut(id=w.id, name=w.name, description=w.description, latest_version=w.latest_version,
                        definition=v.definition, created_at=w.created_at, updated_at=w.updated_at) for w, v in rows]


@router.get("/{workflow_id}", response_model=WorkflowOut)
def get_workflow(workflow_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> WorkflowOut:
    w, v = _owned(session, user, workflow_id)
    return WorkflowOut(id=w.id, name=w.name, description=w.description, latest_version=w.latest_version,
                       definition=v.definition, created_at=w.created_at, updated_at=w.updated_at)


@router.post("/{workflow_id}/executions", status_code=status.HTTP_202_ACCEPTED)
def start_execution(workflow_id: uuid.UUID, body: ExecutionIn, request: Request, session: SessionDep,
                    sessions: SessionsDep, user: CurrentUser, background: BackgroundTasks) -> JSONResponse:
    """Validates again, then runs: on the RQ workers when the platform has Redis (QFLOW_REDIS_URL),
    else in this process, in the background. 202 with the execution's id either way."""
    from qflow.engine.queue import submit

    _, version = _owned(session, user, workflow_id)
    spec = parse_workflow(workflow_document(version.definition))
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
        from qflow.engine.inprocess import create_execution, run_execution

        execution_id = create_execution(sessions, spec, resolved, plan, params, owner_id=user.id,
                                        workflow_version_id=version.id, app_settings=settings)
        background.add_task(run_execution, sessions, execution_id, app_settings=settings)
    return JSONResponse({"execution_id": str(execution_id), "status": "pending"},
                        status_code=status.HTTP_202_ACCEPTED,
                        headers={"Location": f"/api/v1/executions/{execution_id}"})


def rq_dispatcher(app):
    """The app's RQ dispatcher (one Redis connection pool per app)."""
    dispatcher = getattr(app.state, "rq_dispatcher", None)
    if dispatcher is None:
        from qflow.engine.queue.dispatch import RQDispatcher
        from qflow.engine.queue.settings import engine_settings

        es = getattr(app.state, "engine_settings", None) or engine_settings()
        dispatcher = app.state.rq_dispatcher = RQDispatcher(app.state.settings.redis_url, es.queue_name)
    return dispatcher
