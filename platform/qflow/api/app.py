"""The HTTP API (SPEC §7): one router per resource under /api/v1, OpenAPI at /docs."""

from __future__ import annotations

import logging
import threading
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from qflow.config import Settings, get_settings

log = logging.getLogger("qflow.api")


def resume_orphans(app: FastAPI) -> list:
    """In-process executions of a server process that died: those of `qflow run` fail (nobody waits
    for them), those users submitted are taken over and resumed here, each in a thread of its own."""
    from qflow.engine.inprocess import run_execution
    from qflow.engine.queue.orphans import abort_orphaned_inprocess, adopt_orphaned_inprocess
    from qflow.sandbox.sandboxes import worker_identity

    sessions, settings = app.state.sessions, app.state.settings
    abort_orphaned_inprocess(sessions, only_unowned=True)
    adopted = adopt_orphaned_inprocess(sessions, worker_identity())
    try:  # the dead process's containers: a resumed execution starts its own
        import docker

        from qflow.sandbox.reaper import reap

        reap(docker.from_env(), sessions)
    except Exception as e:  # noqa: BLE001 — no Docker now is every node's error later, not the server's
        log.warning("removing abandoned containers failed: %s", e)
    for execution_id in adopted:
        log.warning("resuming execution %s: the process that ran it ended", execution_id)
        threading.Thread(target=run_execution, args=(sessions, execution_id), kwargs={"app_settings": settings},
                         name=f"qflow-resume-{execution_id}", daemon=True).start()
    return adopted


@asynccontextmanager
async def lifespan(app: FastAPI):
    resume_orphans(app)
    yield


def create_app(settings: Settings | None = None) -> FastAPI:
    from qflow.api import concurrency, errors
    from qflow.api.deps import reject_unstorable_input
    from qflow.api.routers import auth, executions, files, health, metrics, nodes, types, workflows
    from qflow.db.migrate import ensure_migrated
    from qflow.db.session import session_factory
    from qflow.services.library import seed_library

    settings = settings or get_settings()
    ensure_migrated(settings.database_url)
    app = FastAPI(title="Qflow", version="0.1.0", docs_url="/docs", openapi_url="/api/v1/openapi.json",
                  lifespan=lifespan, dependencies=[Depends(reject_unstorable_input)])
    errors.install(app)
    concurrency.install(app)
    app.state.settings = settings
    app.state.sessions = session_factory(settings.database_url)
    seed_library(app.state.sessions)
    for module in (auth, nodes, types, workflows, executions, files, health, metrics):
        app.include_router(module.router, prefix="/api/v1")
    return app
