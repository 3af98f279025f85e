"""From a workflow node's `node:` reference to its code and signature.

A reference is a node_library node by name (`range_list`), a path to a .py file next to the workflow
(`./sum_values.py`), or a stored node version (`<node-uuid>@<version>`).
"""

from __future__ import annotations

import copy
import functools
import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from qflow.paths import NODE_LIBRARY_DIR


@functools.lru_cache(maxsize=512)
def _inspect(code: str, main: str, python_version: str) -> dict:
    """A workflow often uses one file many times (fan-outs): parse each distinct code once."""
    from qflow.authoring import inspect_node

    return inspect_node(code, main=main, python_version=python_version)


STORED_REF = re.compile(r"^(?P<id>[0-9a-fA-F]{8}(?:-[0-9a-fA-F]{4}){3}-[0-9a-fA-F]{12})@(?P<version>[0-9]+)$")
# Version numbers are INTEGER columns: a bigger one names no version (and would overflow the driver).
MAX_VERSION = 2**31 - 1
LIBRARY_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


class ResolveError(ValueError):
    pass


@dataclass
class ResolvedNode:
    key: str  # the node's id inside the workflow
    ref: str
    code: str
    signature: dict
    python_version: str
    node_version_id: uuid.UUID | None = None


def resolve_node(key: str, ref: str, main: str | None, python_version: str, base_dir: Path | None,
                 session=None, viewer_id: uuid.UUID | None = None) -> ResolvedNode:
    """Raises ResolveError (unknown reference) or NodeParseError (the code's signature is bad).
    With `viewer_id`, a stored node must be that user's own or public."""
    m = STORED_REF.match(ref)
    if m:
        digits = m.group("version")
        version = int(digits) if len(digits) <= 10 else MAX_VERSION + 1  # int() refuses over 4300 digits
        if not 1 <= version <= MAX_VERSION:
            raise ResolveError(f"{ref}: no such node version")
        row = _stored(ref, uuid.UUID(m.group("id")), version, session, viewer_id)
        # A stored version was saved for a Python version of its own (part of what the version is);
        # the workflow's applies to the nodes that have none: library names and files.
        return _from_row(key, ref, row, main, row.python_version)
    if ref.endswith(".py"):
        if base_dir is None:
            raise ResolveError(f"{ref}: a file path needs a workflow file to be relative to")
        path = (base_dir / ref).resolve()
        if not path.is_file():
            raise ResolveError(f"{ref}: no such file next to the workflow ({path})")
    elif LIBRARY_NAME.match(ref):
        if session is not None:
            row = _builtin(ref, session)
            if row is not None:
                return _from_row(key, ref, row, main, python_version)
        path = NODE_LIBRARY_DIR / f"{ref}.py"
        if not path.is_file():
            raise ResolveError(f"{ref}: no node of that name in node_library/")
    else:
        raise ResolveError(f"{ref!r} is neither a library node name, a .py path nor <node-uuid>@<version>")
    code = path.read_text(encoding="utf-8")
    signature = copy.deepcopy(_inspect(code, main or "main", python_version))
    return ResolvedNode(key=key, ref=ref, code=code, signature=signature, python_version=python_version)


def _stored(ref: str, node_id: uuid.UUID, version: int, session, viewer_id):
    if session is None:
        raise ResolveError(f"{ref}: stored nodes need a database session")
    from sqlalchemy import select

    from qflow.db.models import PythonNode, PythonNodeVersion
    from qflow.services.nodes import visible_nodes

    nodes = visible_nodes(viewer_id).subquery() if viewer_id else select(PythonNode).subquery()
    row = session.scalars(
        select(PythonNodeVersion).join(nodes, nodes.c.id == PythonNodeVersion.node_id)
        .where(PythonNodeVersion.node_id == node_id, PythonNodeVersion.version == version)
    ).one_or_none()
    if row is None:
        raise ResolveError(f"{ref}: no such node version")
    return row


def _builtin(ref: str, session):
    """A library name with a database at hand: the seeded built-in node's latest version, so the
    workflow records which version it runs (and that node cannot be deleted under it)."""
    from sqlalchemy import select

    from qflow.db.models import PythonNode, PythonNodeVersion

    return session.scalars(
        select(PythonNodeVersion).join(PythonNode, PythonNode.id == PythonNodeVersion.node_id)
        .where(PythonNode.owner_id.is_(None), PythonNode.name == ref, PythonNode.deleted_at.is_(None),
               PythonNodeVersion.version == PythonNode.latest_version)
    ).one_or_none()


def _from_row(key: str, ref: str, row, main: str | None, python_version: str) -> ResolvedNode:
    """A stored node version run with the workflow node's `main` (default: the version's own) under
    `python_version`. The stored signature holds only for the main function and Python version it was
    inspected with; for others the same code is inspected again (their main function may not exist,
    their syntax and standard library differ). `node_version_id` still records which code runs."""
    main = main or row.main_function
    if (main, python_version) == (row.main_function, row.python_version):
        signature = row.signature
    else:
        signature = copy.deepcopy(_inspect(row.code, main, python_version))
    return ResolvedNode(key=key, ref=ref, code=row.code, signature=signature, python_version=python_version,
                        node_version_id=row.id)
