"""Read-then-write transactions that two requests must not interleave: both would read the same latest
version and both write the next one."""

from __future__ import annotations

from sqlalchemy import Select, text
from sqlalchemy.engine import ScalarResult
from sqlalchemy.orm import Session


def locked(session: Session, stmt: Select) -> ScalarResult:
    """The rows of `stmt`, locked until the transaction ends, so that what it writes is decided on data
    no concurrent transaction changes meanwhile. Must be the transaction's first statement.

    PostgreSQL locks the rows (SELECT … FOR UPDATE; a row that does not exist yet is not locked: two
    transactions inserting it collide on its unique constraint instead). SQLite ignores FOR UPDATE, and
    pysqlite begins a transaction only at its first write, so the reads before it would run on their
    own: there BEGIN IMMEDIATE takes the database's writer lock (waiting busy_timeout for it) and holds
    it to the end, and pysqlite begins none of its own."""
    if session.get_bind().dialect.name == "sqlite":
        session.execute(text("BEGIN IMMEDIATE"))
    return session.scalars(stmt.with_for_update())
