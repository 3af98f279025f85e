"""workflow_executions.runner_id: the process running an in-process execution

Revision ID: 0004_execution_runner
Revises: 0003_file_contents
Create Date: 2026-11-22 02:10:00.000000

An in-process execution lives in one process. When that process dies, a Qflow server that starts on
the same host takes the execution over (a compare-and-set of this column, so two servers starting at
once cannot both run it) and resumes it. Existing rows keep NULL: they are judged by the processes
recorded on their node executions, as before.

Must run identically on SQLite and PostgreSQL, upgrade and downgrade. Never import application code.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0004_execution_runner'
down_revision: str | Sequence[str] | None = '0003_file_contents'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table('workflow_executions') as batch:
        batch.add_column(sa.Column('runner_id', sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('workflow_executions') as batch:
        batch.drop_column('runner_id')
