"""The HTTP API (SPEC §7): one router per resource under /api/v1, OpenAPI at /docs."""

from __future__ import annotations

import logging
from contextlib import asynccontextmanager

from fastapi import Depends, FastAPI

from qflow.config import Settings, get_settings

log = logging.getLogger("qflow.api")


@asynccontextmanager
async def lifespan(app: FastAPI):
    from qflow.api.inprocess_runs import OrphanWatch

    watch = OrphanWatch(app.state.sessions, app.state.settings)
    watch.start()
    try:
        yield
    finally:
        watch.stop()


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
