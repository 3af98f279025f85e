"""All settings in one place (pydantic-settings): environment variables prefixed QFLOW_, or `.env`."""

from functools import lru_cache
from pathlib import Path

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


@lru_cache
def get_settings() -> Settings:
    return Settings()
