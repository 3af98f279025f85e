"""Type-check benchmark: prints JSON.

- `pairs`: median microseconds for one connection check, per representative pair: `warm` (memoised
  checker, the pair seen before), `cold` (memo off: the full rule walk every time) and `first` (a fresh
  memoising checker's first check, construction included).
- `workflow`: a generated workflow of 10,000 nodes with typed inputs/outputs and 20,000 connections
  (random DAG); the time to parse every port type string once and check every connection, with a
  memoising checker (what workflow validation does) and with the memo off.

Run: .venv/bin/python bench/type_check.py [--nodes 10000] [--connections 20000] [--seed 1]
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from type_system import (  # noqa: E402
    CustomT,
    DictT,
    ListT,
    LiteralT,
    OpaqueT,
    Scalar,
    SetT,
    TupleT,
    TypeChecker,
    format_type,
    load_custom_types,
    parse_type,
    union,
)
from type_system.parse import _parse_cached  # noqa: E402

CUSTOM = load_custom_types(
    {
        "Point": {"fields": {"x": "float", "y": "float"}, "required": ["x", "y"]},
        "Point3": {"fields": {"x": "float", "y": "float", "z": "float"}, "required": ["x", "y"]},
        "Shape": {"fields": {"name": "str", "points": "list[Point]", "parent": "Shape | None"}, "required": ["name"]},
        "ShapeB": {"fields": {"name": "str", "points": "list[Point3]", "parent": "ShapeB | None"}, "required": ["name"]},
        "Record": {
            "fields": {"id": "UUID", "at": "datetime", "amount": "Decimal", "tags": "set[str]", "meta": "dict[str, Any]"},
            "required": ["id", "at", "amount"],
        },
    }
)
NAMES = CUSTOM.names()

PAIRS = [
    ("int", "float"),
    ("str", "int"),
    ("str", "bool"),
    ("list[int]", "list[float]"),
    ("dict[str, list[int]]", "dict[str, list[float] | None]"),
    ("Literal['a', 'b']", "str | None"),
    ("tuple[int, str, float]", "list[str]"),
    ("int | str | None", "float | None"),
    ("Point", "dict[str, float]"),
    ("dict[str, int]", "Point3"),
    ("Shape", "ShapeB"),
    ("list[Record]", "list[dict[str, str]]"),
]


def per_call_us(fn, n: int) -> float:
    t0 = time.perf_counter_ns()
    for _ in range(n):
        fn()
    return (time.perf_counter_ns() - t0) / n / 1000


def bench_pairs() -> dict:
    out = {}
    for a, b in PAIRS:
        s, t = parse_type(a, NAMES), parse_type(b, NAMES)
        warm_checker = TypeChecker(CUSTOM)
        warm_checker.check(s, t)
        cold_checker = TypeChecker(CUSTOM, memo=False)
        warm = statistics.median(per_call_us(lambda: warm_checker.check(s, t), 2000) for _ in range(15))
        cold = statistics.median(per_call_us(lambda: cold_checker.check(s, t), 200) for _ in range(15))
        first = statistics.median(per_call_us(lambda: TypeChecker(CUSTOM).check(s, t), 200) for _ in range(15))
        v = warm_checker.check(s, t)
        out[f"{a} → {b}"] = {
            "verdict": v.verdict,
            "warm_us": round(warm, 3),
            "cold_us": round(cold, 3),
            "first_us": round(first, 3),
        }
    return out


# ------------------------------------------------------------------------------------------------
SCALARS = [Scalar(n) for n in ("int", "float", "bool", "str", "bytes", "None", "Any", "datetime", "date", "Decimal", "UUID")]
COMMON = [Scalar(n) for n in ("int", "float", "str", "bool")]


def random_type(rng: random.Random, depth: int = 0):
    r = rng.random()
    if depth >= 3 or r < 0.45:
        leaf = rng.random()
        if leaf < 0.6:
            return rng.choice(COMMON)
        if leaf < 0.8:
            return rng.choice(SCALARS)
        if leaf < 0.9:
            return CustomT(rng.choice(sorted(NAMES)))
        if leaf < 0.95:
            return LiteralT(tuple(rng.sample(["a", "b", "c", "d"], rng.randint(1, 3))))
        return OpaqueT(rng.choice(["pandas.DataFrame", "numpy.ndarray"]))
    kind = rng.random()
    if kind < 0.35:
        return ListT(random_type(rng, depth + 1))
    if kind < 0.45:
        return SetT(random_type(rng, depth + 1))
    if kind < 0.6:
        return DictT(rng.choice([Scalar("str"), Scalar("int")]), random_type(rng, depth + 1))
    if kind < 0.7:
        return TupleT(tuple(random_type(rng, depth + 1) for _ in range(rng.randint(1, 3))))
    if kind < 0.75:
        return TupleT((random_type(rng, depth + 1),), True)
    return union(*(random_type(rng, depth + 1) for _ in range(rng.randint(2, 3))))


def make_workflow(n_nodes: int, n_conn: int, seed: int):
    """Nodes with 1–3 typed inputs and 1–2 typed outputs (type strings, as stored); connections from an
    output of an earlier node to an input of a later one. Half of the ports take a type from a shared
    pool of 200 (real workflows repeat types), half a fresh random one."""
    rng = random.Random(seed)
    pool = [format_type(random_type(rng)) for _ in range(200)]

    def port_type() -> str:
        return rng.choice(pool) if rng.random() < 0.5 else format_type(random_type(rng))

    nodes = [
        {"inputs": [port_type() for _ in range(rng.randint(1, 3))], "outputs": [port_type() for _ in range(rng.randint(1, 2))]}
        for _ in range(n_nodes)
    ]
    conns = []
    for _ in range(n_conn):
        j = rng.randrange(1, n_nodes)
        i = rng.randrange(0, j)
        conns.append((i, rng.randrange(len(nodes[i]["outputs"])), j, rng.randrange(len(nodes[j]["inputs"]))))
    return nodes, conns


def check_workflow(nodes, conns, memo: bool) -> dict:
    _parse_cached.cache_clear()  # honest numbers: no type string parsed before
    t0 = time.perf_counter()
    parsed = [
        ([parse_type(s, NAMES) for s in n["inputs"]], [parse_type(s, NAMES) for s in n["outputs"]]) for n in nodes
    ]
    t1 = time.perf_counter()
    checker = TypeChecker(CUSTOM, memo=memo)
    counts = {"compatible": 0, "convertible": 0, "incompatible": 0}
    for i, o, j, k in conns:
        counts[checker.check(parsed[i][1][o], parsed[j][0][k]).verdict] += 1
    t2 = time.perf_counter()
    return {
        "parse_seconds": round(t1 - t0, 4),
        "check_seconds": round(t2 - t1, 4),
        "total_seconds": round(t2 - t0, 4),
        "verdicts": counts,
    }


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--nodes", type=int, default=10_000)
    ap.add_argument("--connections", type=int, default=20_000)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    nodes, conns = make_workflow(args.nodes, args.connections, args.seed)
    ports = sum(len(n["inputs"]) + len(n["outputs"]) for n in nodes)
    distinct_pairs = len({(nodes[i]["outputs"][o], nodes[j]["inputs"][k]) for i, o, j, k in conns})
    result = {
        "python": sys.version.split()[0],
        "pairs": bench_pairs(),
        "workflow": {
            "nodes": args.nodes,
            "connections": len(conns),
            "ports": ports,
            "distinct_type_pairs": distinct_pairs,
            "memo": min((check_workflow(nodes, conns, True) for _ in range(3)), key=lambda r: r["total_seconds"]),
            "no_memo": min((check_workflow(nodes, conns, False) for _ in range(3)), key=lambda r: r["total_seconds"]),
        },
    }
    result["workflow"]["under_one_second"] = result["workflow"]["memo"]["total_seconds"] < 1.0
    print(json.dumps(result, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
