"""The built-in node library (`node_library/*.py`) as public template nodes owned by nobody.

Seeded when the API starts and by `qflow db upgrade`: a file whose code changed becomes the node's next
version, an unchanged file costs one hash comparison, so a second seeding parses nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from qflow.db.models import PythonNode, PythonNodeVersion
from qflow.paths import NODE_LIBRARY_DIR
from qflow.services.nodes import code_digest, save_version

LIBRARY_TAG = "library"


@dataclass
class SeedReport:
    created: list[str]
    updated: list[str]
    unchanged: list[str]


def library_files() -> dict[str, str]:
    return {p.stem: p.read_text(encoding="utf-8") for p in sorted(NODE_LIBRARY_DIR.glob("*.py"))}


def seed_library(sessions: sessionmaker[Session]) -> SeedReport:
    from qflow.authoring import inspect_node
    from qflow.services.nodes import set_tags

    report = SeedReport([], [], [])
    with sessions.begin() as s:
        existing = {n.name: n for n in s.scalars(select(PythonNode).where(PythonNode.owner_id.is_(None)))}
        latest = {v.node_id: v for v in s.scalars(
            select(PythonNodeVersion).join(PythonNode, PythonNode.id == PythonNodeVersion.node_id)
            .where(PythonNode.owner_id.is_(None), PythonNodeVersion.version == PythonNode.latest_version))}
        for name, code in library_files().items():
            node = existing.get(name)
            last = latest.get(node.id) if node else None
            if last is not None and last.code_sha256 == code_digest(code):
                report.unchanged.append(name)
                continue
            signature = inspect_node(code)
            if node is None:
                node = PythonNode(owner_id=None, name=name, description=_summary(code), is_template=True,
                                  is_public=True, latest_version=0)
                s.add(node)
                s.flush()
                set_tags(s, node, [LIBRARY_TAG])
                report.created.append(name)
            else:
                node.description = _summary(code)
                report.updated.append(name)
            save_version(s, node, code, signature["main_function"], "3.11", signature)
    return report


def _summary(code: str) -> str:
    """The first line of the main function's docstring."""
    import ast

    for stmt in reversed(ast.parse(code).body):
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)) and stmt.name == "main":
            doc = ast.get_docstring(stmt) or ""
            return doc.strip().splitlines()[0] if doc.strip() else ""
    return ""
