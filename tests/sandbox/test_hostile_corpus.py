"""The shared hostile examples through the real `qflow run-node --python X.Y` command, on every runner
image: each ends in its expected status and leaves no container behind."""

from __future__ import annotations

import json

import pytest

from tests.support import SHARED, run_cli

CASES = sorted((SHARED / "corpus" / "hostile").glob("*.py"))


@pytest.mark.docker
@pytest.mark.parametrize("python", ["3.9", "3.11", "3.13"])
@pytest.mark.parametrize("node", CASES, ids=[c.stem for c in CASES])
def test_hostile_case(node, python, docker_client, no_leftover_containers):
    from qflow.sandbox.images import ensure_runner_image

    ensure_runner_image(python, client=docker_client, log=lambda m: None)
    case = json.loads(node.with_suffix(".case.json").read_text())
    want = case["expect"]
    p = run_cli("run-node", str(node), "--python", python, "--inputs", json.dumps(case["inputs"]),
                "--timeout", "5", "--memory", "256", "--json")
    got = json.loads(p.stdout)
    assert got["status"] == want["status"], got
    assert p.returncode == (0 if want["status"] == "completed" else 1)
    if "error_type" in want:
        assert got["error"]["type"] == want["error_type"]
    for text in want.get("message_contains", []):
        assert text in got["error"]["message"]
    if "result" in want:
        assert got["outputs"]["result"] == want["result"]
    if "result_is_not" in want:
        assert got["outputs"]["result"] != want["result_is_not"]
    assert set(got) >= {"status", "outputs", "error", "resource_usage", "logs", "container_id", "python_version"}
    assert got["python_version"] == python


def test_corpus_is_present():
    assert len(CASES) >= 6, f"expected the shared hostile corpus under {SHARED}"
