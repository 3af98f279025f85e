"""The shared corpus of worked examples (`NAME.py` + `NAME.expect.json`), in-process and through the real
`qflow node inspect` console script."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from qflow.authoring import NodeParseError, inspect_node

REPO = Path(__file__).parents[2]
CORPUS = REPO.parent / "shared" / "corpus" / "nodes"
QFLOW = Path(sys.executable).parent / "qflow"

CASES = sorted(p.stem for p in CORPUS.glob("*.py")) if CORPUS.is_dir() else []
needs_corpus = pytest.mark.skipif(not CASES, reason=f"no corpus at {CORPUS}")


def _expected(name: str) -> dict:
    return json.loads((CORPUS / f"{name}.expect.json").read_text())


def _check(expected: dict, actual: dict) -> None:
    """Every key the example states must match; keys it leaves out are not checked."""
    if "error" in expected:
        assert "error" in actual, actual
        for key, value in expected["error"].items():
            assert actual["error"][key] == value, (key, actual)
        return
    for key, value in expected.items():
        assert actual[key] == value, (key, actual[key], value)


@needs_corpus
@pytest.mark.parametrize("name", CASES)
def test_corpus_in_process(name: str) -> None:
    source = (CORPUS / f"{name}.py").read_text()
    try:
        actual = inspect_node(source)
    except NodeParseError as err:
        actual = err.to_dict()
    _check(_expected(name), actual)


@needs_corpus
@pytest.mark.skipif(not QFLOW.exists(), reason="the qflow console script is not installed")
@pytest.mark.parametrize("name", CASES)
def test_corpus_cli(name: str) -> None:
    proc = subprocess.run([str(QFLOW), "node", "inspect", str(CORPUS / f"{name}.py"), "--json"],
                          capture_output=True, text=True, timeout=60)
    expected = _expected(name)
    assert proc.returncode == (2 if "error" in expected else 0), proc.stderr
    actual = json.loads(proc.stdout)
    _check(expected, actual)
    if "error" in actual:
        assert set(actual["error"]) == {"message", "line", "column"}
    else:
        assert set(actual) >= {"main_function", "is_async", "inputs", "outputs", "dependencies",
                               "custom_types", "warnings"}


@pytest.mark.skipif(not QFLOW.exists(), reason="the qflow console script is not installed")
def test_cli_options_and_errors(tmp_path: Path) -> None:
    node = tmp_path / "n.py"
    node.write_text("def run(x: int = -1) -> float:\n    return x\n\ndef main(): ...\n")

    def run(*args: str) -> tuple[int, dict]:
        p = subprocess.run([str(QFLOW), "node", "inspect", *args], capture_output=True, text=True, timeout=60)
        assert "Traceback" not in p.stderr
        return p.returncode, json.loads(p.stdout)

    rc, out = run(str(node), "--main", "run", "--python", "3.11", "--json")
    assert rc == 0
    assert out["main_function"] == "run"
    assert out["inputs"] == [{"name": "x", "type": "int", "required": False, "default": -1, "description": None}]

    rc, out = run(str(tmp_path / "missing.py"), "--json")
    assert rc == 2 and "missing.py" in out["error"]["message"]
    assert (out["error"]["line"], out["error"]["column"]) == (1, 1)

    rc, out = run(str(tmp_path), "--json")  # a directory
    assert rc == 2 and "error" in out

    rc, out = run(str(node), "--python", "3.10", "--json")
    assert rc == 2 and "3.10" in out["error"]["message"]

    rc, out = run(str(node), "--main", "nope", "--json")
    assert rc == 2 and (out["error"]["line"], out["error"]["column"]) == (1, 1)

    bad = tmp_path / "bad.py"
    bad.write_bytes(b"def main(:\n")
    rc, out = run(str(bad), "--json")
    assert rc == 2 and (out["error"]["line"], out["error"]["column"]) == (1, 10)

    latin = tmp_path / "latin.py"
    latin.write_bytes(b"\xff\xfe garbage\ndef main(): ...\n")
    rc, out = run(str(latin), "--json")
    assert rc == 2 and "error" in out


@pytest.mark.skipif(not QFLOW.exists(), reason="the qflow console script is not installed")
def test_cli_human_output(tmp_path: Path) -> None:
    node = tmp_path / "n.py"
    node.write_text("def main(name: str) -> str:\n    return name\n")
    p = subprocess.run([str(QFLOW), "node", "inspect", str(node)], capture_output=True, text=True, timeout=60)
    assert p.returncode == 0 and "name: str" in p.stdout
