"""The three runner images (3.9 on bullseye, 3.11 on bookworm, 3.13 on trixie), for real: each runs a node
that needs its own version, carries values through the codec both ways, and holds the shared hostile
corpus. Images missing here are built (a few minutes the first time: debootstrap)."""

from __future__ import annotations

import datetime
import decimal
import json
import uuid

import pytest


VERSIONS = ["3.9", "3.11", "3.13"]
# The C library each suite's image must carry (the wheel platform tags of dependency layers follow it).
GLIBC = {"3.9": "glibc 2.31", "3.11": "glibc 2.36", "3.13": "glibc 2.41"}

# A node per version, each using a syntax or standard-library feature that version introduced.
NODES = {
    # PEP 584 dict union, PEP 616 str.removeprefix, zoneinfo: all new in 3.9.
    "3.9": '''
import sys
import zoneinfo

def main(name: str) -> dict:
    merged = {"a": 1} | {"b": 2}
    tz = zoneinfo.ZoneInfo("UTC").key
    return {"version": list(sys.version_info[:2]), "feature": name.removeprefix("x-") + str(sorted(merged)) + tz}
''',
    # except* and ExceptionGroup (PEP 654), tomllib: new in 3.11.
    "3.11": '''
import sys
import tomllib

def main(name: str) -> dict:
    try:
        raise ExceptionGroup("many", [ValueError(name), KeyError("k")])
    except* ValueError as group:
        caught = [str(e) for e in group.exceptions]
    except* KeyError:
        pass
    return {"version": list(sys.version_info[:2]), "feature": caught[0] + tomllib.loads("a = 1")["a"].__repr__()}
''',
    # PEP 696 type-parameter defaults (3.13 syntax), PEP 701 nested same-quote f-strings (3.12), copy.replace (3.13).
    "3.13": '''
import copy
import sys
from dataclasses import dataclass

@dataclass(frozen=True)
class Point:
    x: int
    y: int

def first[T = int](items: list[T]) -> T:
    return items[0]

def main(name: str) -> dict:
    moved = copy.replace(Point(1, 2), y=5)
    return {"version": list(sys.version_info[:2]), "feature": f"{"-".join([name, str(moved.y)])}:{first([7])}"}
''',
}
FEATURE = {"3.9": "node['a', 'b']UTC", "3.11": "x-node1", "3.13": "x-node-5:7"}

ECHO = '''
import datetime, decimal, uuid

def main(when: datetime.datetime, amount: decimal.Decimal, raw: bytes, ident: uuid.UUID, tags: set[str],
         pair: tuple[int, str], table: dict[int, str]) -> dict:
    return {"when": when + datetime.timedelta(days=1), "amount": amount * 2, "raw": raw[::-1], "ident": ident,
            "tags": tags | {"z"}, "pair": pair[::-1], "table": {k + 1: v for k, v in table.items()},
            "day": when.date(), "at": when.timetz()}
'''


@pytest.fixture(scope="module", params=VERSIONS)
def version(request, docker_client) -> str:
    from qflow.sandbox.images import ensure_runner_image

    ensure_runner_image(request.param, client=docker_client, log=lambda m: None)
    return request.param


@pytest.mark.docker
def test_node_runs_on_its_version(version, docker_client, no_leftover_containers):
    from qflow.sandbox.container import Limits
    from qflow.sandbox.run_node import prepare, run_prepared

    node = prepare(NODES[version], python_version=version)
    result = run_prepared(node, {"name": "x-node"}, Limits(timeout_seconds=20), client=docker_client)
    assert result.status == "completed", result.error
    assert result.python_version == version
    assert result.outputs["result"]["version"] == [int(p) for p in version.split(".")]
    assert result.outputs["result"]["feature"] == FEATURE[version]


@pytest.mark.docker
def test_newer_syntax_is_refused_for_an_older_version():
    from qflow.authoring.errors import NodeParseError
    from qflow.sandbox.run_node import prepare

    with pytest.raises(NodeParseError):
        prepare(NODES["3.11"], python_version="3.9")  # except* is not 3.9 syntax
    with pytest.raises(NodeParseError):
        prepare(NODES["3.13"], python_version="3.11")  # nor are type-parameter defaults 3.11's


@pytest.mark.docker
def test_codec_round_trips_on_every_version(version, docker_client, no_leftover_containers):
    from qflow.sandbox.container import Limits
    from qflow.sandbox.run_node import prepare, run_prepared

    india = datetime.timezone(datetime.timedelta(hours=5, minutes=30))
    when = datetime.datetime(2024, 2, 28, 23, 30, 15, 123456, tzinfo=india)
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    node = prepare(ECHO, python_version=version)
    result = run_prepared(node, {"when": when, "amount": decimal.Decimal("1.10"), "raw": b"\x00\xffab", "ident": ident,
                                 "tags": {"a", "b"}, "pair": (1, "x"), "table": {1: "one"}},
                          Limits(timeout_seconds=20), client=docker_client)
    assert result.status == "completed", result.error
    out = result.outputs["result"]
    assert out["when"] == when + datetime.timedelta(days=1)
    assert out["when"].utcoffset() == datetime.timedelta(hours=5, minutes=30)
    assert out["amount"] == decimal.Decimal("2.20") and str(out["amount"]) == "2.20"
    assert out["raw"] == b"ba\xff\x00"
    assert out["ident"] == ident
    assert out["tags"] == {"a", "b", "z"}
    assert out["pair"] == ("x", 1)
    assert out["table"] == {2: "one"}
    assert out["day"] == datetime.date(2024, 2, 28)
    assert out["at"] == when.timetz()


@pytest.mark.docker
def test_async_main_and_logs_on_every_version(version, docker_client, no_leftover_containers):
    from qflow.sandbox.container import Limits
    from qflow.sandbox.run_node import prepare, run_prepared

    code = '''
import asyncio, sys

async def main(n: int) -> int:
    print("to stdout", n)
    print("to stderr", file=sys.stderr)
    await asyncio.sleep(0.01)
    return n * 2
'''
    node = prepare(code, python_version=version)
    result = run_prepared(node, {"n": 21}, Limits(timeout_seconds=20), client=docker_client)
    assert result.status == "completed", result.error
    assert result.outputs == {"result": 42}
    assert "to stdout 21" in result.logs and "to stderr" in result.logs


@pytest.mark.docker
def test_image_interpreter_and_c_library(version, docker_client):
    """Each suite's minbase python3 is the version versions.json promises, on the glibc the dependency
    layers' wheel tags assume; the runner's pidfd_open is there."""
    from qflow.sandbox.images import runner_image

    out = docker_client.containers.run(
        runner_image(version),
        ["python3", "-c", "import json, os, sys; print(json.dumps([list(sys.version_info[:2]), "
                          "os.confstr('CS_GNU_LIBC_VERSION'), hasattr(os, 'pidfd_open'), sys.path]))"],
        remove=True, network_mode="none")
    got_version, glibc, pidfd, path = json.loads(out)
    assert got_version == [int(p) for p in version.split(".")]
    assert glibc == GLIBC[version]
    assert pidfd
    assert "/opt/qflow/site" in path
