"""How the runner calls a node's main function and in what interpreter: every parameter kind SPEC §3
lists as an input is passed (positional-only ones by position), and the runner starts isolated (-I -S:
no PYTHONPATH, no site module — a package's start-up hook cannot run in the runner) while the node
still gets its dependency layer on sys.path and the builtins `site` adds."""

from __future__ import annotations

import pytest

from qflow.sandbox.container import Limits
from qflow.sandbox.run_node import prepare, run_prepared

pytestmark = pytest.mark.docker

KINDS = '''
import sys
def main(a: int, /, b: int = 2, *, c: str = "x", d: int) -> dict:
    return {"a": a, "b": b, "c": c, "d": d, "isolated": sys.flags.isolated, "no_site": sys.flags.no_site,
            "builtins": [callable(exit), callable(quit), callable(help)],
            "site_on_path": "/opt/qflow/site" in sys.path}
'''


@pytest.mark.parametrize("python", ["3.9", "3.11", "3.13"])
def test_every_parameter_kind_is_passed_and_the_runner_is_isolated(python, docker_client, no_leftover_containers):
    from qflow.sandbox.images import ensure_runner_image

    ensure_runner_image(python, client=docker_client, log=lambda m: None)
    r = run_prepared(prepare(KINDS, python_version=python), {"a": 1, "d": 4}, Limits(timeout_seconds=20))
    assert r.status == "completed", r.error
    assert r.outputs["result"] == {"a": 1, "b": 2, "c": "x", "d": 4, "isolated": 1, "no_site": 1,
                                   "builtins": [True, True, True], "site_on_path": True}
    r = run_prepared(prepare(KINDS, python_version=python), {"a": 5, "b": 6, "c": "y", "d": 7},
                     Limits(timeout_seconds=20))
    assert r.status == "completed", r.error
    assert [r.outputs["result"][k] for k in "abcd"] == [5, 6, "y", 7]


def test_a_decorated_main_with_positional_only_parameters(runner_image, no_leftover_containers):
    code = '''
import functools
def logged(f):
    @functools.wraps(f)
    def wrapper(*args, **kwargs):
        return f(*args, **kwargs)
    return wrapper

@logged
def main(a: int, b: int = 10, /) -> int:
    return a * b
'''
    r = run_prepared(prepare(code), {"a": 3}, Limits(timeout_seconds=20))
    assert r.status == "completed" and r.outputs == {"result": 30}, r.error
