"""Types (SPEC §2, §4, §7): the known types and the compatibility matrix as the database holds them,
compatibility checks with that matrix and the user's custom types, and the user's custom types."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from qflow.api.deps import CurrentUser, SessionDep, not_found
from qflow.db.models import CustomType, TypeCompatibility, TypeDefinition
from qflow.services.types import load_matrix, user_custom_documents, validate_custom_type

router = APIRouter(prefix="/types", tags=["types"])

_KIND_ORDER = {"scalar": 0, "generic": 1, "special": 2}


class TypeDefinitionOut(BaseModel):
    name: str
    kind: str
    description: str
    python_type: str


class CompatibilityOut(BaseModel):
    source: str
    target: str
    verdict: str
    conversion: str | None
    is_builtin: bool


class TypesOut(BaseModel):
    definitions: list[TypeDefinitionOut]
    compatibility: list[CompatibilityOut]


class CheckIn(BaseModel):
    source: str = Field(max_length=10_000)
    target: str = Field(max_length=10_000)
    # Inline custom types, SPEC §4's JSON form; they join (and may override) the user's stored ones.
    custom_types: dict[str, Any] | None = None


class VerdictOut(BaseModel):
    verdict: str
    conversion: str | None
    reason: str


class CustomTypeIn(BaseModel):
    name: str = Field(min_length=1, max_length=255)
    definition: dict[str, Any]


class CustomTypeOut(BaseModel):
    id: uuid.UUID
    name: str
    definition: dict[str, Any]
    created_at: datetime
    updated_at: datetime


def _custom_out(c: CustomType) -> CustomTypeOut:
    return CustomTypeOut(id=c.id, name=c.name, definition=c.definition, created_at=c.created_at,
                         updated_at=c.updated_at)


def _unprocessable(message: str, **extra: Any) -> HTTPException:
    return HTTPException(422, {"message": " ".join(message.split()), **extra})


def _duplicate(name: str) -> HTTPException:
    return HTTPException(status.HTTP_409_CONFLICT, {"message": f"you already have a custom type named {name!r}"})


@router.get("", response_model=TypesOut)
def list_types(session: SessionDep, user: CurrentUser) -> TypesOut:
    """Every known type form and every row of the compatibility matrix (the seeded base rows and the
    rows operators added)."""
    defs = session.scalars(select(TypeDefinition)).all()
    defs = sorted(defs, key=lambda d: (_KIND_ORDER.get(d.kind, 9), d.id))
    rows = session.scalars(select(TypeCompatibility).order_by(
        TypeCompatibility.is_builtin.desc(), TypeCompatibility.source_type, TypeCompatibility.target_type)).all()
    return TypesOut(
        definitions=[TypeDefinitionOut(name=d.name, kind=d.kind, description=d.description,
                                       python_type=d.python_type) for d in defs],
        compatibility=[CompatibilityOut(source=r.source_type, target=r.target_type, verdict=r.verdict,
                                        conversion=r.conversion, is_builtin=r.is_builtin) for r in rows],
    )


@router.post("/check", response_model=VerdictOut)
def check_types(body: CheckIn, session: SessionDep, user: CurrentUser) -> dict:
    """SPEC §4's verdict for a value of `source` flowing into `target`, with the database's matrix and
    the user's custom types (plus `custom_types` given inline). A bad type string is a 422 naming it,
    with the position of the problem."""
    from type_system import CustomTypeError, TypeParseError, check, load_custom_types, parse_type

    docs = user_custom_documents(session, user.id)
    docs.update(body.custom_types or {})
    try:
        registry = load_custom_types(docs)
    except CustomTypeError as e:
        raise _unprocessable(f"custom types: {e}") from None
    matrix = load_matrix(session)
    names = registry.names()
    parsed = []
    for label, text in (("source", body.source), ("target", body.target)):
        try:
            parsed.append(parse_type(text, names))
        except TypeParseError as e:
            raise _unprocessable(f"invalid {label} type {text!r}: {e.message} at position {e.position}",
                                 field=label, type=text, position=e.position) from None
    return check(parsed[0], parsed[1], registry, matrix).to_json()


# --------------------------------------------------------------------------------------------------
# Custom types: a user's own, scoped to them (another user's id answers 404 like a missing one)


def _owned(session, user, custom_id: uuid.UUID) -> CustomType:
    row = session.scalars(select(CustomType).where(CustomType.id == custom_id,
                                                   CustomType.owner_id == user.id)).one_or_none()
    if row is None:
        raise not_found("custom type")
    return row


def _checked_definition(session, user, body: CustomTypeIn, exclude: uuid.UUID | None = None) -> dict[str, Any]:
    from type_system import CustomTypeError

    stmt = select(CustomType.name).where(CustomType.owner_id == user.id)
    if exclude is not None:
        stmt = stmt.where(CustomType.id != exclude)
    others = set(session.scalars(stmt))
    if body.name in others:
        raise _duplicate(body.name)
    try:
        return validate_custom_type(body.name, body.definition, others).to_json()
    except CustomTypeError as e:
        raise _unprocessable(str(e)) from None


@router.get("/custom", response_model=list[CustomTypeOut])
def list_custom_types(session: SessionDep, user: CurrentUser) -> list[CustomTypeOut]:
    rows = session.scalars(select(CustomType).where(CustomType.owner_id == user.id).order_by(CustomType.name))
    return [_custom_out(c) for c in rows]


@router.post("/custom", status_code=status.HTTP_201_CREATED, response_model=CustomTypeOut)
def create_custom_type(body: CustomTypeIn, session: SessionDep, user: CurrentUser) -> CustomTypeOut:
    """`{name, definition: {"fields": {...}, "required": [...]}}`: field types must parse (they may name
    the user's other custom types and this one), `required` must be among the fields (absent: all of
    them). Stored with canonical type strings. 409 when the user already has that name."""
    try:
        with session.begin():
            definition = _checked_definition(session, user, body)
            row = CustomType(owner_id=user.id, name=body.name, definition=definition)
            session.add(row)
    except IntegrityError:  # a concurrent create of the same name
        raise _duplicate(body.name) from None
    return _custom_out(row)


@router.get("/custom/{custom_id}", response_model=CustomTypeOut)
def get_custom_type(custom_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> CustomTypeOut:
    return _custom_out(_owned(session, user, custom_id))


@router.put("/custom/{custom_id}", response_model=CustomTypeOut)
def update_custom_type(custom_id: uuid.UUID, body: CustomTypeIn, session: SessionDep,
                       user: CurrentUser) -> CustomTypeOut:
    try:
        with session.begin():
            row = _owned(session, user, custom_id)
            row.definition = _checked_definition(session, user, body, exclude=row.id)
            row.name = body.name
    except IntegrityError:
        raise _duplicate(body.name) from None
    return _custom_out(row)


@router.delete("/custom/{custom_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_custom_type(custom_id: uuid.UUID, session: SessionDep, user: CurrentUser) -> Response:
    with session.begin():
        session.delete(_owned(session, user, custom_id))
    return Response(status_code=status.HTTP_204_NO_CONTENT)
