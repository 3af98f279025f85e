"""Classes made by a call (`TypedDict("P", {...})`, `NamedTuple("P", [...])`) work end to end in a
container: inputs are validated and converted against their fields, outputs fanned out from them."""

from __future__ import annotations

import pytest

from qflow.sandbox.container import Limits
from qflow.sandbox.run_node import prepare, run_prepared

pytestmark = pytest.mark.docker

CODE = '''
from typing import NamedTuple, TypedDict

Opts = TypedDict("Opts", {"a-b": str, "n": int})
Pair = NamedTuple("Pair", [("left", str), ("right", int)])

def main(o: Opts) -> Pair:
    return Pair(o["a-b"] * 2, o["n"] + 1)
'''


def test_functional_typeddict_in_and_namedtuple_out(runner_image, no_leftover_containers):
    node = prepare(CODE)
    ok = run_prepared(node, {"o": {"a-b": "hi", "n": 3}}, Limits(timeout_seconds=10))
    assert ok.status == "completed", ok.error
    assert ok.outputs == {"left": "hihi", "right": 4}
    bad = run_prepared(node, {"o": {"a-b": "hi"}}, Limits(timeout_seconds=10))
    assert bad.status == "failed" and bad.error["type"] == "InputValidationError"
    assert bad.error["message"] == "o: missing required field 'n' of Opts"
