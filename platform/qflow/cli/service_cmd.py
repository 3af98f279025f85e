"""`qflow server`: the HTTP API under uvicorn; `qflow worker`: an RQ worker running workflow nodes. Both
read the same settings as every command."""

from __future__ import annotations

import sys
from typing import Annotated

import typer


def register(app: typer.Typer) -> None:
    app.command("server")(server)
    app.command("worker")(worker)


def server(
    host: Annotated[str, typer.Option(help="address to bind")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="port to bind")] = 8000,
) -> None:
    """Serve the HTTP API (OpenAPI at /docs)."""
    import uvicorn

    uvicorn.run("qflow.api.app:create_app", factory=True, host=host, port=port)


def worker(
    burst: Annotated[bool, typer.Option("--burst", help="stop once no running execution has work queued")] = False,
    name: Annotated[str | None, typer.Option(help="the worker's name in RQ (default: host, pid, random)")] = None,
    log_level: Annotated[str, typer.Option("--log-level", help="DEBUG, INFO, WARNING or ERROR")] = "INFO",
    max_jobs: Annotated[int | None, typer.Option("--max-jobs", help="stop after this many jobs")] = None,
) -> None:
    """Run workflow nodes from the Redis queue (QFLOW_REDIS_URL) in sandbox containers."""
    from qflow.config import get_settings
    from qflow.db.migrate import ensure_migrated
    from qflow.engine.queue.worker import run_worker

    settings = get_settings()
    if not settings.redis_url:
        print("error: QFLOW_REDIS_URL is not set: a worker takes its jobs from Redis", file=sys.stderr)
        raise typer.Exit(2)
    ensure_migrated(settings.database_url)
    run_worker(burst=burst, name=name, log_level=log_level.upper(), max_jobs=max_jobs)
