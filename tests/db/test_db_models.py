"""Model behaviour on both backends: RESTRICT deletes, cascading tag links, UUIDv7 ids, UTC timestamps,
JSON, CHECK constraints, immutable versions, lazy="raise"."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError, InvalidRequestError, StatementError
from sqlalchemy.orm import selectinload

from qflow.db.base import ImmutableRowError, utcnow, uuid7
from qflow.db.migrate import ensure_migrated
from qflow.db.models import (
    Container,
    File,
    NodeDataFlow,
    NodeExecution,
    NodeTag,
    PythonNode,
    PythonNodeVersion,
    User,
    UserSession,
    Workflow,
    WorkflowCheckpoint,
    WorkflowExecution,
    WorkflowExecutionEvent,
    WorkflowVersion,
    WorkflowVersionNode,
    python_node_tag_links,
)
from qflow.db.session import session_factory, transaction


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request) -> str:
    """A migrated database: a fresh SQLite file per test, or the session's throwaway PostgreSQL database
    (tests there use unique names, so they never collide)."""
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    ensure_migrated(url)
    return url


def uniq(prefix: str = "x") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:12]}"


def make_user(session) -> User:
    user = User(email=f"{uniq('u')}@example.com", password_hash="argon2$...")
    session.add(user)
    return user


def make_node_with_version(session, owner: User | None) -> tuple[PythonNode, PythonNodeVersion]:
    node = PythonNode(owner=owner, name=uniq("node"), latest_version=1)
    version = PythonNodeVersion(
        node=node,
        version=1,
        code="def main(x: int) -> int:\n    return x + 1\n",
        code_sha256="0" * 64,
        main_function="main",
        python_version="3.11",
        signature={"inputs": {"x": "int"}, "outputs": {"result": "int"}},
        dependencies=[],
    )
    session.add_all([node, version])
    return node, version


def build_history(url: str) -> dict[str, uuid.UUID]:
    """One of everything, linked the way a real run links them; returns the ids."""
    with transaction(url) as s:
        user = make_user(s)
        node, version = make_node_with_version(s, user)
        workflow = Workflow(owner=user, name=uniq("wf"), latest_version=1)
        wf_version = WorkflowVersion(workflow=workflow, version=1, definition={"nodes": {"a": {}}})
        wf_node = WorkflowVersionNode(workflow_version=wf_version, node_key="a", node_version=version)
        execution = WorkflowExecution(
            workflow_version=wf_version, owner=user, definition=wf_version.definition, params={"x": 1}
        )
        container = Container(image="qflow-runner:3.11", python_version="3.11", execution=execution)
        node_run = NodeExecution(execution=execution, node_key="a", node_version=version, container=container)
        file = File(owner=user, execution=execution, name="out.bin", sha256="1" * 64, size_bytes=3, storage_path="a/b")
        flow = NodeDataFlow(
            execution=execution, source=node_run, source_output="result", target_input="x", transport="file", file=file
        )
        event = WorkflowExecutionEvent(execution=execution, node_execution=node_run, event_type="node_started")
        checkpoint = WorkflowCheckpoint(execution=execution, state={"done": []})
        s.add_all([workflow, wf_version, wf_node, execution, container, node_run, file, flow, event, checkpoint])
        s.flush()
        return {
            "users": user.id,
            "python_nodes": node.id,
            "python_node_versions": version.id,
            "workflows": workflow.id,
            "workflow_versions": wf_version.id,
            "workflow_executions": execution.id,
            "node_executions": node_run.id,
            "containers": container.id,
            "files": file.id,
        }


RESTRICTED_PARENTS = [
    "users",
    "python_nodes",
    "python_node_versions",
    "workflows",
    "workflow_versions",
    "workflow_executions",
    "node_executions",
    "containers",
    "files",
]


def test_restrict_deletes_are_refused(db_url):
    ids = build_history(db_url)
    for table in RESTRICTED_PARENTS:
        with pytest.raises(IntegrityError):
            with transaction(db_url) as s:
                s.execute(text(f"DELETE FROM {table} WHERE id = :id"), {"id": ids[table].hex})
    # Nothing was deleted.
    with transaction(db_url) as s:
        for table in RESTRICTED_PARENTS:
            assert s.scalar(text(f"SELECT count(*) FROM {table} WHERE id = :id"), {"id": ids[table].hex}) == 1


def test_orm_delete_of_node_with_a_version_raises_integrity_error(db_url):
    with transaction(db_url) as s:
        node, _ = make_node_with_version(s, make_user(s))
    with session_factory(db_url)() as s:
        s.delete(s.get(PythonNode, node.id))
        with pytest.raises(IntegrityError):
            s.flush()
        s.rollback()
        assert s.get(PythonNode, node.id) is not None


def test_node_version_used_by_a_workflow_cannot_be_deleted(db_url):
    ids = build_history(db_url)
    with session_factory(db_url)() as s:
        # Only the workflow_version_nodes row refers to this version (plus the run's node execution).
        s.execute(text("DELETE FROM node_data_flow WHERE execution_id = :e"), {"e": ids["workflow_executions"].hex})
        s.execute(text("DELETE FROM workflow_execution_events WHERE execution_id = :e"), {"e": ids["workflow_executions"].hex})
        s.execute(text("DELETE FROM node_executions WHERE execution_id = :e"), {"e": ids["workflow_executions"].hex})
        with pytest.raises(IntegrityError):
            s.execute(text("DELETE FROM python_node_versions WHERE id = :id"), {"id": ids["python_node_versions"].hex})
        s.rollback()


def test_tag_links_cascade_with_their_rows(db_url):
    with transaction(db_url) as s:
        node = PythonNode(owner=make_user(s), name=uniq("node"))
        tag_a, tag_b = NodeTag(name=uniq("tag")), NodeTag(name=uniq("tag"))
        node.tags = [tag_a, tag_b]
        s.add(node)
    links = select(func.count()).select_from(python_node_tag_links).where(python_node_tag_links.c.node_id == node.id)
    with transaction(db_url) as s:
        assert s.scalar(links) == 2
        s.execute(text("DELETE FROM node_tags WHERE id = :id"), {"id": tag_a.id.hex})
    with transaction(db_url) as s:
        assert s.scalar(links) == 1
        # A node without versions may go; its remaining links go with it.
        s.delete(s.get(PythonNode, node.id))
    with transaction(db_url) as s:
        assert s.scalar(links) == 0
        assert s.get(NodeTag, tag_b.id) is not None


def test_uuid7_ids_are_time_ordered():
    ids = [uuid7() for _ in range(2000)]
    assert all(type(i) is uuid.UUID for i in ids)
    assert all(i.version == 7 and i.variant == uuid.RFC_4122 for i in ids)
    assert ids == sorted(ids)
    assert len(set(ids)) == len(ids)
    millis = ids[0].int >> 80
    assert abs(millis / 1000 - datetime.now(UTC).timestamp()) < 5


def test_rows_get_uuid7_ids_that_sort_by_insertion_in_the_database(db_url):
    prefix = uniq("order")
    names = [f"{prefix}-{i:03d}" for i in range(30)]
    for name in names:  # one transaction each: ids from different moments
        with transaction(db_url) as s:
            s.add(NodeTag(name=name))
    with transaction(db_url) as s:
        rows = s.execute(select(NodeTag).where(NodeTag.name.like(f"{prefix}-%")).order_by(NodeTag.id)).scalars().all()
    assert [r.name for r in rows] == names
    assert all(r.id.version == 7 for r in rows)


def test_timestamps_are_timezone_aware_utc(db_url):
    expires = datetime.now(UTC) + timedelta(hours=24)
    with transaction(db_url) as s:
        user = make_user(s)
        s.flush()
        session_row = UserSession(user=user, token_hash=uniq("t").ljust(64, "0")[:64], expires_at=expires)
        s.add(session_row)
    with transaction(db_url) as s:
        loaded = s.get(UserSession, session_row.id)
        assert loaded.created_at.tzinfo is not None and loaded.created_at.utcoffset() == timedelta(0)
        assert abs(loaded.expires_at - expires) < timedelta(seconds=1)
        assert loaded.revoked_at is None
        assert abs(loaded.created_at - utcnow()) < timedelta(minutes=1)
        # An offset other than UTC is converted, not mangled.
        loaded.revoked_at = datetime(2030, 1, 1, 12, 0, tzinfo=timezone(timedelta(hours=2)))
    with transaction(db_url) as s:
        assert s.get(UserSession, session_row.id).revoked_at == datetime(2030, 1, 1, 10, 0, tzinfo=UTC)


def test_naive_datetimes_are_refused(db_url):
    with session_factory(db_url)() as s:
        user = make_user(s)
        s.add(UserSession(user=user, token_hash=uniq("t").ljust(64, "0")[:64], expires_at=datetime(2030, 1, 1)))
        with pytest.raises(StatementError, match="naive datetime"):
            s.flush()


def test_server_defaults_fill_raw_inserts(db_url):
    user_id = uuid7()
    with transaction(db_url) as s:
        s.execute(
            text("INSERT INTO users (id, email, password_hash) VALUES (:id, :email, 'h')"),
            {"id": user_id.hex if "sqlite" in db_url else str(user_id), "email": f"{uniq('raw')}@example.com"},
        )
    with transaction(db_url) as s:
        user = s.get(User, user_id)
        assert user.is_active is True
        assert user.created_at.tzinfo is not None
        assert abs(user.created_at - utcnow()) < timedelta(minutes=1)


def test_updated_at_moves_on_update(db_url):
    with transaction(db_url) as s:
        workflow = Workflow(name=uniq("wf"))
        s.add(workflow)
    before = workflow.updated_at
    with transaction(db_url) as s:
        s.get(Workflow, workflow.id).description = "changed"
    with transaction(db_url) as s:
        assert s.get(Workflow, workflow.id).updated_at > before


def test_json_round_trip_and_none_is_sql_null(db_url):
    ids = build_history(db_url)
    payload = {"nested": {"list": [1, 2.5, "three", None, True]}, "unicode": "héllo"}
    with transaction(db_url) as s:
        run = s.get(NodeExecution, ids["node_executions"])
        run.outputs = payload
        run.error = None
    with transaction(db_url) as s:
        run = s.get(NodeExecution, ids["node_executions"])
        assert run.outputs == payload
        assert s.scalar(
            select(func.count()).select_from(NodeExecution).where(
                NodeExecution.id == run.id, NodeExecution.error.is_(None)
            )
        ) == 1


def test_status_values_are_checked(db_url):
    with session_factory(db_url)() as s:
        s.add(WorkflowExecution(definition={}, status="exploded"))
        with pytest.raises(IntegrityError):
            s.flush()


def test_node_versions_are_immutable(db_url):
    with transaction(db_url) as s:
        _, version = make_node_with_version(s, None)
    with session_factory(db_url)() as s:
        loaded = s.get(PythonNodeVersion, version.id)
        loaded.code = "def main():\n    return 'changed'\n"
        with pytest.raises(ImmutableRowError):
            s.flush()


def test_relationships_never_lazy_load(db_url):
    with transaction(db_url) as s:
        node, _ = make_node_with_version(s, None)
    with session_factory(db_url)() as s:
        loaded = s.get(PythonNode, node.id)
        with pytest.raises(InvalidRequestError):
            _ = loaded.versions
    with session_factory(db_url)() as s:
        loaded = s.scalars(
            select(PythonNode).where(PythonNode.id == node.id).options(selectinload(PythonNode.versions))
        ).one()
        assert [v.version for v in loaded.versions] == [1]


def test_node_names_are_unique_per_owner_and_among_builtins(db_url):
    name = uniq("node")
    with transaction(db_url) as s:
        alice, bob = make_user(s), make_user(s)
        s.add_all([PythonNode(owner=alice, name=name), PythonNode(owner=bob, name=name), PythonNode(name=name)])
    for owner_id in (alice.id, None):
        with session_factory(db_url)() as s:
            s.add(PythonNode(owner_id=owner_id, name=name))
            with pytest.raises(IntegrityError):
                s.flush()


def test_one_node_execution_per_node_key(db_url):
    ids = build_history(db_url)
    with session_factory(db_url)() as s:
        s.add(NodeExecution(execution_id=ids["workflow_executions"], node_key="a"))
        with pytest.raises(IntegrityError):
            s.flush()
