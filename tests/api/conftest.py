from __future__ import annotations

import pytest
from fastapi.testclient import TestClient


@pytest.fixture
def api_db(make_pg_database) -> str:
    """A fresh, empty PostgreSQL database per test (the app migrates it on start)."""
    return make_pg_database()


@pytest.fixture
def client(api_db, tmp_path) -> TestClient:
    from qflow.api.app import create_app
    from qflow.config import Settings

    app = create_app(Settings(database_url=api_db, files_dir=tmp_path / "files"))
    with TestClient(app) as c:
        yield c


def register_and_login(client: TestClient, email: str = "ada@example.com", password: str = "correct horse") -> dict:
    r = client.post("/api/v1/auth/register", json={"email": email, "password": password})
    assert r.status_code == 201, r.text
    r = client.post("/api/v1/auth/login", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return {"Authorization": f"Bearer {r.json()['token']}"}


def ended(client: TestClient, headers: dict, execution_id: str, timeout: float = 90) -> dict:
    """The execution once it has ended. In-process executions run in a thread of the server, after
    the 202: a test waits for them as a client would."""
    import time

    deadline = time.monotonic() + timeout
    while True:
        ex = client.get(f"/api/v1/executions/{execution_id}", headers=headers).json()
        if ex.get("status") in ("completed", "failed", "cancelled") or time.monotonic() > deadline:
            return ex
        time.sleep(0.1)
