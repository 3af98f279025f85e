"""Engines and sessions.

    from qflow.db.session import get_engine, session_factory, transaction

    with transaction() as session:          # BEGIN ... COMMIT (ROLLBACK on exception)
        session.add(User(email=..., password_hash=...))

    Session = session_factory()             # sessionmaker(expire_on_commit=False)
    with Session() as session: ...

`url=None` everywhere means `get_settings().database_url` (QFLOW_DATABASE_URL). Engines are cached per URL,
one per process. SQLite connections get `PRAGMA foreign_keys=ON`, WAL journaling and a busy timeout;
`postgresql://` URLs are rewritten to the psycopg 3 driver.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.orm import Session, sessionmaker

# How long a SQLite connection waits for another writer before "database is locked".
SQLITE_BUSY_TIMEOUT_MS = 30_000

_engines: dict[str, Engine] = {}
_factories: dict[str, sessionmaker[Session]] = {}
_lock = threading.Lock()


def resolve_url(url: str | URL | None = None) -> URL:
    """The URL to use: `url`, else the settings' database_url, with the driver made explicit
    (`postgresql://` and `postgres://` become `postgresql+psycopg://`)."""
    if url is None:
        from qflow.config import get_settings

        url = get_settings().database_url
    parsed = make_url(url) if isinstance(url, str) else url
    if parsed.drivername in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
    return parsed


def url_key(url: URL) -> str:
    return url.render_as_string(hide_password=False)


def sqlite_file(url: URL) -> Path | None:
    """The database file of a SQLite URL; None for in-memory databases and non-SQLite URLs."""
    if url.get_backend_name() != "sqlite":
        return None
    database = url.database or ""
    if database in ("", ":memory:") or database.startswith("file:") or url.query.get("mode") == "memory":
        return None
    return Path(database)


def create_engine_for(url: str | URL | None = None, *, for_migrations: bool = False, **kwargs: Any) -> Engine:
    """A new, uncached engine with qflow's connection settings. `get_engine` is what application code wants.

    `for_migrations=True` (SQLite only changes): foreign key enforcement is off while tables are rebuilt
    (batch mode), and every transaction is a real `BEGIN IMMEDIATE`, so DDL is transactional and two
    processes migrating the same file take turns instead of colliding.
    """
    resolved = resolve_url(url)
    path = sqlite_file(resolved)
    if path is not None:
        path.expanduser().resolve().parent.mkdir(parents=True, exist_ok=True)
    if resolved.get_backend_name() == "postgresql":
        kwargs.setdefault("pool_pre_ping", True)
    engine = create_engine(resolved, **kwargs)
    if engine.dialect.name == "sqlite":
        _install_sqlite_hooks(engine, for_migrations=for_migrations)
    return engine


def _install_sqlite_hooks(engine: Engine, *, for_migrations: bool) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # PRAGMAs must run outside a transaction; a new pysqlite connection is in autocommit here.
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute(f"PRAGMA busy_timeout = {SQLITE_BUSY_TIMEOUT_MS}")
            cursor.execute("PRAGMA foreign_keys = " + ("OFF" if for_migrations else "ON"))
            cursor.execute("PRAGMA journal_mode = WAL")  # answers "memory" for in-memory databases
            cursor.execute("PRAGMA synchronous = NORMAL")  # safe with WAL
        finally:
            cursor.close()
        if for_migrations:
            # Take transaction control away from pysqlite so the "begin" hook below decides.
            dbapi_connection.isolation_level = None

    if for_migrations:

        @event.listens_for(engine, "begin")
        def _on_begin(connection: Any) -> None:
            connection.exec_driver_sql("BEGIN IMMEDIATE")


def get_engine(url: str | URL | None = None) -> Engine:
    """The process-wide engine for `url` (default: settings.database_url), created on first use."""
    resolved = resolve_url(url)
    key = url_key(resolved)
    engine = _engines.get(key)
    if engine is None:
        with _lock:
            engine = _engines.get(key)
            if engine is None:
                engine = _engines[key] = create_engine_for(resolved)
    return engine


def session_factory(url: str | URL | None = None) -> sessionmaker[Session]:
    """A sessionmaker bound to `get_engine(url)`; objects stay usable after commit (expire_on_commit=False)."""
    resolved = resolve_url(url)
    key = url_key(resolved)
    factory = _factories.get(key)
    if factory is None:
        engine = get_engine(resolved)  # outside the lock: get_engine takes it too (it is not reentrant)
        with _lock:
            factory = _factories.get(key)
            if factory is None:
                factory = _factories[key] = sessionmaker(bind=engine, expire_on_commit=False)
    return factory


@contextmanager
def transaction(url: str | URL | None = None) -> Iterator[Session]:
    """A session inside one explicit transaction: committed when the block ends, rolled back (and the
    exception re-raised) when it raises."""
    with session_factory(url)() as session, session.begin():
        yield session


def dispose_engine(url: str | URL | None = None) -> None:
    """Close and forget the cached engine for `url` (e.g. before dropping its database)."""
    key = url_key(resolve_url(url))
    with _lock:
        _factories.pop(key, None)
        engine = _engines.pop(key, None)
    if engine is not None:
        engine.dispose()


def dispose_engines() -> None:
    """Close every cached engine's pooled connections and forget them (tests, forked workers)."""
    with _lock:
        for engine in _engines.values():
            engine.dispose()
        _engines.clear()
        _factories.clear()


__all__ = [
    "create_engine_for",
    "dispose_engine",
    "dispose_engines",
    "get_engine",
    "resolve_url",
    "session_factory",
    "sqlite_file",
    "transaction",
]
