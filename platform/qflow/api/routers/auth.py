from __future__ import annotations

from datetime import datetime, timedelta

from fastapi import APIRouter, HTTPException, Request, status
from pydantic import BaseModel, EmailStr, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from qflow.api.deps import SessionDep
from qflow.api.security import hash_password, new_token, token_hash, verify_password
from qflow.db.base import utcnow
from qflow.db.models import User, UserSession

router = APIRouter(prefix="/auth", tags=["auth"])


class Credentials(BaseModel):
    email: EmailStr
    password: str = Field(min_length=8, max_length=256)


class UserOut(BaseModel):
    id: str
    email: str


class TokenOut(BaseModel):
    token: str
    expires_at: datetime


@router.post("/register", status_code=status.HTTP_201_CREATED, response_model=UserOut)
def register(body: Credentials, session: SessionDep) -> UserOut:
    email = body.email.lower()
    user = User(email=email, password_hash=hash_password(body.password))
    try:
        with session.begin():
            session.add(user)
    except IntegrityError:
        raise HTTPException(status.HTTP_409_CONFLICT, f"an account for {email} already exists") from None
    return UserOut(id=str(user.id), email=user.email)


class LoginBody(BaseModel):
    email: str
    password: str


@router.post("/login", response_model=TokenOut)
def login(body: LoginBody, session: SessionDep, request: Request) -> TokenOut:
    with session.begin():
        user = session.scalars(select(User).where(User.email == body.email.lower())).one_or_none()
        if user is None or not user.is_active or not verify_password(body.password, user.password_hash):
            raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong email or password")
        token = new_token()
        expires = utcnow() + timedelta(hours=request.app.state.settings.token_ttl_hours)
        session.add(UserSession(user_id=user.id, token_hash=token_hash(token), expires_at=expires,
                                user_agent=(request.headers.get("user-agent") or "")[:512] or None))
    return TokenOut(token=token, expires_at=expires)
