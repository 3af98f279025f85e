"""Revision 0002 seeds the type system's tables: they hold exactly type_system's base matrix and a row per
canonical form, on SQLite and PostgreSQL; downgrading removes exactly those rows."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select

from qflow.db import migrate
from qflow.db.models import TypeCompatibility, TypeDefinition
from qflow.db.session import session_factory
from type_system import SCALAR_NAMES, matrix_rows


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def fresh_url(request) -> str:
    if request.param == "sqlite":
        return request.getfixturevalue("sqlite_url")
    return request.getfixturevalue("make_pg_database")()


def _key(row: dict) -> tuple:
    return (row["source"], row["target"], row["verdict"], row["conversion"])


def _compat(url: str) -> list[TypeCompatibility]:
    with session_factory(url)() as session:
        return list(session.scalars(select(TypeCompatibility)))


def _definitions(url: str) -> list[TypeDefinition]:
    with session_factory(url)() as session:
        return list(session.scalars(select(TypeDefinition)))


def test_seeded_compatibility_rows_equal_the_base_matrix(fresh_url):
    migrate.upgrade(fresh_url)
    rows = _compat(fresh_url)
    seeded = sorted((r.source_type, r.target_type, r.verdict, r.conversion) for r in rows)
    assert seeded == sorted(_key(r) for r in matrix_rows())
    assert all(r.is_builtin for r in rows)
    assert len({r.id for r in rows}) == len(rows)
    assert all(r.id.version == 7 for r in rows)


def test_seeded_definitions_cover_every_canonical_scalar_and_form(fresh_url):
    migrate.upgrade(fresh_url)
    defs = {d.name: d for d in _definitions(fresh_url)}
    assert set(SCALAR_NAMES) <= set(defs)
    assert {"list[T]", "set[T]", "dict[K, V]", "tuple[A, B]", "tuple[T, ...]", "A | B", "Literal[...]"} <= set(defs)
    assert {d.kind for d in defs.values()} == {"scalar", "generic", "special"}
    assert defs["int"].python_type == "builtins.int" and defs["int"].kind == "scalar"
    assert defs["Any"].kind == "special" and defs["list[T]"].kind == "generic"
    assert all(d.description and d.python_type for d in defs.values())


def test_downgrade_removes_exactly_the_seeded_rows(fresh_url):
    migrate.upgrade(fresh_url)
    sessions = session_factory(fresh_url)
    with sessions.begin() as session:
        session.add(TypeCompatibility(source_type="pandas.DataFrame", target_type="str", verdict="convertible",
                                      conversion="str()"))
        session.add(TypeDefinition(name="pandas.DataFrame", kind="special", python_type="pandas.DataFrame"))
    assert migrate.downgrade(fresh_url, "0001_initial") == "0001_initial"
    assert [(r.source_type, r.target_type, r.is_builtin) for r in _compat(fresh_url)] == [
        ("pandas.DataFrame", "str", False)
    ]
    assert [d.name for d in _definitions(fresh_url)] == ["pandas.DataFrame"]
    # Up again: the same rows, with the same ids; the operator's rows are untouched.
    migrate.upgrade(fresh_url)
    rows = _compat(fresh_url)
    assert len(rows) == len(matrix_rows()) + 1
    ids_first = {(r.source_type, r.target_type): r.id for r in rows if r.is_builtin}
    migrate.downgrade(fresh_url, "0001_initial")
    migrate.upgrade(fresh_url)
    assert {(r.source_type, r.target_type): r.id for r in _compat(fresh_url) if r.is_builtin} == ids_first
    assert all(isinstance(i, uuid.UUID) for i in ids_first.values())


def test_rows_added_before_the_seed_are_kept(fresh_url):
    """A pair already present (added by hand on 0001) is not inserted twice and keeps its verdict."""
    migrate.upgrade(fresh_url, "0001_initial")
    with session_factory(fresh_url).begin() as session:
        session.add(TypeCompatibility(source_type="str", target_type="int", verdict="incompatible"))
    migrate.upgrade(fresh_url)
    rows = {(r.source_type, r.target_type): r for r in _compat(fresh_url)}
    assert len(rows) == len(matrix_rows())
    assert rows[("str", "int")].verdict == "incompatible" and not rows[("str", "int")].is_builtin


def test_load_matrix_reads_the_table_and_rebuilds_only_on_change(sqlite_url, caplog):
    from qflow.db.models import CustomType, User
    from qflow.services.types import load_matrix, user_registry
    from type_system import BASE_MATRIX, CustomT, check

    migrate.upgrade(sqlite_url)
    sessions = session_factory(sqlite_url)
    with sessions() as session:
        assert load_matrix(session) is BASE_MATRIX  # the seed is exactly the base matrix
    with sessions.begin() as session:
        session.add(TypeCompatibility(source_type="datetime.timedelta", target_type="float", verdict="convertible",
                                      conversion="timedelta.total_seconds()"))
        # A convertible row without a conversion is ignored (with a warning), not fatal.
        session.add(TypeCompatibility(source_type="bytes", target_type="int", verdict="convertible"))
    with sessions() as session:
        m1 = load_matrix(session)
        assert load_matrix(session) is m1  # unchanged rows: the cached matrix
    assert m1[("datetime.timedelta", "float")] == ("convertible", "timedelta.total_seconds()")
    assert ("bytes", "int") not in m1 and "bytes → int" in caplog.text
    assert check("datetime.timedelta", "float", matrix=m1).verdict == "convertible"
    assert check("datetime.timedelta", "float").verdict == "incompatible"

    with sessions.begin() as session:
        user = User(email="ada@example.com", password_hash="x")
        session.add(user)
        session.flush()
        session.add(CustomType(owner_id=user.id, name="Point", definition={"fields": {"x": "float", "next": "Point | None"},
                                                                          "required": ["x"]}))
    with sessions() as session:
        reg = user_registry(session, user.id)
        assert set(reg) == {"Point"} and reg["Point"].required == ("x",)
        assert user_registry(session, uuid.uuid4()) == {}
    assert check(CustomT("Point"), "dict[str, float]", reg).verdict == "incompatible"  # field 'next'
    assert check("dict[str, float]", "Point", reg).verdict == "convertible"
