"""Per-node overhead of the sandbox, next to a bare `docker run` of the same image, in one run.

    .venv/bin/python bench/node_overhead.py --json [--runs 30]

For each way of running a trivial node (`def main(x: int) -> int: return x + 1`), the time from
"run this node" to "validated result in hand", minus the node's own wall time measured inside the
container (so it is what the platform adds). Ways:

- bare_docker_run: docker-py `containers.run(image, ["python3", "-c", "pass"], network_mode="none",
  remove=True)` — create, start, wait, remove; no sandbox options, no protocol. The baseline.
- fresh_container: a new hardened container per node (`isolation: node`), created, started, used,
  killed and removed on the node's critical path.
- fresh_container_prestarted: the same, but the container was started in the background by the
  pre-start pool (size 2) before the node asked, with 0.6 s between nodes for the pool to refill (as a
  preceding node of that length would give it); removal runs in the background.
- fresh_container_prestarted_back_to_back: the pool with no pause between nodes: once the pool is
  drained, nodes wait for container starts again. The honest figure for a chain of trivial nodes.
- warm_execution_container: the default (`isolation: execution`): a fresh process forked per node in
  a container already running for the execution.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time

import docker

from qflow.sandbox.container import Limits
from qflow.sandbox.images import ensure_runner_image
from qflow.sandbox.run_node import prepare, run_prepared
from qflow.sandbox.sandboxes import ExecutionContainers, FreshContainers, PrestartPool

NODE = "def main(x: int) -> int:\n    return x + 1\n"


def pct(xs: list[float], p: float) -> float:
    xs = sorted(xs)
    k = (len(xs) - 1) * p
    lo, hi = int(k), min(int(k) + 1, len(xs) - 1)
    return xs[lo] + (xs[hi] - xs[lo]) * (k - lo)


def summary(xs: list[float]) -> dict:
    ms = [x * 1000 for x in xs]
    return {"p50_ms": round(statistics.median(ms), 2), "p95_ms": round(pct(ms, 0.95), 2),
            "min_ms": round(min(ms), 2), "runs": len(ms)}


def time_node(node, sandbox, limits) -> float:
    t0 = time.perf_counter()
    r = run_prepared(node, {"x": 41}, limits, sandbox=sandbox)
    total = time.perf_counter() - t0
    assert r.status == "completed" and r.outputs == {"result": 42}, r
    return total - r.resource_usage["wall_seconds"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    client = docker.from_env()
    image = ensure_runner_image("3.11", client=client, log=lambda m: print(m, file=sys.stderr))
    node = prepare(NODE)
    limits = Limits(timeout_seconds=30)
    out: dict = {"image": image, "node": NODE.strip(), "runs": args.runs}

    bare = []
    for _ in range(args.runs):
        t0 = time.perf_counter()
        client.containers.run(image, ["python3", "-c", "pass"], network_mode="none", remove=True)
        bare.append(time.perf_counter() - t0)

    fresh = FreshContainers(client)
    fresh_t = [time_node(node, fresh, limits) for _ in range(args.runs)]
    fresh.close()

    pool = PrestartPool(size=2)
    pool.warm(image, limits)
    pre = FreshContainers(client, pool=pool)
    pre_t = []
    for _ in range(args.runs):
        time.sleep(0.6)  # the time a real preceding node would give the pool to refill
        pre_t.append(time_node(node, pre, limits))
    b2b = []
    for _ in range(args.runs):
        b2b.append(time_node(node, pre, limits))
    pre.close()
    pool.close()

    warm = ExecutionContainers(client, "bench")
    time_node(node, warm, limits)  # the execution's first node starts the container
    warm_t = [time_node(node, warm, limits) for _ in range(args.runs)]
    warm.close()

    out["bare_docker_run"] = summary(bare)
    out["fresh_container"] = summary(fresh_t)
    out["fresh_container_prestarted"] = summary(pre_t)
    out["fresh_container_prestarted_back_to_back"] = summary(b2b)
    out["warm_execution_container"] = summary(warm_t)
    b = out["bare_docker_run"]["p50_ms"]
    out["ratios_p50_to_bare_docker_run"] = {
        k: round(out[k]["p50_ms"] / b, 3)
        for k in ("fresh_container", "fresh_container_prestarted", "fresh_container_prestarted_back_to_back",
                  "warm_execution_container")}
    print(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
