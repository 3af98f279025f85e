"""Bad input gets a 4xx saying what was wrong and where — never a 500 — against a real PostgreSQL
database. Each case is one a review found answering 500."""

from __future__ import annotations

import json

import pytest

from tests.api.conftest import register_and_login

pytestmark = pytest.mark.postgres

DOUBLE = "def main(x: int) -> int:\n    return 2 * x\n"
BIG = 2**63  # past PostgreSQL's BIGINT, let alone the INTEGER version columns


def _workflow(ref: str) -> dict:
    return {"name": "w", "nodes": [{"id": "a", "node": ref, "inputs": {"x": 1}}]}


def test_bad_node_references_are_a_validation_problem(client):
    h = register_and_login(client)
    node = client.post("/api/v1/nodes", json={"name": "double", "code": DOUBLE}, headers=h).json()
    refs = {
        "-" * 36 + "@1": "neither a library node name",  # 36 characters of the uuid alphabet, not a uuid
        f"{node['id']}@99999999999999999999999": "no such node version",
        f"{node['id']}@{'9' * 5000}": "no such node version",  # more digits than int() converts
        f"{node['id']}@0": "no such node version",
    }
    for ref, message in refs.items():
        r = client.post("/api/v1/workflows", json=_workflow(ref), headers=h)
        assert r.status_code == 422, (ref[:60], r.text[:300])
        problems = r.json()["detail"]["problems"]
        assert [p["node"] for p in problems] == ["a"] and message in problems[0]["message"]
    assert client.post("/api/v1/workflows", json=_workflow(f"{node['id']}@1"), headers=h).status_code == 201


def test_versions_offsets_and_limits_past_the_database_integers_are_422(client):
    h = register_and_login(client)
    node = client.post("/api/v1/nodes", json={"name": "double", "code": DOUBLE}, headers=h).json()
    wf = client.post("/api/v1/workflows", json=_workflow(f"{node['id']}@1"), headers=h).json()
    for path in (f"/api/v1/nodes?offset={BIG}", f"/api/v1/nodes/{node['id']}/versions/{BIG}",
                 f"/api/v1/workflows/{wf['id']}/versions/{BIG}", f"/api/v1/nodes/{node['id']}/versions/0"):
        r = client.get(path, headers=h)
        assert r.status_code == 422, (path, r.text)
    r = client.post(f"/api/v1/workflows/{wf['id']}/executions", json={"version": BIG}, headers=h)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "version"]
    # In range but missing: still the 404 of what does not exist.
    assert client.get(f"/api/v1/nodes/{node['id']}/versions/{2**31 - 1}", headers=h).status_code == 404
    assert client.get(f"/api/v1/workflows/{wf['id']}/versions/7", headers=h).status_code == 404
    assert client.get("/api/v1/nodes?offset=2147483647", headers=h).json() == []


JSON = {"content-type": "application/json"}


def _raw(client, method: str, path: str, body: bytes | dict, headers: dict | None = None):
    """`body` as JSON, with every "@LONE@" in it the escape of half a surrogate pair: Python's parser
    decodes it to a str that UTF-8 cannot encode."""
    if isinstance(body, dict):
        body = json.dumps(body).replace("@LONE@", "\\ud800").encode()
    return client.request(method, path, content=body, headers={**(headers or {}), **JSON})


def _refused_at(r, *loc) -> None:
    assert r.status_code == 422, r.text
    [error] = r.json()["detail"]
    assert error["loc"] == ["body", *loc], error


def test_lone_surrogates_anywhere_in_a_body_are_422_not_valid_utf8(client):
    h = register_and_login(client)
    r = _raw(client, "POST", "/api/v1/auth/register", {"email": "s@example.com", "password": "@LONE@aaaaaaaa"})
    _refused_at(r, "password")
    assert "not valid UTF-8" in r.json()["detail"][0]["msg"]
    _refused_at(_raw(client, "POST", "/api/v1/auth/login", {"email": "ada@example.com", "password": "@LONE@"}),
                "password")
    node = {"name": "n", "code": "def main(): pass"}
    _refused_at(_raw(client, "POST", "/api/v1/nodes", {**node, "description": "@LONE@"}, h), "description")
    _refused_at(_raw(client, "POST", "/api/v1/nodes", {**node, "tags": ["ok", "@LONE@"]}, h), "tags", 1)
    _refused_at(_raw(client, "POST", "/api/v1/nodes/inspect", {"code": "def main(x='@LONE@'): pass"}, h), "code")
    _refused_at(_raw(client, "POST", "/api/v1/types/check", {"source": "@LONE@", "target": "int"}, h), "source")
    wf = {"name": "w", "nodes": [{"id": "n", "node": "slugify", "inputs": {"text": "@LONE@"}}]}
    _refused_at(_raw(client, "POST", "/api/v1/workflows", wf, h), "nodes", 0, "inputs", "text")
    # In a key, and as raw bytes (CESU-8: Python's JSON parser decodes those to a lone surrogate too).
    r = _raw(client, "POST", "/api/v1/types/check", {"source": "int", "target": "int", "@LONE@": 1}, h)
    _refused_at(r, "\\ud800")  # shown escaped
    _refused_at(_raw(client, "POST", "/api/v1/nodes", b'{"name": "n", "code": "# \xed\xa0\x80"}', h), "code")
    assert client.get("/api/v1/nodes", params={"mine": True}, headers=h).json() == []  # nothing stored
    assert client.get("/api/v1/workflows", headers=h).json() == []
    # A whole pair is a character like any other.
    code = "def main() -> str:\n    return '\U0001F600'\n"
    body = json.dumps({"name": "e", "code": code}).encode()
    assert b"\\ud83d\\ude00" in body  # json.dumps escapes it as its surrogate pair
    r = _raw(client, "POST", "/api/v1/nodes", body, h)
    assert r.status_code == 201, r.text
    assert client.get(f"/api/v1/nodes/{r.json()['id']}/versions/1", headers=h).json()["code"] == code


