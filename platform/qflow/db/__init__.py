"""Persistence: SQLAlchemy models (`qflow.db.models`), engines and sessions (`qflow.db.session`),
Alembic migrations (`qflow.db.migrate`, scripts in <repo>/migrations)."""
