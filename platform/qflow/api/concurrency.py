"""Requests that race for the same unique row."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TypeVar

from fastapi import FastAPI, HTTPException, Request, status
from fastapi.responses import JSONResponse
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

log = logging.getLogger("qflow.api")

T = TypeVar("T")

CHANGED_CONCURRENTLY = "changed concurrently by another request; nothing was saved, try again"


def once_more_on_conflict(session: Session, work: Callable[[], T], what: str) -> T:
    """`work()` in a transaction of its own. A concurrent request may win the race for a unique row —
    the first node of a name, the next version number, a tag created at the same moment — which this
    transaction learns only on writing (IntegrityError; its writes are rolled back). Run once more,
    `work` sees the winner's rows and takes the path for existing ones; losing twice answers 409."""
    for _ in range(2):
        try:
            with session.begin():
                return work()
        except IntegrityError as e:
            log.info("%s: lost a race for a unique row (%s)", what, e.orig)
    raise HTTPException(status.HTTP_409_CONFLICT, f"{what} {CHANGED_CONCURRENTLY}")


async def integrity_error(request: Request, exc: IntegrityError) -> JSONResponse:
    """The backstop for routes that do not expect a race: its transaction was rolled back, and the
    request may be sent again. Logged as a warning, since a constraint a route breaks on its own is a bug."""
    log.warning("%s %s: %s", request.method, request.url.path, exc.orig)
    return JSONResponse({"detail": f"the request conflicted with a concurrent one: {CHANGED_CONCURRENTLY}"},
                        status_code=status.HTTP_409_CONFLICT)


def install(app: FastAPI) -> None:
    app.add_exception_handler(IntegrityError, integrity_error)
