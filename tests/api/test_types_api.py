"""/api/v1/types over HTTP against a real PostgreSQL database: the seeded matrix, verdicts (SPEC §4) with the
database's matrix and the user's custom types, custom types CRUD and scoping, and an operator's own
matrix row changing both /types/check and workflow validation."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import create_engine, text

from tests.api.conftest import register_and_login
from type_system import check, matrix_rows

pytestmark = pytest.mark.postgres

POINT = {"fields": {"x": "float", "y": "float"}, "required": ["x", "y"]}

MAKE_FRAME = """\
import pandas as pd


def main(n: int) -> pd.DataFrame:
    return pd.DataFrame({"n": [n]})
"""

SHOW_TEXT = """\
def main(text: str) -> int:
    return len(text)
"""


def _sql(url: str, statement: str, **params) -> None:
    """What an operator does by hand: plain SQL on the service's database."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(text(statement), params)
    finally:
        engine.dispose()


def _check(client, headers, source: str, target: str, **extra):
    return client.post("/api/v1/types/check", json={"source": source, "target": target, **extra}, headers=headers)


def test_types_need_a_token(client):
    assert client.get("/api/v1/types").status_code == 401
    assert client.post("/api/v1/types/check", json={"source": "int", "target": "float"}).status_code == 401
    assert client.get("/api/v1/types/custom").status_code == 401


def test_get_types_lists_the_seeded_definitions_and_matrix(client):
    h = register_and_login(client)
    r = client.get("/api/v1/types", headers=h)
    assert r.status_code == 200, r.text
    body = r.json()
    rows = {(c["source"], c["target"], c["verdict"], c["conversion"]) for c in body["compatibility"]}
    assert rows == {(m["source"], m["target"], m["verdict"], m["conversion"]) for m in matrix_rows()}
    assert len(body["compatibility"]) == len(matrix_rows())
    assert all(c["is_builtin"] for c in body["compatibility"])
    defs = {d["name"]: d for d in body["definitions"]}
    for scalar in ("int", "float", "bool", "str", "bytes", "None", "Any", "datetime", "date", "Decimal", "UUID"):
        assert scalar in defs
    assert defs["int"] == {"name": "int", "kind": "scalar", "description": defs["int"]["description"],
                           "python_type": "builtins.int"}
    assert defs["list[T]"]["kind"] == "generic" and defs["A | B"]["kind"] == "special"
    kinds = [d["kind"] for d in body["definitions"]]
    assert kinds == sorted(kinds, key=["scalar", "generic", "special"].index)


def test_check_gives_every_matrix_row_and_incompatible_otherwise(client):
    h = register_and_login(client)
    for row in matrix_rows():
        r = _check(client, h, row["source"], row["target"])
        assert r.status_code == 200, r.text
        body = r.json()
        assert set(body) == {"verdict", "conversion", "reason"}
        assert (body["verdict"], body["conversion"]) == (row["verdict"], row["conversion"]), row
    for source, target in (("str", "bool"), ("float", "bool"), ("None", "int"), ("bytes", "int"), ("int", "None")):
        body = _check(client, h, source, target).json()
        assert body["verdict"] == "incompatible" and body["conversion"] is None and body["reason"]
    assert _check(client, h, "int", "int").json()["verdict"] == "compatible"
    assert _check(client, h, "pandas.DataFrame", "Any").json()["verdict"] == "compatible"


@pytest.mark.parametrize(
    ("source", "target", "verdict"),
    [
        ("list[int]", "list[float]", "compatible"),
        ("List[bool]", "Sequence[int]", "compatible"),
        ("list[str]", "set[int]", "convertible"),
        ("dict[str, int]", "dict[str, str]", "convertible"),
        ("tuple[int, str]", "tuple[int, ...]", "convertible"),
        ("tuple[int, bool]", "list[float]", "convertible"),
        ("list[int]", "tuple[int, int]", "incompatible"),
        ("Optional[int]", "float | None", "compatible"),
        ("Optional[int]", "int", "incompatible"),
        ("int | str", "float | str", "compatible"),
        ("Literal['a', 'b']", "Literal['a']", "incompatible"),
        ("Literal['a']", "str", "compatible"),
        ("dict[str, list[int]]", "dict[str, list[datetime]]", "incompatible"),
        ("pandas.DataFrame", "str", "incompatible"),
    ],
)
def test_check_deep_cases_match_the_type_system(client, source, target, verdict):
    h = register_and_login(client)
    r = _check(client, h, source, target)
    assert r.status_code == 200, r.text
    assert r.json() == check(source, target).to_json()
    assert r.json()["verdict"] == verdict


