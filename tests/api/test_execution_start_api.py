"""POST /workflows/{id}/executions → 202 (SPEC §7): every field of its body is optional, and so is the
body itself. Runs in this process (no Redis), in real containers, against a real PostgreSQL database."""

from __future__ import annotations

import pytest

from tests.api.conftest import ended, register_and_login

pytestmark = [pytest.mark.postgres, pytest.mark.docker]


def test_an_execution_starts_without_a_body(client, runner_image, no_leftover_containers):
    h = register_and_login(client)
    wf = client.post("/api/v1/workflows", headers=h, json={
        "name": "w", "nodes": [{"id": "n", "node": "range_list", "inputs": {"n": 3}}]}).json()
    for kw in ({}, {"content": b"null", "headers": {**h, "content-type": "application/json"}}):
        r = client.post(f"/api/v1/workflows/{wf['id']}/executions", **({"headers": h} | kw))
        assert r.status_code == 202, r.text
        ex = ended(client, h, r.json()["execution_id"])
        assert ex["status"] == "completed" and ex["nodes"]["n"]["outputs"] == {"result": [0, 1, 2]}
    # A body that is there is still checked.
    r = client.post(f"/api/v1/workflows/{wf['id']}/executions", json={"params": [1]}, headers=h)
    assert r.status_code == 422 and r.json()["detail"][0]["loc"] == ["body", "params"]
