"""The HTTP API (SPEC §7): one router per resource under /api/v1, OpenAPI at /docs."""

from __future__ import annotations

from fastapi import FastAPI

from qflow.config import Settings, get_settings


def create_app(settings: Settings | None = None) -> FastAPI:
    from qflow.api.routers import auth, executions, files, health, metrics, nodes, types, workflows
    from qflow.db.migrate import ensure_migrated
    from qflow.db.session import session_factory
    from qflow.engine.queue.orphans import abort_orphaned_inprocess
    from qflow.services.library import seed_library

    settings = settings or get_settings()
    ensure_migrated(settings.database_url)
    app = FastAPI(title="Qflow", version="0.1.0", docs_url="/docs", openapi_url="/api/v1/openapi.json")
    app.state.settings = settings
    app.state.sessions = session_factory(settings.database_url)
    seed_library(app.state.sessions)
    # In-process executions of a previous server process that died would otherwise stay running.
    abort_orphaned_inprocess(app.state.sessions)
    for module in (auth, nodes, types, workflows, executions, files, health, metrics):
        app.include_router(module.router, prefix="/api/v1")
    return app
