"""Saving nodes as immutable versions: a change of code, main function or Python version makes
version N+1; an unchanged submit makes nothing."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from qflow.db.models import NodeTag, PythonNode, PythonNodeVersion, WorkflowVersionNode


@dataclass
class Saved:
    node: PythonNode
    version: PythonNodeVersion
    created: bool  # a new version row was written


def code_digest(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def latest_version(session: Session, node_id: uuid.UUID) -> PythonNodeVersion | None:
    return session.scalars(select(PythonNodeVersion).where(PythonNodeVersion.node_id == node_id)
                           .order_by(PythonNodeVersion.version.desc()).limit(1)).one_or_none()


def save_version(session: Session, node: PythonNode, code: str, main: str, python_version: str,
                 signature: dict) -> Saved:
    """Append a version to `node` unless the newest one has the same code, main and Python version.
    The caller owns the transaction and has already parsed `signature` from `code`."""
    digest = code_digest(code)
    last = latest_version(session, node.id) if node.latest_version else None
    if last is not None and (last.code_sha256, last.main_function, last.python_version) == (digest, main, python_version):
        return Saved(node, last, created=False)
    version = PythonNodeVersion(node_id=node.id, version=node.latest_version + 1, code=code, code_sha256=digest,
                                main_function=main, python_version=python_version, signature=signature,
                                dependencies=signature.get("dependencies", []))
    node.latest_version += 1
    session.add(version)
    session.flush()
    return Saved(node, version, created=True)


def visible_nodes(owner_id: uuid.UUID):
    """A user sees their own nodes and public ones (built-in library nodes are public)."""
    return select(PythonNode).where(PythonNode.deleted_at.is_(None),
                                    or_(PythonNode.owner_id == owner_id, PythonNode.is_public.is_(True)))


def set_tags(session: Session, node: PythonNode, names: list[str]) -> list[str]:
    """Replace the node's tags (raises TagError for a tag too long)."""
    from qflow.db.models import python_node_tag_links
    from qflow.services.tags import replace_tags

    return replace_tags(session, NodeTag, python_node_tag_links, "node_id", node.id, names)


def tags_of(session: Session, node_ids: list[uuid.UUID]) -> dict[uuid.UUID, list[str]]:
    from qflow.db.models import python_node_tag_links
    from qflow.services.tags import tags_by_item

    return tags_by_item(session, NodeTag, python_node_tag_links, "node_id", node_ids)


def used_by_workflows(session: Session, node_id: uuid.UUID, *, other_than: uuid.UUID | None = None) -> int:
    """How many workflows not deleted have a version (any, since any may be run) that runs some version of
    this node; with `other_than`, only those of other owners than that user."""
    from sqlalchemy import func

    from qflow.db.models import Workflow, WorkflowVersion

    stmt = (select(func.count(Workflow.id.distinct())).select_from(WorkflowVersionNode)
            .join(PythonNodeVersion, PythonNodeVersion.id == WorkflowVersionNode.node_version_id)
            .join(WorkflowVersion, WorkflowVersion.id == WorkflowVersionNode.workflow_version_id)
            .join(Workflow, Workflow.id == WorkflowVersion.workflow_id)
            .where(PythonNodeVersion.node_id == node_id, Workflow.deleted_at.is_(None)))
    if other_than is not None:
        stmt = stmt.where(Workflow.owner_id.is_distinct_from(other_than))
    return session.scalar(stmt) or 0
