"""Request dependencies as `Annotated` aliases (FastAPI full-stack template style)."""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Path, Request, status
from fastapi.exceptions import RequestValidationError
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from qflow.api.security import token_hash
from qflow.db.base import utcnow
from qflow.db.models import User, UserSession

bearer = HTTPBearer(auto_error=False)


def get_sessions(request: Request) -> sessionmaker[Session]:
    return request.app.state.sessions


def get_session(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
SessionsDep = Annotated[sessionmaker, Depends(get_sessions)]

# Version numbers are INTEGER columns and offsets go to SQL as integers: a number past them is bad
# input (422), not an overflow in the database driver (500).
MAX_INT = 2**31 - 1
VersionPath = Annotated[int, Path(ge=1, le=MAX_INT, description="a version number, from 1")]


def get_current_user(sessions: SessionsDep,
                     creds: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]) -> User:
    """The token's user, read in a session of its own so the route's session starts with no
    transaction open (routes run their own explicit `session.begin()` blocks)."""
    unauthorized = HTTPException(status.HTTP_401_UNAUTHORIZED, "missing, invalid or expired bearer token",
                                 headers={"WWW-Authenticate": "Bearer"})
    if creds is None or creds.scheme.lower() != "bearer":
        raise unauthorized
    with sessions() as session:
        row = session.execute(
            select(User, UserSession).join(UserSession, UserSession.user_id == User.id)
            .where(UserSession.token_hash == token_hash(creds.credentials))
        ).one_or_none()
    if row is None:
        raise unauthorized
    user, login = row
    if login.revoked_at is not None or login.expires_at <= utcnow() or not user.is_active:
        raise unauthorized
    return user


CurrentUser = Annotated[User, Depends(get_current_user)]


def not_found(what: str) -> HTTPException:
    """What a user may not see answers exactly like what does not exist."""
    return HTTPException(status.HTTP_404_NOT_FOUND, f"{what} not found")


def _unstorable(value: Any) -> str | None:
    """Why a value of the request cannot be stored or sent back, if it cannot."""
    if isinstance(value, str):
        if "\x00" in value:  # PostgreSQL's text and JSONB refuse it
            return "text holds a NUL character (\\u0000), which cannot be stored"
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            return "text is not valid UTF-8: it holds half of a UTF-16 surrogate pair (\\ud800-\\udfff alone)"
    elif isinstance(value, float) and not math.isfinite(value):
        return "not a finite number (NaN, Infinity or too big for a float)"
    return None


def _first_unstorable(data: Any) -> tuple[tuple, str] | None:
    stack: list[tuple[tuple, Any]] = [((), data)]  # no recursion: a deep document is no RecursionError
    while stack:
        path, value = stack.pop()
        if isinstance(value, dict):
            for key, item in value.items():
                if (why := _unstorable(key)) is not None:
                    return (*path, key), why
                stack.append(((*path, key), item))
        elif isinstance(value, list):
            stack.extend(((*path, i), item) for i, item in enumerate(value))
        elif (why := _unstorable(value)) is not None:
            return path, why
    return None


def _is_json(request: Request) -> bool:
    """As FastAPI decides whether to parse a body as JSON."""
    kind = (request.headers.get("content-type") or "application/json").split(";")[0].strip().lower()
    return kind == "application/json" or (kind.startswith("application/") and kind.endswith("+json"))


async def reject_unstorable_input(request: Request) -> None:
    """JSON lets a string escape half of a UTF-16 surrogate pair ("\\ud800") or a NUL ("\\u0000"), a
    query string may hold a NUL too, and Python's JSON parser takes NaN, Infinity and 1e999: values no
    database, password hash or JSON answer can hold, which failed deep inside a route with a 500.
    Refused before any route runs, for all of them: 422 saying where."""
    for name, value in request.query_params.multi_items():
        if (why := _unstorable(name) or _unstorable(value)) is not None:
            raise _unprocessable(("query", name), why)
    if not await request.body() or not _is_json(request):
        return
    try:
        data = await request.json()  # parsed once: FastAPI has already parsed it for a route with a body
    except ValueError:
        return  # not JSON: the route's own body validation answers, or it takes no body
    found = _first_unstorable(data)
    if found is not None:
        where, why = found
        raise _unprocessable(("body", *where), why)


def _unprocessable(loc: tuple, why: str) -> RequestValidationError:
    return RequestValidationError([{"type": "value_error", "loc": loc, "msg": why, "input": None}])
