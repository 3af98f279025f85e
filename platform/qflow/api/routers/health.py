from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from qflow.api.deps import SessionDep

router = APIRouter(tags=["health"])


@router.get("/health")
def health(session: SessionDep) -> dict:
    session.execute(text("SELECT 1"))
    return {"status": "ok", "database": "ok"}
