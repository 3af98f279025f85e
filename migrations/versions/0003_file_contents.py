"""file_contents: the bytes of files kept in the database

Revision ID: 0003_file_contents
Revises: 0002_seed_type_matrix
Create Date: 2026-11-22 01:50:00.000000

Big node outputs were written under QFLOW_FILES_DIR only, which every worker host then had to share.
With QFLOW_FILE_STORE=database (the default) their bytes go here, in the transaction that records
the node, so adding a worker host needs nothing but the database and Redis. Existing files keep their
`storage_path` under the directory and stay readable.

Must run identically on SQLite and PostgreSQL, upgrade and downgrade. Never import application code.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0003_file_contents'
down_revision: str | Sequence[str] | None = '0002_seed_type_matrix'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('file_contents',
        sa.Column('file_id', sa.Uuid(), nullable=False),
        sa.Column('content', sa.LargeBinary(), nullable=False),
        sa.ForeignKeyConstraint(['file_id'], ['files.id'], name=op.f('fk_file_contents_file_id_files'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('file_id', name=op.f('pk_file_contents'))
    )


def downgrade() -> None:
    # The bytes would be lost with the table: refuse while any file still keeps them here.
    held = op.get_bind().execute(sa.text("SELECT count(*) FROM file_contents")).scalar()
    if held:
        raise RuntimeError(f"{held} file(s) keep their bytes in file_contents; downgrading would delete them")
    op.drop_table('file_contents')