def test_numbers_json_cannot_hold_are_422(client):
    h = register_and_login(client)
    for number in (b"NaN", b"Infinity", b"-Infinity", b"1e999"):
        wf = b'{"name": "w", "nodes": [{"id": "n", "node": "range_list", "inputs": {"n": ' + number + b'}}]}'
        r = _raw(client, "POST", "/api/v1/workflows", wf, h)
        _refused_at(r, "nodes", 0, "inputs", "n")
        assert "finite" in r.json()["detail"][0]["msg"]
    _refused_at(_raw(client, "POST", "/api/v1/nodes", b'{"name": NaN, "code": "x"}', h), "name")
    assert client.get("/api/v1/workflows", headers=h).json() == []


def test_a_422_echoing_what_json_cannot_encode_is_still_json():
    from qflow.api.errors import printable

    assert printable({"input": "a\ud800", "n": float("nan"), "loc": ("body", "\udc00"), "ok": [1, "é"]}) == {
        "input": "a\\ud800", "n": "nan", "loc": ["body", "\\udc00"], "ok": [1, "é"]}


def test_a_node_id_longer_than_its_column_is_422(client):
    h = register_and_login(client)
    wf = {"name": "w", "nodes": [{"id": "n" * 256, "node": "range_list", "inputs": {"n": 1}}]}
    r = client.post("/api/v1/workflows", json=wf, headers=h)
    assert r.status_code == 422 and "nodes.0.id" in r.json()["detail"]["message"]
    wf["nodes"][0]["id"] = "n" * 255
    assert client.post("/api/v1/workflows", json=wf, headers=h).status_code == 201


def test_search_text_is_literal_not_a_like_pattern(client):
    h = register_and_login(client)
    for name, description in (("plain", "nothing special"), ("per_cent", "100% sure"), ("back", "a \\ b")):
        client.post("/api/v1/nodes", json={"name": name, "code": DOUBLE, "description": description}, headers=h)

    def found(q: str) -> list[str]:
        return [n["name"] for n in client.get("/api/v1/nodes", params={"q": q, "mine": True}, headers=h).json()]

    assert found("%") == ["per_cent"]
    assert found("_") == ["per_cent"]
    assert found("\\") == ["back"]
    assert found("PLAIN") == ["plain"]  # still case-insensitive


def test_nul_characters_are_422_not_a_database_error(client):
    # PostgreSQL's text and JSONB columns cannot hold U+0000: each of these was a DataError (500).
    h = register_and_login(client)
    node = {"name": "n", "code": "def main(): pass"}
    _refused_at(_raw(client, "POST", "/api/v1/nodes", {**node, "description": "a\x00"}, h), "description")
    _refused_at(_raw(client, "POST", "/api/v1/nodes", {**node, "tags": ["a\x00"]}, h), "tags", 0)
    _refused_at(_raw(client, "POST", "/api/v1/auth/login", {"email": "a\x00@example.com", "password": "x"}), "email")
    wf = {"name": "a\x00b", "nodes": [{"id": "n", "node": "slugify", "inputs": {"text": "x"}}]}
    r = _raw(client, "POST", "/api/v1/workflows", wf, h)
    _refused_at(r, "name")
    assert "NUL" in r.json()["detail"][0]["msg"]
    wf = {"name": "w", "nodes": [{"id": "n", "node": "slugify", "inputs": {"text": "a\x00"}}]}
    _refused_at(_raw(client, "POST", "/api/v1/workflows", wf, h), "nodes", 0, "inputs", "text")
    for params in ({"q": "a\x00"}, {"tag": ["ok", "a\x00"]}):
        r = client.get("/api/v1/nodes", params=params, headers=h)
        assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["query", next(iter(params))], r.text
    assert client.get("/api/v1/nodes", params={"mine": True}, headers=h).json() == []
    assert client.get("/api/v1/workflows", headers=h).json() == []
