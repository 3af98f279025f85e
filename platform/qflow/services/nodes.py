"""Saving nodes as immutable versions: a change of code, main function or Python version makes
version N+1; an unchanged submit makes nothing."""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from qflow.db.models import PythonNode, PythonNodeVersion


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
