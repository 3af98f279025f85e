"""Requests racing for the same rows, on PostgreSQL and on SQLite (the default database of `qflow server`):
each one answers as if it had come alone — no 500 — and the versions they write stay a gapless,
consistent history."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import register_and_login

RACERS = 16


@pytest.fixture(params=[pytest.param("postgresql", marks=pytest.mark.postgres), "sqlite"])
def client(request, tmp_path):
    from qflow.api.app import create_app
    from qflow.config import Settings

    url = request.getfixturevalue("api_db" if request.param == "postgresql" else "sqlite_url")
    app = create_app(Settings(database_url=url, files_dir=tmp_path / "files"))
    with TestClient(app) as c:
        yield c


def _race(fn, n: int = RACERS) -> list[int]:
    """`fn(i)` for i in range(n), all at once; a server error raises here (TestClient re-raises it)."""
    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(fn, range(n)))


def test_concurrent_posts_of_one_node_name_make_a_gapless_history(client):
    h = register_and_login(client)

    def post(i: int) -> int:
        code = f"def main(a: int) -> int:\n    return a + {i % 2}\n"
        return client.post("/api/v1/nodes", json={"name": "race", "code": code, "tags": [f"t{i % 3}", "shared"]},
                           headers=h).status_code

    statuses = _race(post) + _race(post)
    assert set(statuses) <= {200, 201}, statuses
    [node] = client.get("/api/v1/nodes", params={"mine": True}, headers=h).json()
    versions = client.get(f"/api/v1/nodes/{node['id']}/versions", headers=h).json()
    assert [v["version"] for v in versions] == list(range(1, len(versions) + 1)) and len(versions) >= 2
    assert node["latest_version"] == len(versions) == statuses.count(201)
    # A version is written only when the code changed: no two in a row are the same.
    assert all(a["code_sha256"] != b["code_sha256"] for a, b in zip(versions, versions[1:]))


def test_concurrent_new_nodes_sharing_a_new_tag_all_succeed(client):
    h = register_and_login(client)

    def post(i: int) -> int:
        return client.post("/api/v1/nodes", json={"name": f"n{i}", "code": "def main() -> int:\n    return 1\n",
                                                   "tags": ["brand-new"]}, headers=h).status_code

    assert _race(post) == [201] * RACERS
    assert len(client.get("/api/v1/nodes", params={"tag": "brand-new"}, headers=h).json()) == RACERS


def test_concurrent_puts_of_one_workflow_each_make_one_version(client):
    h = register_and_login(client)
    doc = {"name": "r", "nodes": [{"id": "n", "node": "range_list", "inputs": {"n": 2}}]}
    wf = client.post("/api/v1/workflows", json=doc, headers=h).json()

    def put(i: int) -> int:
        return client.put(f"/api/v1/workflows/{wf['id']}", json={**doc, "description": f"d{i}"},
                          headers=h).status_code

    assert _race(put) == [200] * RACERS
    versions = client.get(f"/api/v1/workflows/{wf['id']}/versions", headers=h).json()
    assert [v["version"] for v in versions] == list(range(1, RACERS + 2))
    assert sorted(v["definition"].get("description", "") for v in versions[1:]) == sorted(
        f"d{i}" for i in range(RACERS))
    assert client.get(f"/api/v1/workflows/{wf['id']}", headers=h).json()["latest_version"] == RACERS + 1


def test_a_race_no_route_expects_is_a_409_not_a_500(client):
    from sqlalchemy.exc import IntegrityError

    def lose_a_race():
        raise IntegrityError("INSERT …", {}, Exception("duplicate key value violates unique constraint"))

    client.app.add_api_route("/api/v1/test-race", lose_a_race)
    r = client.get("/api/v1/test-race")
    assert r.status_code == 409 and "try again" in r.json()["detail"]