def test_bad_type_string_is_422_with_message_and_position(client):
    h = register_and_login(client)
    r = _check(client, h, "list[int", "int")
    assert r.status_code == 422
    detail = r.json()["detail"]
    assert detail["position"] == 8 and detail["field"] == "source"
    assert "list[int" in detail["message"] and "position 8" in detail["message"]
    r = _check(client, h, "int", "dict[str]")
    assert r.status_code == 422 and r.json()["detail"]["field"] == "target"
    assert isinstance(r.json()["detail"]["position"], int)
    bad_inline = _check(client, h, "int", "int", custom_types={"P": {"fields": {"x": "list["}}})
    assert bad_inline.status_code == 422 and "'P'" in bad_inline.json()["detail"]["message"]
    # An int literal longer than int() converts is a parse error too, not a 500.
    huge = _check(client, h, "Literal[" + "9" * 5000 + "]", "float")
    assert huge.status_code == 422 and huge.json()["detail"]["position"] == 8
    assert "too long" in huge.json()["detail"]["message"]


def test_custom_types_crud_and_their_use_in_checks(client):
    h = register_and_login(client)
    r = client.post("/api/v1/types/custom", json={"name": "Point", "definition": POINT}, headers=h)
    assert r.status_code == 201, r.text
    point = r.json()
    uuid.UUID(point["id"])
    assert point["name"] == "Point" and point["definition"] == POINT
    # Field types are stored canonically; required absent means every field; a field may name the type.
    r = client.post("/api/v1/types/custom", headers=h, json={
        "name": "Path", "definition": {"fields": {"points": "List[Point]", "label": "Optional[str]",
                                                  "next": "Path | None"}, "required": ["points"]}})
    assert r.status_code == 201, r.text
    path = r.json()
    assert path["definition"] == {"fields": {"points": "list[Point]", "label": "str | None", "next": "Path | None"},
                                  "required": ["points"]}
    r = client.post("/api/v1/types/custom", headers=h, json={"name": "Pair", "definition": {"fields": {"a": "int"}}})
    assert r.status_code == 201 and r.json()["definition"]["required"] == ["a"]

    # Duplicate name → 409; invalid definitions → 422 with a message; nothing stored.
    assert client.post("/api/v1/types/custom", json={"name": "Point", "definition": POINT}, headers=h).status_code == 409
    for name, definition, words in [
        ("Bad", {"fields": {"x": "list[int"}}, "field 'x'"),
        ("Bad", {"fields": {"x": "int"}, "required": ["y"]}, "'y'"),
        ("Bad", {"fields": {"x": 3}}, "string"),
        ("Bad", {"fields": {"x": "int"}, "extra": True}, "'extra'"),
        ("Bad", {"required": []}, "fields"),
        ("int", {"fields": {}}, "built-in"),
        ("not-an-identifier", {"fields": {}}, "identifier"),
    ]:
        r = client.post("/api/v1/types/custom", json={"name": name, "definition": definition}, headers=h)
        assert r.status_code == 422, (name, definition, r.text)
        assert words in r.json()["detail"]["message"], r.json()
    listed = client.get("/api/v1/types/custom", headers=h).json()
    assert [c["name"] for c in listed] == ["Pair", "Path", "Point"]

    # The user's custom types take part in /types/check ...
    assert _check(client, h, "Point", "dict[str, float]").json()["verdict"] == "compatible"
    conv = _check(client, h, "dict[str, int]", "Point").json()
    assert conv["verdict"] == "convertible" and conv["conversion"] == "Point()"
    assert _check(client, h, "Path", "dict[str, float]").json()["verdict"] == "incompatible"
    # ... together with inline ones, which may name the stored ones.
    inline = {"Point3": {"fields": {"x": "int", "y": "int", "z": "int"}},
              "Trail": {"fields": {"points": "list[Point3]"}}}
    r = _check(client, h, "Point3", "Point", custom_types=inline)
    assert r.json() == {"verdict": "compatible", "conversion": None, "reason": r.json()["reason"]}
    r = _check(client, h, "Trail", "Path", custom_types=inline)
    assert r.json()["verdict"] == "compatible", r.json()

    # Read, update (rename and redefine), delete.
    got = client.get(f"/api/v1/types/custom/{point['id']}", headers=h)
    assert got.status_code == 200 and got.json() == point
    r = client.put(f"/api/v1/types/custom/{point['id']}", headers=h,
                   json={"name": "Vec", "definition": {"fields": {"x": "float", "y": "float", "z": "float"},
                                                       "required": ["x"]}})
    assert r.status_code == 200, r.text
    vec = r.json()
    assert vec["id"] == point["id"] and vec["name"] == "Vec" and vec["definition"]["required"] == ["x"]
    assert vec["updated_at"] > point["updated_at"] and vec["created_at"] == point["created_at"]
    assert _check(client, h, "Vec", "dict[str, float]").json()["verdict"] == "compatible"
    # Same name as itself is fine; another's name is a 409; a bad definition a 422.
    same = client.put(f"/api/v1/types/custom/{point['id']}", headers=h, json={"name": "Vec", "definition": POINT})
    assert same.status_code == 200
    clash = client.put(f"/api/v1/types/custom/{point['id']}", headers=h, json={"name": "Pair", "definition": POINT})
    assert clash.status_code == 409
    bad = client.put(f"/api/v1/types/custom/{point['id']}", headers=h,
                     json={"name": "Vec", "definition": {"fields": {"x": "int"}, "required": ["q"]}})
    assert bad.status_code == 422
    assert client.get(f"/api/v1/types/custom/{point['id']}", headers=h).json()["definition"] == POINT
    assert client.delete(f"/api/v1/types/custom/{point['id']}", headers=h).status_code == 204
    assert client.get(f"/api/v1/types/custom/{point['id']}", headers=h).status_code == 404
    assert [c["name"] for c in client.get("/api/v1/types/custom", headers=h).json()] == ["Pair", "Path"]


