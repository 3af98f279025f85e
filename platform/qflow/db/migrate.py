"""Apply Alembic migrations from code (no alembic.ini needed).

    from qflow.db.migrate import upgrade, ensure_migrated
    upgrade()                      # to head, on settings.database_url; returns the new revision
    ensure_migrated()              # same, but a no-op (one cheap query, once per process) when at head
"""

from __future__ import annotations

import threading
from functools import lru_cache

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import URL

from qflow.db.session import get_engine, resolve_url, url_key
from qflow.paths import MIGRATIONS_DIR


class MigrationError(RuntimeError):
    """The database cannot be brought to the code's schema (unknown revision, failed migration, ...)."""


_migrated: set[str] = set()
# Alembic's `context`/`op` proxies are process globals: one migration at a time per process.
_lock = threading.RLock()


def make_config(url: str | URL | None = None) -> Config:
    """An Alembic Config for qflow's migrations; `url` (default: settings) is handed to env.py as is."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("file_template", "%%(rev)s_%%(slug)s")
    # Passed as an attribute, not through the ini parser, so '%' in passwords needs no escaping.
    config.attributes["url"] = resolve_url(url)
    return config


@lru_cache(maxsize=1)
def _script() -> ScriptDirectory:
    return ScriptDirectory(str(MIGRATIONS_DIR))


def _known(revision: str) -> bool:
    try:
        return _script().get_revision(revision) is not None
    except Exception:
        return False


def head() -> str:
    """The code's head revision id."""
    heads = _script().get_heads()
    if len(heads) != 1:
        raise MigrationError(f"expected one head revision in {MIGRATIONS_DIR}, found {heads}")
    return heads[0]


def current(url: str | URL | None = None) -> str | None:
    """The database's revision (None when it was never migrated)."""
    with get_engine(url).connect() as connection:
        heads = MigrationContext.configure(connection).get_current_heads()
    if len(heads) > 1:
        raise MigrationError(f"database has several revisions: {heads}")
    return heads[0] if heads else None


def upgrade(url: str | URL | None = None, revision: str = "head") -> str | None:
    """Migrate the database at `url` (default: settings.database_url) up to `revision`; returns the
    revision it is at afterwards."""
    resolved = resolve_url(url)
    try:
        with _lock:
            command.upgrade(make_config(resolved), revision)
    except Exception as exc:  # alembic CommandError, driver errors: one message, original chained
        raise MigrationError(f"upgrade to {revision} failed: {type(exc).__name__}: {exc}") from exc
    return current(resolved)


def downgrade(url: str | URL | None = None, revision: str = "base") -> str | None:
    """Migrate down to `revision` ("base" drops every table). Destructive."""
    resolved = resolve_url(url)
    try:
        with _lock:
            _migrated.discard(url_key(resolved))
            command.downgrade(make_config(resolved), revision)
    except Exception as exc:
        raise MigrationError(f"downgrade to {revision} failed: {type(exc).__name__}: {exc}") from exc
    return current(resolved)


def ensure_migrated(url: str | URL | None = None) -> str:
    """Bring the database to head if it is not there yet. After the first success in a process, free;
    the first call costs one query when the database is already at head."""
    resolved = resolve_url(url)
    key = url_key(resolved)
    if key in _migrated:
        return head()
    with _lock:
        if key not in _migrated:
            target = head()
            at = current(resolved)
            if at != target:
                if at is not None and not _known(at):
                    raise MigrationError(
                        f"database is at revision {at!r}, unknown to this code (head {target!r}); upgrade qflow"
                    )
                upgrade(resolved)
            _migrated.add(key)
    return head()


__all__ = ["MigrationError", "current", "downgrade", "ensure_migrated", "head", "make_config", "upgrade"]
