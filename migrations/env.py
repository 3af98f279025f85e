"""Alembic environment for qflow.

The database URL comes, in order, from: a connection passed in `config.attributes["connection"]`, a URL in
`config.attributes["url"]`, `sqlalchemy.url` in the config, and finally qflow's settings
(QFLOW_DATABASE_URL). Use `qflow db upgrade` or `qflow.db.migrate` rather than calling alembic by hand;
`alembic -c migrations/alembic.ini ...` works too.

SQLite: batch mode (table rebuilds), transactional DDL, foreign keys checked once at the end of the run.
PostgreSQL: concurrent migrators are serialised by an advisory lock.
"""

from __future__ import annotations

from logging.config import fileConfig
from typing import Any

from alembic import context
from sqlalchemy import pool, text
from sqlalchemy.engine import Connection

import qflow.db.models  # noqa: F401  (registers every table on Base.metadata)
from qflow.db.base import Base, JSONType, UTCDateTime
from qflow.db.session import create_engine_for, resolve_url

config = context.config
if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    fileConfig(config.config_file_name, disable_existing_loggers=False)

target_metadata = Base.metadata

# Arbitrary constant: the key of the PostgreSQL advisory lock held while migrating.
PG_MIGRATION_LOCK_KEY = 0x51F10_0001


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Autogenerate renders qflow's column types as plain SQLAlchemy types, so revisions never import
    application code."""
    if type_ == "type" and isinstance(obj, UTCDateTime):
        return "sa.DateTime(timezone=True)"
    if type_ == "type" and isinstance(obj, JSONType):
        autogen_context.imports.add("from sqlalchemy.dialects import postgresql")
        return 'sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")'
    return False


def _url() -> Any:
    url = config.attributes.get("url") or config.get_main_option("sqlalchemy.url") or None
    return resolve_url(url)


def _configure(connection: Connection | None = None, **kwargs: Any) -> None:
    dialect = connection.dialect.name if connection is not None else _url().get_backend_name()
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=dialect == "sqlite",
        compare_type=True,
        render_item=render_item,
        **kwargs,
    )


def run_migrations_offline() -> None:
    _configure(url=_url().render_as_string(hide_password=False), literal_binds=True)
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection, *, sqlite_transactional: bool) -> None:
    is_sqlite = connection.dialect.name == "sqlite"
    # Our SQLite migration engine really wraps DDL in BEGIN IMMEDIATE ... COMMIT; tell alembic so it runs
    # the whole upgrade in one transaction (a failure leaves nothing half-done).
    _configure(connection, **({"transactional_ddl": True} if is_sqlite and sqlite_transactional else {}))
    with context.begin_transaction():
        if connection.dialect.name == "postgresql":
            connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": PG_MIGRATION_LOCK_KEY})
        context.run_migrations()
        if is_sqlite:
            problems = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
            if problems:
                raise RuntimeError(f"migration left rows violating foreign keys: {problems[:5]}")


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection, sqlite_transactional=False)
        return
    engine = create_engine_for(_url(), for_migrations=True, poolclass=pool.NullPool)
    try:
        with engine.connect() as connection:
            _run(connection, sqlite_transactional=True)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
