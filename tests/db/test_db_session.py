"""Engines, sessions, the explicit transaction helper, and `qflow db upgrade`."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest
from sqlalchemy import select, text
from typer.testing import CliRunner

from qflow.db import migrate
from qflow.db.models import NodeTag
from qflow.db.session import get_engine, resolve_url, session_factory, transaction


def test_postgres_urls_get_the_psycopg_driver():
    for raw in ("postgresql://u:p@h:5432/d", "postgres://u:p@h:5432/d", "postgresql+psycopg://u:p@h:5432/d"):
        assert resolve_url(raw).drivername == "postgresql+psycopg"
    assert resolve_url("sqlite:///x.db").drivername == "sqlite"


def test_default_url_comes_from_settings(monkeypatch, tmp_path):
    from qflow.config import get_settings

    monkeypatch.setenv("QFLOW_DATABASE_URL", f"sqlite:///{tmp_path / 'from-env.db'}")
    get_settings.cache_clear()
    try:
        assert resolve_url(None).database == str(tmp_path / "from-env.db")
    finally:
        get_settings.cache_clear()


def test_engines_are_cached_per_url(tmp_path):
    a, b = f"sqlite:///{tmp_path / 'a.db'}", f"sqlite:///{tmp_path / 'b.db'}"
    assert get_engine(a) is get_engine(a)
    assert get_engine(a) is not get_engine(b)
    assert session_factory(a) is session_factory(a)
    assert session_factory(a).kw["expire_on_commit"] is False


def test_sqlite_connections_enforce_foreign_keys_and_use_wal(tmp_path):
    url = f"sqlite:///{tmp_path / 'deep' / 'er' / 'qflow.db'}"  # parent directories are created
    with get_engine(url).connect() as connection:
        assert connection.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA busy_timeout").scalar() > 0
    assert (tmp_path / "deep" / "er" / "qflow.db").exists()


@pytest.mark.postgres
def test_postgres_engine_uses_psycopg(pg_url):
    with get_engine(pg_url.replace("postgresql+psycopg://", "postgresql://")).connect() as connection:
        assert connection.dialect.driver == "psycopg"
        assert connection.exec_driver_sql("SELECT 1").scalar() == 1


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request) -> str:
    url = request.getfixturevalue("sqlite_url" if request.param == "sqlite" else "pg_url")
    migrate.ensure_migrated(url)
    return url


def test_transaction_commits_on_success_and_rolls_back_on_error(db_url):
    import uuid

    kept, dropped = f"kept-{uuid.uuid4().hex}", f"dropped-{uuid.uuid4().hex}"
    with transaction(db_url) as s:
        s.add(NodeTag(name=kept))
    with pytest.raises(RuntimeError):
        with transaction(db_url) as s:
            s.add(NodeTag(name=dropped))
            s.flush()
            raise RuntimeError("boom")
    with transaction(db_url) as s:
        names = set(s.scalars(select(NodeTag.name).where(NodeTag.name.in_([kept, dropped]))))
    assert names == {kept}


def test_objects_stay_usable_after_commit(db_url):
    import uuid

    with transaction(db_url) as s:
        tag = NodeTag(name=f"t-{uuid.uuid4().hex}")
        s.add(tag)
    # expire_on_commit=False: attributes are still loaded outside the session.
    assert tag.name.startswith("t-") and tag.id.version == 7


# --- qflow db upgrade -------------------------------------------------------------------------------------


def _invoke(args: list[str], url: str, monkeypatch):
    from qflow.cli import db_cmd
    from qflow.config import get_settings

    monkeypatch.setenv("QFLOW_DATABASE_URL", url)
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(db_cmd.app, args)
    finally:
        get_settings.cache_clear()


def test_cli_upgrade_migrates_qflow_database_url_and_prints_the_revision(sqlite_url, monkeypatch):
    result = _invoke(["upgrade"], sqlite_url, monkeypatch)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == migrate.head()
    assert "node library:" in result.stderr  # the built-in nodes were seeded on the way
    assert migrate.current(sqlite_url) == migrate.head()
    result = _invoke(["current"], sqlite_url, monkeypatch)
    assert result.output.strip() == migrate.head()


@pytest.mark.postgres
def test_cli_upgrade_on_postgres(make_pg_database, monkeypatch):
    url = make_pg_database().replace("postgresql+psycopg://", "postgresql://")
    result = _invoke(["upgrade"], url, monkeypatch)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == migrate.head()


def _run_cli(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from qflow.cli.db_cmd import app; app(prog_name='qflow db')"
    env = {**os.environ, "QFLOW_DATABASE_URL": url}
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env, timeout=60)


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://qflow:wrong@127.0.0.1:1/nowhere",  # nothing listens on port 1
        "nosuchdialect://x",
    ],
)
def test_cli_upgrade_errors_are_one_line_and_exit_2(url):
    result = _run_cli(url, "upgrade")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("qflow db upgrade: ")
    assert "wrong" not in lines[0]  # the password is not echoed


def test_cli_upgrade_to_unknown_revision_is_one_line(sqlite_url):
    result = _run_cli(sqlite_url, "upgrade", "no-such-revision")
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert "no-such-revision" in result.stderr


def test_sqlite_default_database_parent_directory_is_created(tmp_path):
    url = f"sqlite:///{tmp_path / 'state' / 'qflow.db'}"
    assert migrate.ensure_migrated(url) == migrate.head()
    with get_engine(url).connect() as connection:
        assert connection.execute(text("SELECT version_num FROM alembic_version")).scalar() == migrate.head()


def test_sqlite_migration_engine_makes_ddl_transactional(tmp_path):
    """What lets a failed SQLite migration leave nothing half-done."""
    from sqlalchemy import inspect

    from qflow.db.session import create_engine_for

    engine = create_engine_for(f"sqlite:///{tmp_path / 'm.db'}", for_migrations=True)
    try:
        with pytest.raises(Exception, match="already exists"):
            with engine.begin() as connection:
                connection.exec_driver_sql("CREATE TABLE a (x INTEGER)")
                connection.exec_driver_sql("CREATE TABLE a (x INTEGER)")
        assert inspect(engine).get_table_names() == []
    finally:
        engine.dispose()


def test_session_factory_creates_its_engine_on_first_use(tmp_path):
    """No engine yet for the URL: session_factory must create one (it once deadlocked on its own lock)."""
    import threading

    from qflow.db.session import session_factory

    url = f"sqlite:///{tmp_path / 'first.db'}"
    done = []
    t = threading.Thread(target=lambda: done.append(session_factory(url)), daemon=True)
    t.start()
    t.join(timeout=10)
    assert done, "session_factory did not return"
    with done[0]() as s:
        assert s.execute(__import__("sqlalchemy").text("SELECT 1")).scalar() == 1