def test_custom_types_are_scoped_to_their_owner(client):
    alice = register_and_login(client, "alice@example.com")
    bob = register_and_login(client, "bob@example.com")
    point = client.post("/api/v1/types/custom", json={"name": "Point", "definition": POINT}, headers=alice).json()
    url = f"/api/v1/types/custom/{point['id']}"
    missing = f"/api/v1/types/custom/{uuid.uuid4()}"
    for method, kwargs in (("GET", {}), ("PUT", {"json": {"name": "Mine", "definition": POINT}}), ("DELETE", {})):
        r_bob = client.request(method, url, headers=bob, **kwargs)
        r_missing = client.request(method, missing, headers=bob, **kwargs)
        assert r_bob.status_code == r_missing.status_code == 404, method
        assert r_bob.json() == r_missing.json() == {"detail": "custom type not found"}
    assert client.get("/api/v1/types/custom", headers=bob).json() == []
    # To Bob, Point is an undefined name: it only matches itself and Any.
    r = _check(client, bob, "Point", "dict[str, float]").json()
    assert r["verdict"] == "incompatible" and "not defined" in r["reason"]
    assert _check(client, alice, "Point", "dict[str, float]").json()["verdict"] == "compatible"
    # Bob may have a Point of his own; Alice's is untouched.
    assert client.post("/api/v1/types/custom", json={"name": "Point", "definition": {"fields": {"x": "str"}}},
                       headers=bob).status_code == 201
    assert client.get(url, headers=alice).json() == point


def test_operator_row_changes_check_and_workflow_validation(client, api_db):
    h = register_and_login(client)
    make = client.post("/api/v1/nodes", json={"name": "make_frame", "code": MAKE_FRAME}, headers=h)
    assert make.status_code == 201, make.text
    assert make.json()["version"]["signature"]["outputs"][0]["type"] == "pandas.DataFrame"
    show = client.post("/api/v1/nodes", json={"name": "show_text", "code": SHOW_TEXT}, headers=h).json()
    wf = {
        "name": "frames",
        "nodes": [
            {"id": "make", "node": f"{make.json()['id']}@1", "inputs": {"n": 3}},
            {"id": "show", "node": f"{show['id']}@1"},
        ],
        "connections": [{"from": "make.result", "to": "show.text"}],
    }
    before = _check(client, h, "pandas.DataFrame", "str").json()
    assert before["verdict"] == "incompatible"
    r = client.post("/api/v1/workflows", json=wf, headers=h)
    assert r.status_code == 422
    [problem] = r.json()["detail"]["problems"]
    assert problem["connection"] == "make.result -> show.text" and "pandas.DataFrame" in problem["message"]

    # An operator extends the matrix by hand, in SQL.
    _sql(api_db, "INSERT INTO type_compatibility (id, source_type, target_type, verdict, conversion, is_builtin) "
                 "VALUES (gen_random_uuid(), 'pandas.DataFrame', 'str', 'convertible', 'DataFrame.to_csv()', false)")
    after = _check(client, h, "pandas.DataFrame", "str").json()
    assert after["verdict"] == "convertible" and after["conversion"] == "DataFrame.to_csv()"
    # Deep checks see the row too.
    deep = _check(client, h, "list[pandas.DataFrame]", "list[str] | None").json()
    assert deep["verdict"] == "convertible" and deep["conversion"] == "DataFrame.to_csv()"
    listed = client.get("/api/v1/types", headers=h).json()["compatibility"]
    assert {"source": "pandas.DataFrame", "target": "str", "verdict": "convertible",
            "conversion": "DataFrame.to_csv()", "is_builtin": False} in listed
    assert listed[-1]["is_builtin"] is False  # operator rows after the builtin ones
    created = client.post("/api/v1/workflows", json=wf, headers=h)
    assert created.status_code == 201, created.text

    # Changing or removing the row by hand is seen at once (no restart, no stale cache).
    _sql(api_db, "UPDATE type_compatibility SET verdict = 'incompatible', conversion = NULL "
                 "WHERE source_type = 'pandas.DataFrame'")
    assert _check(client, h, "pandas.DataFrame", "str").json()["verdict"] == "incompatible"
    assert client.post("/api/v1/workflows", json={**wf, "name": "again"}, headers=h).status_code == 422
    _sql(api_db, "DELETE FROM type_compatibility WHERE source_type = 'pandas.DataFrame'")
    assert _check(client, h, "pandas.DataFrame", "str").json() == before
    # A builtin row an operator turns off stops applying too.
    _sql(api_db, "DELETE FROM type_compatibility WHERE source_type = 'str' AND target_type = 'int'")
    assert _check(client, h, "str", "int").json()["verdict"] == "incompatible"
