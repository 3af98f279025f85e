"""Real services for tests — Docker, PostgreSQL, Redis — never mocked.

A test that needs a service the machine lacks FAILS with the command that starts it (`make test` starts
them all); set QFLOW_ALLOW_MISSING_SERVICES=1 to skip such tests instead on a partial machine.

Fixtures:

* `sqlite_url`     — a fresh SQLite file under the test's tmp_path (not migrated).
* `pg_server_url`  — the PostgreSQL server to use: $QFLOW_TEST_POSTGRES_URL, default
                     postgresql+psycopg://qflow:qflow@127.0.0.1:5432/qflow_test (run scripts/start_postgres.sh).
                     Tests needing it fail (or skip, see above) when the server does not answer.
* `make_pg_database` — session-scoped factory: `make_pg_database()` creates an empty database with a random
                     name on that server and returns its URL; all of them are dropped at the end of the session.
* `pg_url`         — one such throwaway database for the whole test session (not migrated).

After each test, the process's pooled connections to the databases it created are closed: the server
allows 100 connections, and a pool per database left open by every test would use them all up.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest

from tests.support import missing_service  # noqa: F401  (re-exported for fixtures)

DEFAULT_TEST_POSTGRES_URL = "postgresql+psycopg://qflow:qflow@127.0.0.1:5432/qflow_test"
_CREATED_DATABASES: list[str] = []  # URLs made by make_pg_database, in order


@pytest.fixture(autouse=True)
def _close_pools_of_new_databases():
    made = len(_CREATED_DATABASES)
    yield
    if len(_CREATED_DATABASES) > made:
        from qflow.db.session import dispose_engine

        for url in _CREATED_DATABASES[made:]:
            dispose_engine(url)
@pytest.fixture(scope="session")
def docker_client():
    import docker

    try:
        client = docker.from_env()
        client.ping()
    except Exception as exc:  # noqa: BLE001
        missing_service(f"no Docker engine answers (run scripts/start_docker.sh): {exc}")
    return client


@pytest.fixture(scope="session")
def runner_image(docker_client) -> str:
    """The Python 3.11 runner image, built if missing (a minute the first time)."""
    from qflow.sandbox.images import ensure_runner_image

    return ensure_runner_image("3.11", client=docker_client, log=lambda m: None)


@pytest.fixture
def no_leftover_containers(docker_client):
    """Fails the test if a Qflow container it started is still there afterwards: one owned by this
    process, or by a process that has exited (a `qflow` command the test ran). Containers of other
    live processes — a second test run on the same machine — are not this test's."""
    import time

    from qflow.sandbox.container import OWNER_LABEL, WORKER_LABEL
    from qflow.sandbox.reaper import owner_alive
    from qflow.sandbox.sandboxes import worker_identity

    me = worker_identity()

    def ours() -> set[str]:
        found = set()
        for c in docker_client.containers.list(all=True, ignore_removed=True, filters={"label": OWNER_LABEL}):
            owner = c.labels.get(WORKER_LABEL)
            if owner is None or owner == me or owner_alive(owner) is False:
                found.add(c.id)
        return found

    before = ours()
    yield
    deadline = time.monotonic() + 5
    while (left := ours() - before) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert left == set(), "containers left behind"


@pytest.fixture
def sqlite_url(tmp_path) -> str:
    return f"sqlite:///{tmp_path / 'qflow.db'}"


def _admin_engine(url: str):
    from sqlalchemy import create_engine
    from sqlalchemy.pool import NullPool

    from qflow.db.session import resolve_url

    return create_engine(
        resolve_url(url), isolation_level="AUTOCOMMIT", poolclass=NullPool, connect_args={"connect_timeout": 5}
    )


@pytest.fixture(scope="session")
def pg_server_url() -> str:
    url = os.environ.get("QFLOW_TEST_POSTGRES_URL", DEFAULT_TEST_POSTGRES_URL)
    engine = _admin_engine(url)
    try:
        with engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")
    except Exception as exc:  # noqa: BLE001
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else repr(exc)
        missing_service(f"PostgreSQL not reachable at QFLOW_TEST_POSTGRES_URL (run scripts/start_postgres.sh): {first}")
    finally:
        engine.dispose()
    return url


@pytest.fixture(scope="session")
def make_pg_database(pg_server_url: str) -> Iterator[Callable[[], str]]:
    from qflow.db.session import dispose_engine, resolve_url

    server = resolve_url(pg_server_url)
    engine = _admin_engine(pg_server_url)
    created: list[str] = []

    def make() -> str:
        name = f"qflow_test_{uuid.uuid4().hex[:16]}"
        with engine.connect() as connection:
            connection.exec_driver_sql(f'CREATE DATABASE "{name}"')
        created.append(name)
        url = server.set(database=name).render_as_string(hide_password=False)
        _CREATED_DATABASES.append(url)
        return url

    try:
        yield make
    finally:
        import time
        import warnings

        from sqlalchemy.exc import DBAPIError

        with engine.connect() as connection:
            for name in created:
                dispose_engine(server.set(database=name))
                # WITH (FORCE) cannot end a superuser's backend (an autovacuum worker may be in the
                # database for a moment): try again briefly, then leave it rather than fail the run.
                for attempt in range(10):
                    try:
                        connection.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
                        break
                    except DBAPIError as exc:
                        if attempt == 9:
                            warnings.warn(f"could not drop test database {name}: {exc}", stacklevel=1)
                        time.sleep(0.5)
        engine.dispose()


@pytest.fixture(scope="session")
def pg_url(make_pg_database: Callable[[], str]) -> str:
    return make_pg_database()


@pytest.fixture(scope="session")
def redis_url() -> str:
    """The real Redis server: $QFLOW_TEST_REDIS_URL, default database 15 of 127.0.0.1:6379."""
    import redis

    url = os.environ.get("QFLOW_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=3).set("qflow:test-probe", 1)  # reachable and writable
    except Exception as exc:  # noqa: BLE001
        missing_service(f"Redis not reachable at {url} (run scripts/start_redis.sh): {exc}")
    return url
