"""`GET /files/{id}`: an output too big to keep inline is stored as a file and downloaded by its owner
only; every download is logged."""

from __future__ import annotations

import hashlib
import json

import pytest
from sqlalchemy import create_engine, text

from tests.api.conftest import ended, register_and_login

pytestmark = [pytest.mark.postgres, pytest.mark.docker]

BIG = "def main(n: int) -> str:\n    return 'x' * n\n"


@pytest.fixture(params=["database", "directory"])
def client(request, api_db, tmp_path):
    """The app with each file store (QFLOW_FILE_STORE), given through its settings object."""
    from fastapi.testclient import TestClient

    from qflow.api.app import create_app
    from qflow.config import Settings

    app = create_app(Settings(database_url=api_db, files_dir=tmp_path / "files", file_store=request.param))
    with TestClient(app) as c:
        c.store = request.param
        yield c


def test_big_output_is_a_file_its_owner_can_download(client, api_db, tmp_path, runner_image, no_leftover_containers):
    h = register_and_login(client)
    node = client.post("/api/v1/nodes", json={"name": "big", "code": BIG}, headers=h).json()
    wf = client.post("/api/v1/workflows", headers=h, json={
        "name": "big", "nodes": [{"id": "b", "node": f"{node['id']}@1", "inputs": {"n": 400_000}}]}).json()
    ex_id = client.post(f"/api/v1/workflows/{wf['id']}/executions", json={}, headers=h).json()["execution_id"]
    ex = ended(client, h, ex_id)
    assert ex["status"] == "completed", ex
    ref = ex["nodes"]["b"]["outputs"]["result"]["file"]
    r = client.get(f"/api/v1/files/{ref['id']}", headers=h)
    assert r.status_code == 200, r.text
    assert hashlib.sha256(r.content).hexdigest() == ref["sha256"] == r.headers["x-content-sha256"]
    assert json.loads(r.content) == "x" * 400_000
    other = register_and_login(client, "mallory@example.com")
    assert client.get(f"/api/v1/files/{ref['id']}", headers=other).status_code == 404
    engine = create_engine(api_db)
    with engine.connect() as c:
        logs = c.execute(text("SELECT action FROM file_access_logs")).scalars().all()
        contents = c.execute(text("SELECT file_id FROM file_contents")).scalars().all()
    engine.dispose()
    assert logs == ["download"]
    # Where the bytes went is the app's own setting, not the environment's.
    on_disk = [p for p in (tmp_path / "files").rglob("*") if p.is_file()] if (tmp_path / "files").exists() else []
    assert len(on_disk) == (1 if client.store == "directory" else 0)
    assert len(contents) == (1 if client.store == "database" else 0)


def test_a_temporary_file_past_its_expiry_is_gone_before_any_worker_deletes_it(client, tmp_path):
    from sqlalchemy import select

    from qflow.db.models import User
    from qflow.engine.queue.files import FILES, store_outputs

    h = register_and_login(client)
    sessions = client.app.state.sessions
    with sessions.begin() as s:
        owner = s.scalars(select(User.id).where(User.email == "ada@example.com")).one()
        ids = {ttl: store_outputs(s, {"result": "x" * 100}, execution_id=None, owner_id=owner, node_key="n",
                                  files_dir=tmp_path / "files", inline_limit=0, ttl_hours=ttl,
                                  store=client.store)[FILES]["result"] for ttl in (1, -1)}
    assert client.get(f"/api/v1/files/{ids[1]}", headers=h).status_code == 200
    r = client.get(f"/api/v1/files/{ids[-1]}", headers=h)
    assert r.status_code == 410 and "expired" in r.json()["detail"]
    # Still 404 for another user, like a file that does not exist.
    other = register_and_login(client, "mallory@example.com")
    assert client.get(f"/api/v1/files/{ids[-1]}", headers=other).status_code == 404
