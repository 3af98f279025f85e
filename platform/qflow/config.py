"""All settings in one place (pydantic-settings): environment variables prefixed QFLOW_, or `.env`."""

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from qflow.paths import STATE_DIR


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QFLOW_", env_file=".env", extra="ignore")

    database_url: str = Field(default_factory=lambda: f"sqlite:///{STATE_DIR / 'qflow.db'}")
    redis_url: str | None = None
    files_dir: Path = STATE_DIR / "files"
    # Bearer tokens live this long after login.
    token_ttl_hours: int = 24
    # Sandbox defaults (issue 5 makes them overridable per node and per workflow).
    default_timeout_seconds: float = 60.0
    default_memory_mb: int = 256
    default_pids_limit: int = 64
    default_output_limit_bytes: int = 16 * 1024 * 1024
    default_tmp_size_mb: int = 64
    default_python_version: str = "3.11"
    # "rootfs": runner images from a debootstrapped Debian (no registry needed); "pull": FROM python:X-slim.
    runner_base: str = "rootfs"

    # -- the execution engine (qflow.engine.queue)
    # The RQ queue every worker listens on (workers of one deployment share it).
    queue_name: str = "qflow"
    # A running node's worker writes node_executions.heartbeat_at this often ...
    heartbeat_seconds: float = Field(default=1.0, gt=0)
    # ... and a node whose heartbeat is older than this is taken to have lost its worker.
    stale_after_seconds: float = Field(default=10.0, gt=0)
    # How often each worker (and a `qflow run --queue` waiter) runs the reconciler.
    reconcile_seconds: float = Field(default=2.0, gt=0)
    # A node 'queued' this long without a live RQ job is enqueued again (Redis lost it).
    requeue_grace_seconds: float = Field(default=3.0, ge=0)
    # Runs of a node lost with its worker, on top of the workflow's own max_retries.
    lost_worker_retries: int = Field(default=3, ge=0)
    # First retry delay; each further retry waits twice as long.
    retry_base_seconds: float = Field(default=0.5, ge=0)
    # Where the bytes of those files go: "database" (the `file_contents` table — every worker host
    # reads what any other wrote, nothing to share but the database) or "directory" (QFLOW_FILES_DIR,
    # which every worker host must then share). Files written before a switch stay readable.
    file_store: Literal["database", "directory"] = "database"
    # Output values whose encoding is larger than this travel as files.
    inline_output_bytes: int = Field(default=256 * 1024, ge=0)
    # Temporary files (node outputs) are deleted this long after they were written.
    temp_file_ttl_hours: float = Field(default=7 * 24, gt=0)
    # How often a worker removes abandoned containers (`qflow.sandbox.reaper.reap`).
    reap_seconds: float = Field(default=30.0, gt=0)
    # A worker closes an execution's warm container after this long without a node.
    sandbox_idle_seconds: float = Field(default=30.0, gt=0)
    # Started containers a worker keeps ready for the next execution (0: none).
    prestart_containers: int = Field(default=1, ge=0)
    # Nodes the embedded (in-process) executor runs at once.
    inprocess_concurrency: int = Field(default=1, ge=1)


@lru_cache
def get_settings() -> Settings:
    return Settings()
