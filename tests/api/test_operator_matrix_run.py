"""An operator's matrix row is used when the workflow RUNS, not only when it is validated: the value is
converted along the connection with the row's conversion."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, text

from tests.api.conftest import ended, register_and_login

pytestmark = [pytest.mark.postgres, pytest.mark.docker]

MAKE_ID = "import uuid\n\ndef main() -> uuid.UUID:\n    return uuid.UUID(int=42)\n"
TAKE_INT = "def main(n: int) -> int:\n    return n + 1\n"


def test_operator_conversion_applies_at_run_time(client, api_db, runner_image, no_leftover_containers):
    h = register_and_login(client)
    make = client.post("/api/v1/nodes", json={"name": "make_id", "code": MAKE_ID}, headers=h).json()
    take = client.post("/api/v1/nodes", json={"name": "take_int", "code": TAKE_INT}, headers=h).json()
    wf = {"name": "ids", "nodes": [{"id": "m", "node": f"{make['id']}@1"}, {"id": "t", "node": f"{take['id']}@1"}],
          "connections": [{"from": "m.result", "to": "t.n"}]}
    assert client.post("/api/v1/workflows", json=wf, headers=h).status_code == 422  # UUID → int: incompatible
    engine = create_engine(api_db)
    with engine.begin() as c:
        c.execute(text("INSERT INTO type_compatibility (id, source_type, target_type, verdict, conversion, is_builtin)"
                       " VALUES (gen_random_uuid(), 'UUID', 'int', 'convertible', 'int()', false)"))
    engine.dispose()
    created = client.post("/api/v1/workflows", json=wf, headers=h)
    assert created.status_code == 201, created.text
    started = client.post(f"/api/v1/workflows/{created.json()['id']}/executions", json={}, headers=h)
    assert started.status_code == 202, started.text
    ex = ended(client, h, started.json()["execution_id"])
    assert ex["status"] == "completed", ex
    assert ex["nodes"]["t"]["outputs"] == {"result": 43}
