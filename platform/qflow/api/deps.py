"""Request dependencies as `Annotated` aliases (FastAPI full-stack template style)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated

from fastapi import Depends, HTTPException, Path, Request, status
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
