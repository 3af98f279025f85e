"""Settings of the execution engine (environment variables prefixed QFLOW_, or `.env`), kept apart from
`qflow.config.Settings` so the engine's knobs live with the engine."""

from __future__ import annotations

from functools import lru_cache

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict


class EngineSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="QFLOW_", env_file=".env", extra="ignore")

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
    # Output values whose encoding is larger than this travel as files under QFLOW_FILES_DIR.
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
def engine_settings() -> EngineSettings:
    return EngineSettings()
