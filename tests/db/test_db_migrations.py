"""Migrations on a fresh SQLite file and on a real PostgreSQL database: tables, schema == models, downgrade."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from qflow.db import migrate
from qflow.db.base import MAX_IDENTIFIER_LENGTH
from qflow.db.models import Base
from qflow.db.session import get_engine

EXPECTED_TABLES = {
    "users",
    "user_sessions",
    "python_nodes",
    "python_node_versions",
    "node_tags",
    "python_node_tag_links",
    "workflows",
    "workflow_versions",
    "workflow_tags",
    "workflow_tag_links",
    "workflow_version_nodes",
    "workflow_executions",
    "node_executions",
    "node_data_flow",
    "type_definitions",
    "type_compatibility",
    "custom_types",
    "containers",
    "container_dependencies",
    "files",
    "file_access_logs",
    "file_contents",  # 0003: the bytes of files kept in the database
    "performance_metrics",
    "error_logs",
    "system_health",
    "workflow_execution_events",
    "workflow_checkpoints",
}


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request) -> str:
    """An empty database of each backend, used by one test only."""
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("make_pg_database")()


def _tables(url: str) -> set[str]:
    with get_engine(url).connect() as connection:
        return set(inspect(connection).get_table_names())


def test_models_define_exactly_the_expected_tables():
    assert set(Base.metadata.tables) == EXPECTED_TABLES


def test_single_head_revision():
    assert migrate.head() == "0004_execution_runner"


def test_upgrade_creates_every_table(fresh_url):
    assert migrate.current(fresh_url) is None
    assert migrate.upgrade(fresh_url) == migrate.head()
    assert _tables(fresh_url) == EXPECTED_TABLES | {"alembic_version"}
    assert migrate.current(fresh_url) == migrate.head()
    # Running it again is a no-op.
    assert migrate.upgrade(fresh_url) == migrate.head()


def test_migrated_schema_matches_models(fresh_url):
    migrate.upgrade(fresh_url)
    with get_engine(fresh_url).connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": True}
        )
        diff = compare_metadata(context, Base.metadata)
    assert diff == []


def test_downgrade_to_base_and_up_again(fresh_url):
    migrate.upgrade(fresh_url)
    assert migrate.downgrade(fresh_url, "base") is None
    assert _tables(fresh_url) <= {"alembic_version"}
    assert migrate.upgrade(fresh_url) == migrate.head()
    assert _tables(fresh_url) == EXPECTED_TABLES | {"alembic_version"}


def test_ensure_migrated_migrates_once_then_costs_nothing(fresh_url):
    from sqlalchemy import event

    assert migrate.ensure_migrated(fresh_url) == migrate.head()
    assert migrate.current(fresh_url) == migrate.head()

    statements: list[str] = []
    engine = get_engine(fresh_url)

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        assert migrate.ensure_migrated(fresh_url) == migrate.head()
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert statements == []


def test_ensure_migrated_on_already_migrated_database_does_not_upgrade(fresh_url):
    migrate.upgrade(fresh_url)
    migrate._migrated.clear()  # a new process: the database is at head, the cache is empty
    from sqlalchemy import event

    statements: list[str] = []
    engine = get_engine(fresh_url)

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        migrate.ensure_migrated(fresh_url)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert not any("CREATE" in s.upper() for s in statements)
    assert len(statements) <= 3  # version-table lookup and SELECT version_num


def test_concurrent_upgrades_of_one_database_both_succeed(fresh_url):
    """Two processes migrating the same fresh database take turns (BEGIN IMMEDIATE on SQLite,
    an advisory lock on PostgreSQL) instead of one failing on 'table already exists'."""
    code = "import sys; from qflow.db.migrate import upgrade; print(upgrade(sys.argv[1]))"
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, fresh_url],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ},
        )
        for _ in range(3)
    ]
    results = [p.communicate(timeout=120) + (p.returncode,) for p in procs]
    for out, err, rc in results:
        assert rc == 0, err
        assert out.strip() == migrate.head()
    assert _tables(fresh_url) == EXPECTED_TABLES | {"alembic_version"}


def test_generated_names_fit_postgres_identifier_limit():
    names = [str(table.name) for table in Base.metadata.tables.values()]
    for table in Base.metadata.tables.values():
        names += [str(c.name) for c in table.constraints] + [str(i.name) for i in table.indexes]
    assert all(n and n != "None" for n in names)
    too_long = [n for n in names if len(n) > MAX_IDENTIFIER_LENGTH]
    assert too_long == []


def test_foreign_keys_restrict_except_tag_links():
    for table in Base.metadata.tables.values():
        for fk in table.foreign_keys:
            expected = "CASCADE" if table.name.endswith("_tag_links") else "RESTRICT"
            assert fk.ondelete == expected, f"{table.name}.{fk.parent.name}"

