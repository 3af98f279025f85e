from __future__ import annotations

import uuid
from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import exists, or_, select

from qflow.api.concurrency import once_more_on_conflict
from qflow.api.deps import MAX_INT, CurrentUser, SessionDep, VersionPath, not_found
from qflow.db.base import utcnow
from qflow.db.models import NodeTag, PythonNode, PythonNodeVersion, python_node_tag_links
from qflow.services.locking import locked
from qflow.services.nodes import Saved, save_version, set_tags, tags_of, used_by_workflows, visible_nodes

router = APIRouter(prefix="/nodes", tags=["nodes"])


class NodeIn(BaseModel):
    name: str = Field(min_length=1, max_length=255, pattern=r"^[A-Za-z0-9_.-]+$")
    code: str = Field(min_length=1, max_length=1_000_000)
    main_function: str = Field(default="main", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    python_version: str = "3.11"
    description: str = ""
    is_template: bool = False
    is_public: bool = False
    tags: list[str] | None = Field(default=None, max_length=50)


class NodePatch(BaseModel):
    description: str | None = None
    is_template: bool | None = None
    is_public: bool | None = None
    tags: list[str] | None = Field(default=None, max_length=50)


class InspectIn(BaseModel):
    code: str = Field(min_length=1, max_length=1_000_000)
    main_function: str = Field(default="main", pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    python_version: str = "3.11"


class VersionOut(BaseModel):
    id: uuid.UUID
    version: int
    main_function: str
    python_version: str
    code_sha256: str
    signature: dict[str, Any]
    dependencies: list[Any]
    created_at: datetime


class NodeOut(BaseModel):
    id: uuid.UUID
    name: str
    description: str
    is_template: bool
    is_public: bool
    latest_version: int
    owned: bool
    builtin: bool
    tags: list[str]
    created_at: datetime
    updated_at: datetime
    version: VersionOut | None = None


def _version_out(v: PythonNodeVersion) -> VersionOut:
    return VersionOut(id=v.id, version=v.version, main_function=v.main_function, python_version=v.python_version,
                      code_sha256=v.code_sha256, signature=v.signature, dependencies=v.dependencies,
                      created_at=v.created_at)


def _node_out(n: PythonNode, user_id: uuid.UUID, tags: list[str], v: PythonNodeVersion | None = None) -> NodeOut:
    return NodeOut(id=n.id, name=n.name, description=n.description, is_template=n.is_template,
                   is_public=n.is_public, latest_version=n.latest_version, owned=n.owner_id == user_id,
                   builtin=n.owner_id is None, tags=tags, created_at=n.created_at, updated_at=n.updated_at,
                   version=_version_out(v) if v else None)


def _check_tags(tags: list[str] | None) -> None:
    from qflow.services.tags import TagError, normalise

    try:
        normalise(tags or [])
    except TagError as e:
        raise HTTPException(422, str(e)) from None


def parse_or_422(code: str, main: str, python_version: str) -> dict:
    from qflow.authoring import NodeParseError, inspect_node

    try:
        return inspect_node(code, main=main, python_version=python_version)
    except NodeParseError as e:
        raise HTTPException(422,
                            {"message": e.message, "line": e.line, "column": e.column}) from None


@router.post("/inspect")
def inspect(body: InspectIn, user: CurrentUser) -> dict:
    return parse_or_422(body.code, body.main_function, body.python_version)


METADATA = ("description", "is_template", "is_public")


def _refuse_unpublishing(session, node: PythonNode) -> None:
    """Other users' workflows reach a node only while it is public: making it private would break them."""
    others = used_by_workflows(session, node.id, other_than=node.owner_id)
    if others:
        raise HTTPException(status.HTTP_409_CONFLICT,
                            f"node {node.name!r} is used by {others} workflow(s) of other users; "
                            "it stays public while they use it")


def _set_metadata(session, node: PythonNode, values: dict[str, Any]) -> None:
    if node.is_public and values.get("is_public") is False:
        _refuse_unpublishing(session, node)
    for field, value in values.items():
        setattr(node, field, value)


@router.post("", status_code=status.HTTP_201_CREATED, response_model=NodeOut)
def create_node(body: NodeIn, session: SessionDep, user: CurrentUser, response: Response) -> NodeOut:
    """Creates version 1, or — for a name the user already has — version N+1 when the code, main function
    or Python version changed (200 and no new version when nothing did).

    For a name the user already has, the metadata fields the body sets (description, is_template,
    is_public, tags) replace the node's, as PATCH would (409 making it private while other users'
    workflows use it); those it leaves out stay. A deleted node's name comes back with its versions as
    history but with the body's metadata alone (defaults for what it leaves out): nothing of the
    deleted node's — being public, its tags — returns unasked."""
    signature = parse_or_422(body.code, body.main_function, body.python_version)
    _check_tags(body.tags)
    saved, tags = once_more_on_conflict(session, lambda: _save_node(session, user, body, signature), "the node")
    if not saved.created:
        response.status_code = status.HTTP_200_OK
    return _node_out(saved.node, user.id, tags, saved.version)


def _save_node(session, user, body: NodeIn, signature: dict) -> tuple[Saved, list[str]]:
    # Locked: a concurrent POST of the same name would read the same latest version and write the same next.
    node = locked(session, select(PythonNode).where(PythonNode.owner_id == user.id,
                                                    PythonNode.name == body.name)).one_or_none()
    fresh = node is None or node.deleted_at is not None
    if node is None:
        node = PythonNode(owner_id=user.id, name=body.name, latest_version=0)
        session.add(node)
    if fresh:
        node.deleted_at = None
        _set_metadata(session, node, {f: getattr(body, f) for f in METADATA})
    else:
        _set_metadata(session, node, {f: getattr(body, f) for f in METADATA if f in body.model_fields_set})
    session.flush()
    saved = save_version(session, node, body.code, body.main_function, body.python_version, signature)
    if fresh or body.tags is not None:
        set_tags(session, node, body.tags or [])
    return saved, tags_of(session, [node.id])[node.id]


@router.get("", response_model=list[NodeOut])
def list_nodes(session: SessionDep, user: CurrentUser,
               q: Annotated[str | None, Query(description="search in name and description")] = None,
               tag: Annotated[list[str] | None, Query(description="only nodes with every tag given")] = None,
               template: bool | None = None, public: bool | None = None, mine: bool | None = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 100,
               offset: Annotated[int, Query(ge=0, le=MAX_INT)] = 0) -> list[NodeOut]:
    stmt = visible_nodes(user.id)
    if q:  # autoescape: a % or _ in the search is that character, not a LIKE wildcard
        stmt = stmt.where(or_(PythonNode.name.icontains(q, autoescape=True),
                              PythonNode.description.icontains(q, autoescape=True)))
    for t in tag or []:
        stmt = stmt.where(exists().where(python_node_tag_links.c.node_id == PythonNode.id,
                                         python_node_tag_links.c.tag_id == NodeTag.id,
                                         NodeTag.name == t.strip().lower()))
    if template is not None:
        stmt = stmt.where(PythonNode.is_template.is_(template))
    if public is not None:
        stmt = stmt.where(PythonNode.is_public.is_(public))
    if mine is not None:
        stmt = stmt.where(PythonNode.owner_id == user.id if mine else PythonNode.owner_id.is_distinct_from(user.id))
    nodes = list(session.scalars(stmt.order_by(PythonNode.name, PythonNode.id).limit(limit).offset(offset)))
    tags = tags_of(session, [n.id for n in nodes])
    return [_node_out(n, user.id, tags[n.id]) for n in nodes]


def get_visible(session, user, node_id: uuid.UUID) -> PythonNode:
    node = session.scalars(visible_nodes(user.id).where(PythonNode.id == node_id)).one_or_none()
    if node is None:
        raise not_found("node")
    return node


@router.get("/{node_id}", response_model=NodeOut)
def get_node(node_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> NodeOut:
    node = get_visible(session, user, node_id)
    latest = session.scalars(select(PythonNodeVersion).where(PythonNodeVersion.node_id == node.id,
                                                             PythonNodeVersion.version == node.latest_version)).one()
    return _node_out(node, user.id, tags_of(session, [node.id])[node.id], latest)


def _owned_for_change(session, user, node_id: uuid.UUID) -> PythonNode:
    node = get_visible(session, user, node_id)
    if node.owner_id != user.id:
        raise HTTPException(status.HTTP_403_FORBIDDEN, "only the node's owner may change or delete it")
    return node


@router.patch("/{node_id}", response_model=NodeOut)
def update_node(node_id: uuid.UUID, body: NodePatch, session: SessionDep, user: CurrentUser) -> NodeOut:
    """Metadata only: code changes go through POST /nodes (a new version). 409 making the node private
    while workflows of other users use it."""
    _check_tags(body.tags)

    def patch() -> tuple[PythonNode, list[str]]:
        node = _owned_for_change(session, user, node_id)
        _set_metadata(session, node, {f: getattr(body, f) for f in METADATA if getattr(body, f) is not None})
        if body.tags is not None:
            set_tags(session, node, body.tags)  # a new tag may be created by another request at once
        return node, tags_of(session, [node.id])[node.id]

    node, tags = once_more_on_conflict(session, patch, "the node")
    return _node_out(node, user.id, tags)


@router.delete("/{node_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_node(node_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Response:
    """Refused with 409 while a workflow not deleted (any of its versions) uses the node; otherwise the
    node leaves the library (its versions stay, for the history of executions that ran them)."""
    with session.begin():
        node = _owned_for_change(session, user, node_id)
        uses = used_by_workflows(session, node.id)
        if uses:
            raise HTTPException(status.HTTP_409_CONFLICT,
                                f"node {node.name!r} is used by {uses} workflow(s); it can be deleted once "
                                "no workflow uses it (DELETE /workflows/{id} for your own)")
        node.deleted_at = utcnow()
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/{node_id}/versions", response_model=list[VersionOut])
def list_versions(node_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> list[VersionOut]:
    node = get_visible(session, user, node_id)
    rows = session.scalars(select(PythonNodeVersion).where(PythonNodeVersion.node_id == node.id)
                           .order_by(PythonNodeVersion.version))
    return [_version_out(v) for v in rows]


@router.get("/{node_id}/versions/{version}")
def get_version(node_id: uuid.UUID, version: VersionPath, session: SessionDep, user: CurrentUser) -> dict:
    node = get_visible(session, user, node_id)
    v = session.scalars(select(PythonNodeVersion).where(PythonNodeVersion.node_id == node.id,
                                                        PythonNodeVersion.version == version)).one_or_none()
    if v is None:
        raise not_found("node version")
    return {**_version_out(v).model_dump(mode="json"), "code": v.code}
