"""initial schema: every qflow table

Revision ID: 0001_initial
Revises:
Create Date: 2026-11-21 22:42:00.378499

Must run identically on SQLite (batch mode) and PostgreSQL, upgrade and downgrade.
Never import application code (qflow.*) here: a revision is a frozen snapshot of the schema.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '0001_initial'
down_revision: str | Sequence[str] | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def json_type() -> sa.types.TypeEngine:
    """JSONB on PostgreSQL, JSON elsewhere (as qflow.db.base.JSONType)."""
    return sa.JSON(none_as_null=True).with_variant(postgresql.JSONB(none_as_null=True), "postgresql")


def timestamp() -> sa.types.TypeEngine:
    """Timezone-aware timestamp (as qflow.db.base.UTCDateTime): timestamptz on PostgreSQL."""
    return sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table('container_dependencies',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('image', sa.String(length=255), nullable=False),
        sa.Column('python_version', sa.String(length=16), nullable=False),
        sa.Column('package', sa.String(length=255), nullable=False),
        sa.Column('version', sa.String(length=64), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('install_seconds', sa.Float(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('created_at', timestamp(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'installed', 'failed')", name=op.f('ck_container_dependencies_status')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_container_dependencies')),
        sa.UniqueConstraint('image', 'package', name=op.f('uq_container_dependencies_image_package'))
    )
    op.create_index(op.f('ix_container_dependencies_status'), 'container_dependencies', ['status'], unique=False)
    op.create_table('error_logs',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('execution_id', sa.Uuid(), nullable=True),
        sa.Column('node_execution_id', sa.Uuid(), nullable=True),
        sa.Column('error_type', sa.String(length=255), nullable=False),
        sa.Column('message', sa.Text(), nullable=False),
        sa.Column('traceback', sa.Text(), nullable=True),
        sa.Column('context', json_type(), nullable=False),
        sa.Column('created_at', timestamp(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_error_logs'))
    )
    op.create_index(op.f('ix_error_logs_error_type'), 'error_logs', ['error_type'], unique=False)
    op.create_index(op.f('ix_error_logs_execution_id'), 'error_logs', ['execution_id'], unique=False)
    op.create_index(op.f('ix_error_logs_node_execution_id'), 'error_logs', ['node_execution_id'], unique=False)
    op.create_table('node_tags',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_node_tags')),
        sa.UniqueConstraint('name', name=op.f('uq_node_tags_name'))
    )
    op.create_table('performance_metrics',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('execution_id', sa.Uuid(), nullable=True),
        sa.Column('node_execution_id', sa.Uuid(), nullable=True),
        sa.Column('container_id', sa.Uuid(), nullable=True),
        sa.Column('name', sa.String(length=128), nullable=False),
        sa.Column('value', sa.Float(), nullable=False),
        sa.Column('unit', sa.String(length=32), server_default=sa.text("''"), nullable=False),
        sa.Column('recorded_at', timestamp(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_performance_metrics'))
    )
    op.create_index(op.f('ix_performance_metrics_container_id'), 'performance_metrics', ['container_id'], unique=False)
    op.create_index(op.f('ix_performance_metrics_execution_id'), 'performance_metrics', ['execution_id'], unique=False)
    op.create_index('ix_performance_metrics_name_recorded_at', 'performance_metrics', ['name', 'recorded_at'], unique=False)
    op.create_index(op.f('ix_performance_metrics_node_execution_id'), 'performance_metrics', ['node_execution_id'], unique=False)
    op.create_table('system_health',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('component', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('details', json_type(), nullable=False),
        sa.Column('checked_at', timestamp(), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_system_health'))
    )
    op.create_index('ix_system_health_component_checked_at', 'system_health', ['component', 'checked_at'], unique=False)
    op.create_table('type_compatibility',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('source_type', sa.String(length=255), nullable=False),
        sa.Column('target_type', sa.String(length=255), nullable=False),
        sa.Column('verdict', sa.String(length=16), nullable=False),
        sa.Column('conversion', sa.String(length=255), nullable=True),
        sa.Column('is_builtin', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.CheckConstraint("verdict IN ('compatible', 'convertible', 'incompatible')", name=op.f('ck_type_compatibility_verdict')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_type_compatibility')),
        sa.UniqueConstraint('source_type', 'target_type', name=op.f('uq_type_compatibility_source_type_target_type'))
    )
    op.create_table('type_definitions',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('description', sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column('python_type', sa.String(length=255), nullable=False),
        sa.CheckConstraint("kind IN ('scalar', 'generic', 'special')", name=op.f('ck_type_definitions_kind')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_type_definitions')),
        sa.UniqueConstraint('name', name=op.f('uq_type_definitions_name'))
    )
    op.create_table('users',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('email', sa.String(length=320), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('is_active', sa.Boolean(), server_default=sa.true(), nullable=False),
        sa.Column('created_at', timestamp(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.Column('updated_at', timestamp(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
        sa.UniqueConstraint('email', name=op.f('uq_users_email'))
    )
    op.create_table('workflow_tags',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_workflow_tags')),
        sa.UniqueConstraint('name', name=op.f('uq_workflow_tags_name'))
    )
    op.create_table('custom_types',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('owner_id', sa.Uuid(), nullable=False),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('definition', json_type(), nullable=False),
        sa.Column('created_at', timestamp(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.Column('updated_at', timestamp(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_custom_types_owner_id_users'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_custom_types')),
        sa.UniqueConstraint('owner_id', 'name', name=op.f('uq_custom_types_owner_id_name'))
    )
    op.create_table('python_nodes',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('owner_id', sa.Uuid(), nullable=True),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('description', sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column('is_template', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('is_public', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('latest_version', sa.Integer(), server_default='0', nullable=False),
        sa.Column('deleted_at', timestamp(), nullable=True),
        sa.Column('created_at', timestamp(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.Column('updated_at', timestamp(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_python_nodes_owner_id_users'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_python_nodes')),
        sa.UniqueConstraint('owner_id', 'name', name=op.f('uq_python_nodes_owner_id_name'))
    )
    op.create_index(op.f('ix_python_nodes_owner_id'), 'python_nodes', ['owner_id'], unique=False)
    op.create_index('uq_python_nodes_builtin_name', 'python_nodes', ['name'], unique=True, sqlite_where=sa.text('owner_id IS NULL'), postgresql_where=sa.text('owner_id IS NULL'))
    op.create_table('user_sessions',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=False),
        sa.Column('token_hash', sa.String(length=64), nullable=False),
        sa.Column('expires_at', timestamp(), nullable=False),
        sa.Column('revoked_at', timestamp(), nullable=True),
        sa.Column('user_agent', sa.String(length=512), nullable=True),
        sa.Column('created_at', timestamp(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_user_sessions_user_id_users'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_user_sessions')),
        sa.UniqueConstraint('token_hash', name=op.f('uq_user_sessions_token_hash'))
    )
    op.create_index(op.f('ix_user_sessions_expires_at'), 'user_sessions', ['expires_at'], unique=False)
    op.create_index(op.f('ix_user_sessions_user_id'), 'user_sessions', ['user_id'], unique=False)
    op.create_table('workflows',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('owner_id', sa.Uuid(), nullable=True),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('description', sa.Text(), server_default=sa.text("''"), nullable=False),
        sa.Column('latest_version', sa.Integer(), server_default='0', nullable=False),
        sa.Column('deleted_at', timestamp(), nullable=True),
        sa.Column('created_at', timestamp(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.Column('updated_at', timestamp(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_workflows_owner_id_users'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_workflows'))
    )
    op.create_index(op.f('ix_workflows_owner_id'), 'workflows', ['owner_id'], unique=False)
    op.create_table('python_node_tag_links',
        sa.Column('node_id', sa.Uuid(), nullable=False),
        sa.Column('tag_id', sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(['node_id'], ['python_nodes.id'], name=op.f('fk_python_node_tag_links_node_id_python_nodes'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['tag_id'], ['node_tags.id'], name=op.f('fk_python_node_tag_links_tag_id_node_tags'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('node_id', 'tag_id', name=op.f('pk_python_node_tag_links'))
    )
    op.create_index(op.f('ix_python_node_tag_links_tag_id'), 'python_node_tag_links', ['tag_id'], unique=False)
    op.create_table('python_node_versions',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('node_id', sa.Uuid(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('code', sa.Text(), nullable=False),
        sa.Column('code_sha256', sa.String(length=64), nullable=False),
        sa.Column('main_function', sa.String(length=255), nullable=False),
        sa.Column('python_version', sa.String(length=16), nullable=False),
        sa.Column('signature', json_type(), nullable=False),
        sa.Column('dependencies', json_type(), nullable=False),
        sa.Column('created_at', timestamp(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.ForeignKeyConstraint(['node_id'], ['python_nodes.id'], name=op.f('fk_python_node_versions_node_id_python_nodes'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_python_node_versions')),
        sa.UniqueConstraint('node_id', 'version', name=op.f('uq_python_node_versions_node_id_version'))
    )
    op.create_index(op.f('ix_python_node_versions_code_sha256'), 'python_node_versions', ['code_sha256'], unique=False)
    op.create_table('workflow_tag_links',
        sa.Column('workflow_id', sa.Uuid(), nullable=False),
        sa.Column('tag_id', sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(['tag_id'], ['workflow_tags.id'], name=op.f('fk_workflow_tag_links_tag_id_workflow_tags'), ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['workflow_id'], ['workflows.id'], name=op.f('fk_workflow_tag_links_workflow_id_workflows'), ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('workflow_id', 'tag_id', name=op.f('pk_workflow_tag_links'))
    )
    op.create_index(op.f('ix_workflow_tag_links_tag_id'), 'workflow_tag_links', ['tag_id'], unique=False)
    op.create_table('workflow_versions',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('workflow_id', sa.Uuid(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.Column('definition', json_type(), nullable=False),
        sa.Column('created_at', timestamp(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.ForeignKeyConstraint(['workflow_id'], ['workflows.id'], name=op.f('fk_workflow_versions_workflow_id_workflows'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_workflow_versions')),
        sa.UniqueConstraint('workflow_id', 'version', name=op.f('uq_workflow_versions_workflow_id_version'))
    )
    op.create_table('workflow_executions',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('workflow_version_id', sa.Uuid(), nullable=True),
        sa.Column('owner_id', sa.Uuid(), nullable=True),
        sa.Column('definition', json_type(), nullable=False),
        sa.Column('params', json_type(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('progress_percent', sa.Float(), server_default='0', nullable=False),
        sa.Column('current_node', sa.String(length=255), nullable=True),
        sa.Column('error', json_type(), nullable=True),
        sa.Column('queue', sa.String(length=16), nullable=True),
        sa.Column('started_at', timestamp(), nullable=True),
        sa.Column('finished_at', timestamp(), nullable=True),
        sa.Column('created_at', timestamp(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.CheckConstraint("queue IS NULL OR queue IN ('inprocess', 'rq')", name=op.f('ck_workflow_executions_queue')),
        sa.CheckConstraint("status IN ('pending', 'running', 'paused', 'completed', 'failed', 'cancelled')", name=op.f('ck_workflow_executions_status')),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_workflow_executions_owner_id_users'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['workflow_version_id'], ['workflow_versions.id'], name=op.f('fk_workflow_executions_workflow_version_id_workflow_versions'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_workflow_executions'))
    )
    op.create_index('ix_workflow_executions_created_at', 'workflow_executions', ['created_at'], unique=False)
    op.create_index('ix_workflow_executions_owner_id_created_at', 'workflow_executions', ['owner_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_workflow_executions_status'), 'workflow_executions', ['status'], unique=False)
    op.create_index(op.f('ix_workflow_executions_workflow_version_id'), 'workflow_executions', ['workflow_version_id'], unique=False)
    op.create_table('workflow_version_nodes',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('workflow_version_id', sa.Uuid(), nullable=False),
        sa.Column('node_key', sa.String(length=255), nullable=False),
        sa.Column('node_version_id', sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(['node_version_id'], ['python_node_versions.id'], name=op.f('fk_workflow_version_nodes_node_version_id_python_node_versions'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['workflow_version_id'], ['workflow_versions.id'], name=op.f('fk_workflow_version_nodes_workflow_version_id_workflow_versions'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_workflow_version_nodes')),
        sa.UniqueConstraint('workflow_version_id', 'node_key', name=op.f('uq_workflow_version_nodes_workflow_version_id_node_key'))
    )
    op.create_index(op.f('ix_workflow_version_nodes_node_version_id'), 'workflow_version_nodes', ['node_version_id'], unique=False)
    op.create_table('containers',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('docker_id', sa.String(length=64), nullable=True),
        sa.Column('image', sa.String(length=255), nullable=False),
        sa.Column('python_version', sa.String(length=16), nullable=False),
        sa.Column('execution_id', sa.Uuid(), nullable=True),
        sa.Column('isolation', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('memory_limit_bytes', sa.BigInteger(), nullable=True),
        sa.Column('nano_cpus', sa.BigInteger(), nullable=True),
        sa.Column('pids_limit', sa.Integer(), nullable=True),
        sa.Column('timeout_seconds', sa.Float(), nullable=True),
        sa.Column('cpu_seconds', sa.Float(), nullable=True),
        sa.Column('peak_memory_bytes', sa.BigInteger(), nullable=True),
        sa.Column('exit_code', sa.Integer(), nullable=True),
        sa.Column('oom_killed', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('started_at', timestamp(), nullable=True),
        sa.Column('finished_at', timestamp(), nullable=True),
        sa.Column('removed_at', timestamp(), nullable=True),
        sa.Column('created_at', timestamp(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.CheckConstraint("isolation IN ('node', 'execution')", name=op.f('ck_containers_isolation')),
        sa.CheckConstraint("status IN ('created', 'running', 'exited', 'removed', 'failed')", name=op.f('ck_containers_status')),
        sa.ForeignKeyConstraint(['execution_id'], ['workflow_executions.id'], name=op.f('fk_containers_execution_id_workflow_executions'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_containers')),
        sa.UniqueConstraint('docker_id', name=op.f('uq_containers_docker_id'))
    )
    op.create_index(op.f('ix_containers_execution_id'), 'containers', ['execution_id'], unique=False)
    op.create_index(op.f('ix_containers_status'), 'containers', ['status'], unique=False)
    op.create_table('files',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('owner_id', sa.Uuid(), nullable=True),
        sa.Column('execution_id', sa.Uuid(), nullable=True),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('size_bytes', sa.BigInteger(), nullable=False),
        sa.Column('mime_type', sa.String(length=255), nullable=False),
        sa.Column('storage_path', sa.String(length=1024), nullable=False),
        sa.Column('is_temporary', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('expires_at', timestamp(), nullable=True),
        sa.Column('created_at', timestamp(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.ForeignKeyConstraint(['execution_id'], ['workflow_executions.id'], name=op.f('fk_files_execution_id_workflow_executions'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['owner_id'], ['users.id'], name=op.f('fk_files_owner_id_users'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_files'))
    )
    op.create_index('ix_files_created_at', 'files', ['created_at'], unique=False)
    op.create_index(op.f('ix_files_execution_id'), 'files', ['execution_id'], unique=False)
    op.create_index(op.f('ix_files_expires_at'), 'files', ['expires_at'], unique=False)
    op.create_index(op.f('ix_files_owner_id'), 'files', ['owner_id'], unique=False)
    op.create_index(op.f('ix_files_sha256'), 'files', ['sha256'], unique=False)
    op.create_table('workflow_checkpoints',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('execution_id', sa.Uuid(), nullable=False),
        sa.Column('state', json_type(), nullable=False),
        sa.Column('created_at', timestamp(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.ForeignKeyConstraint(['execution_id'], ['workflow_executions.id'], name=op.f('fk_workflow_checkpoints_execution_id_workflow_executions'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_workflow_checkpoints'))
    )
    op.create_index('ix_workflow_checkpoints_execution_id_created_at', 'workflow_checkpoints', ['execution_id', 'created_at'], unique=False)
    op.create_table('file_access_logs',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('file_id', sa.Uuid(), nullable=False),
        sa.Column('user_id', sa.Uuid(), nullable=True),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('accessed_at', timestamp(), nullable=False),
        sa.ForeignKeyConstraint(['file_id'], ['files.id'], name=op.f('fk_file_access_logs_file_id_files'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_file_access_logs_user_id_users'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_file_access_logs'))
    )
    op.create_index(op.f('ix_file_access_logs_accessed_at'), 'file_access_logs', ['accessed_at'], unique=False)
    op.create_index(op.f('ix_file_access_logs_file_id'), 'file_access_logs', ['file_id'], unique=False)
    op.create_index(op.f('ix_file_access_logs_user_id'), 'file_access_logs', ['user_id'], unique=False)
    op.create_table('node_executions',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('execution_id', sa.Uuid(), nullable=False),
        sa.Column('node_key', sa.String(length=255), nullable=False),
        sa.Column('node_version_id', sa.Uuid(), nullable=True),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempt', sa.Integer(), server_default='0', nullable=False),
        sa.Column('inputs', json_type(), nullable=True),
        sa.Column('outputs', json_type(), nullable=True),
        sa.Column('error', json_type(), nullable=True),
        sa.Column('logs', sa.Text(), nullable=True),
        sa.Column('cpu_seconds', sa.Float(), nullable=True),
        sa.Column('peak_memory_bytes', sa.BigInteger(), nullable=True),
        sa.Column('wall_seconds', sa.Float(), nullable=True),
        sa.Column('container_id', sa.Uuid(), nullable=True),
        sa.Column('worker_id', sa.String(length=255), nullable=True),
        sa.Column('heartbeat_at', timestamp(), nullable=True),
        sa.Column('queued_at', timestamp(), nullable=True),
        sa.Column('started_at', timestamp(), nullable=True),
        sa.Column('finished_at', timestamp(), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'queued', 'running', 'completed', 'failed', 'timed_out', 'cancelled', 'skipped')", name=op.f('ck_node_executions_status')),
        sa.ForeignKeyConstraint(['container_id'], ['containers.id'], name=op.f('fk_node_executions_container_id_containers'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['execution_id'], ['workflow_executions.id'], name=op.f('fk_node_executions_execution_id_workflow_executions'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['node_version_id'], ['python_node_versions.id'], name=op.f('fk_node_executions_node_version_id_python_node_versions'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_node_executions')),
        sa.UniqueConstraint('execution_id', 'node_key', name=op.f('uq_node_executions_execution_id_node_key'))
    )
    op.create_index(op.f('ix_node_executions_container_id'), 'node_executions', ['container_id'], unique=False)
    op.create_index(op.f('ix_node_executions_node_version_id'), 'node_executions', ['node_version_id'], unique=False)
    op.create_index(op.f('ix_node_executions_status'), 'node_executions', ['status'], unique=False)
    op.create_table('node_data_flow',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('execution_id', sa.Uuid(), nullable=False),
        sa.Column('source_node_execution_id', sa.Uuid(), nullable=True),
        sa.Column('target_node_execution_id', sa.Uuid(), nullable=True),
        sa.Column('source_output', sa.String(length=255), nullable=False),
        sa.Column('target_input', sa.String(length=255), nullable=False),
        sa.Column('transport', sa.String(length=8), nullable=False),
        sa.Column('file_id', sa.Uuid(), nullable=True),
        sa.Column('size_bytes', sa.BigInteger(), server_default='0', nullable=False),
        sa.Column('serialization', sa.String(length=32), server_default='json', nullable=False),
        sa.Column('transfer_seconds', sa.Float(), nullable=True),
        sa.Column('created_at', timestamp(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.CheckConstraint("transport IN ('json', 'file')", name=op.f('ck_node_data_flow_transport')),
        sa.CheckConstraint('source_node_execution_id IS NOT NULL OR target_node_execution_id IS NOT NULL', name=op.f('ck_node_data_flow_has_endpoint')),
        sa.ForeignKeyConstraint(['execution_id'], ['workflow_executions.id'], name=op.f('fk_node_data_flow_execution_id_workflow_executions'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['file_id'], ['files.id'], name=op.f('fk_node_data_flow_file_id_files'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['source_node_execution_id'], ['node_executions.id'], name=op.f('fk_node_data_flow_source_node_execution_id_node_executions'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['target_node_execution_id'], ['node_executions.id'], name=op.f('fk_node_data_flow_target_node_execution_id_node_executions'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_node_data_flow'))
    )
    op.create_index(op.f('ix_node_data_flow_execution_id'), 'node_data_flow', ['execution_id'], unique=False)
    op.create_index(op.f('ix_node_data_flow_file_id'), 'node_data_flow', ['file_id'], unique=False)
    op.create_index(op.f('ix_node_data_flow_source_node_execution_id'), 'node_data_flow', ['source_node_execution_id'], unique=False)
    op.create_index(op.f('ix_node_data_flow_target_node_execution_id'), 'node_data_flow', ['target_node_execution_id'], unique=False)
    op.create_table('workflow_execution_events',
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('execution_id', sa.Uuid(), nullable=False),
        sa.Column('node_execution_id', sa.Uuid(), nullable=True),
        sa.Column('event_type', sa.String(length=32), nullable=False),
        sa.Column('payload', json_type(), nullable=False),
        sa.Column('created_at', timestamp(), server_default=sa.text('CURRENT_TIMESTAMP'), nullable=False),
        sa.CheckConstraint("event_type IN ('started', 'node_started', 'node_completed', 'node_failed', 'node_retried', 'node_skipped', 'paused', 'resumed', 'cancelled', 'completed', 'failed')", name=op.f('ck_workflow_execution_events_event_type')),
        sa.ForeignKeyConstraint(['execution_id'], ['workflow_executions.id'], name=op.f('fk_workflow_execution_events_execution_id_workflow_executions'), ondelete='RESTRICT'),
        sa.ForeignKeyConstraint(['node_execution_id'], ['node_executions.id'], name=op.f('fk_workflow_execution_events_node_execution_id_node_executions'), ondelete='RESTRICT'),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_workflow_execution_events'))
    )
    op.create_index('ix_workflow_execution_events_execution_id_created_at', 'workflow_execution_events', ['execution_id', 'created_at'], unique=False)
    op.create_index(op.f('ix_workflow_execution_events_node_execution_id'), 'workflow_execution_events', ['node_execution_id'], unique=False)


def downgrade() -> None:
    # Children before parents (PostgreSQL refuses otherwise); each table's indexes go with it.
    op.drop_table('workflow_execution_events')
    op.drop_table('node_data_flow')
    op.drop_table('node_executions')
    op.drop_table('file_access_logs')
    op.drop_table('workflow_checkpoints')
    op.drop_table('files')
    op.drop_table('containers')
    op.drop_table('workflow_version_nodes')
    op.drop_table('workflow_executions')
    op.drop_table('workflow_versions')
    op.drop_table('workflow_tag_links')
    op.drop_table('python_node_versions')
    op.drop_table('python_node_tag_links')
    op.drop_table('workflows')
    op.drop_table('user_sessions')
    op.drop_table('python_nodes')
    op.drop_table('custom_types')
    op.drop_table('workflow_tags')
    op.drop_table('users')
    op.drop_table('type_definitions')
    op.drop_table('type_compatibility')
    op.drop_table('system_health')
    op.drop_table('performance_metrics')
    op.drop_table('node_tags')
    op.drop_table('error_logs')
    op.drop_table('container_dependencies')
