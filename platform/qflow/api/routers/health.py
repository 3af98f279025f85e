"""`GET /health`: each component the platform depends on, checked for real, and the verdict stored in
`system_health` so operators can see its history."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from sqlalchemy import text

from qflow.api.deps import SessionsDep
from qflow.db.models import SystemHealth

router = APIRouter(tags=["health"])


def check_database(sessions) -> dict:
    try:
        with sessions() as s:
            s.execute(text("SELECT 1"))
        return {"status": "ok"}
    except Exception as e:  # noqa: BLE001 — a health check reports, it does not raise
        return {"status": "down", "error": str(e).splitlines()[0][:300]}


def check_docker() -> dict:
    try:
        import docker

        client = docker.from_env(timeout=3)
        version = client.version()
        return {"status": "ok", "version": version.get("Version")}
    except Exception as e:  # noqa: BLE001
        return {"status": "down", "error": str(e)[:300]}


def check_redis(url: str | None) -> dict:
    if not url:
        return {"status": "not_configured"}
    try:
        import redis

        client = redis.Redis.from_url(url, socket_timeout=3, socket_connect_timeout=3)
        client.ping()
        return {"status": "ok", "version": client.info("server").get("redis_version")}
    except Exception as e:  # noqa: BLE001
        return {"status": "down", "error": str(e)[:300]}


@router.get("/health")
def health(request: Request, sessions: SessionsDep) -> JSONResponse:
    components = {
        "database": check_database(sessions),
        "docker": check_docker(),
        "redis": check_redis(request.app.state.settings.redis_url),
    }
    down = [name for name, c in components.items() if c["status"] == "down"]
    overall = "ok" if not down else ("down" if "database" in down else "degraded")
    if components["database"]["status"] == "ok":
        with sessions.begin() as s:
            for name, c in components.items():
                s.add(SystemHealth(component=name, status=c["status"], details=c))
    return JSONResponse({"status": overall, "components": components}, status_code=200 if overall != "down" else 503)
