"""`qflow run-node` (SPEC §1): the node file is read as `node inspect` and Python read it, and bad limits
are a CLI error (exit 2, a message, no traceback) before anything runs."""

from __future__ import annotations

import json

import pytest

from tests.support import run_cli

NODE = "def main(a: int) -> int:\n    return a + 1\n"


@pytest.mark.parametrize("args, option", [
    (["--timeout", "nan"], "--timeout"), (["--timeout", "inf"], "--timeout"), (["--timeout=-inf"], "--timeout"),
    (["--timeout", "1e300"], "--timeout"), (["--timeout", "0"], "--timeout"), (["--timeout=-1"], "--timeout"),
    (["--memory", "8"], "--memory"), (["--memory", "999999999"], "--memory"),
])
def test_bad_limits_are_a_cli_error(tmp_path, args: list[str], option: str) -> None:
    node = tmp_path / "node.py"
    node.write_text(NODE)
    p = run_cli("run-node", str(node), "--inputs", '{"a": 1}', *args, "--json")
    assert p.returncode == 2, p.stdout + p.stderr
    assert json.loads(p.stdout)["error"]["message"].startswith(f"{option} must be ")
    assert "Traceback" not in p.stderr
    plain = run_cli("run-node", str(node), *args)
    assert plain.returncode == 2 and plain.stderr.startswith(f"error: {option} must be ")


@pytest.mark.parametrize("data, message", [
    (b"# coding: no-such-codec\ndef main(): ...\n", "unknown encoding: no-such-codec"),
    (b"def main():\n    return '\xff'\n", "cannot be decoded"),
])
def test_an_undecodable_file_is_a_cli_error(tmp_path, data: bytes, message: str) -> None:
    node = tmp_path / "node.py"
    node.write_bytes(data)
    p = run_cli("run-node", str(node), "--json")
    assert p.returncode == 2 and message in json.loads(p.stdout)["error"]["message"]
    assert "Traceback" not in p.stderr


@pytest.mark.docker
@pytest.mark.parametrize("data, expected", [
    (b"\xef\xbb\xbf" + NODE.encode(), 2),  # a UTF-8 BOM, as some editors write it
    (b"# -*- coding: latin-1 -*-\ndef main(a: int) -> str:\n    return '\xe9' * a\n", "\u00e9"),  # PEP 263
])
def test_bom_and_coding_cookie_run(tmp_path, data: bytes, expected, runner_image,
                                   no_leftover_containers) -> None:
    node = tmp_path / "node.py"
    node.write_bytes(data)
    p = run_cli("run-node", str(node), "--inputs", '{"a": 1}', "--json")
    got = json.loads(p.stdout)
    assert (p.returncode, got["status"], got["error"]) == (0, "completed", None), p.stdout + p.stderr
    assert got["outputs"] == {"result": expected}
