"""Workflow validation before anything runs: pure functions over the spec and the nodes' signatures.

Every problem is reported, not just the first: unknown nodes and ports, cycles (one problem per cycle,
naming its nodes), inputs wired twice, missing required inputs, constant inputs of the wrong type and
incompatible connections (naming both types and the reason).
"""

from __future__ import annotations

from collections import defaultdict, deque
from dataclasses import dataclass
from typing import Any

from qflow.engine.spec import ConnectionSpec, WorkflowSpec


@dataclass(frozen=True)
class Problem:
    node: str | None
    message: str
    connection: str | None = None

    def to_json(self) -> dict:
        return {"node": self.node, "connection": self.connection, "message": self.message}


@dataclass
class Plan:
    """A validated workflow: its order and, per connection, the verdict that governs the value."""

    order: list[str]  # a topological order
    upstream: dict[str, list[ConnectionSpec]]  # node id → connections into it
    downstream: dict[str, list[str]]  # node id → node ids it feeds
    verdicts: dict[str, dict]  # connection label → verdict JSON
    constants: dict[str, dict[str, Any]]  # node id → constant inputs, templates resolved
    matrix: Any = None  # the compatibility matrix the verdicts came from (None: the base matrix)


def topological_order(nodes: list[str], edges: list[tuple[str, str]]) -> tuple[list[str], list[list[str]]]:
    """Kahn's algorithm. Returns (order, cycles): the nodes left over after Kahn's pass all sit on or
    behind a cycle; each strongly connected group of them with an edge inside is reported once."""
    indeg = {n: 0 for n in nodes}
    succ: dict[str, list[str]] = defaultdict(list)
    for a, b in edges:
        succ[a].append(b)
        indeg[b] += 1
    queue = deque(n for n in nodes if indeg[n] == 0)
    order: list[str] = []
    while queue:
        n = queue.popleft()
        order.append(n)
        for m in succ[n]:
            indeg[m] -= 1
            if indeg[m] == 0:
                queue.append(m)
    left = [n for n in nodes if n not in set(order)]
    return order, _cycles(left, succ) if left else []


def _cycles(left: list[str], succ: dict[str, list[str]]) -> list[list[str]]:
    """Strongly connected components (Tarjan) of the leftover nodes that really form a cycle."""
    inside = set(left)
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []
    counter = 0

    def visit(v: str) -> None:
        nonlocal counter
        index[v] = low[v] = counter
        counter += 1
        stack.append(v)
        on_stack.add(v)
        for w in succ[v]:
            if w not in inside:
                continue
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1 or v in succ[v]:
                out.append(sorted(comp, key=left.index))

    for v in left:
        if v not in index:
            visit(v)
    return out


def validate(spec: WorkflowSpec, signatures: dict[str, dict], params: dict[str, Any], *,
             matrix: Any = None) -> tuple[Plan | None, list[Problem]]:
    """`signatures` maps node id → SPEC §3 signature of every node that resolved; nodes that did not
    resolve are already problems of the caller and are skipped here. `matrix` replaces the base
    compatibility matrix (the platform passes `qflow.services.types.load_matrix(session)`)."""
    from qflow.engine.templates import TemplateError, resolve
    from qflow.sandbox.signature_types import custom_registry, input_types, output_types
    from type_system.compat import check
    from type_system.custom import CustomTypeError
    from type_system.values import ValueValidationError, coerce

    problems: list[Problem] = []
    ids = [n.id for n in spec.nodes]
    seen: set[str] = set()
    for n in ids:
        if n in seen:
            problems.append(Problem(n, f"node id {n!r} is used twice"))
        seen.add(n)
    by_id = {n.id: n for n in spec.nodes}
    ins = {k: input_types(s) for k, s in signatures.items()}
    outs = {k: output_types(s) for k, s in signatures.items()}
    regs = {k: custom_registry(s) for k, s in signatures.items()}

    upstream: dict[str, list[ConnectionSpec]] = defaultdict(list)
    downstream: dict[str, list[str]] = defaultdict(list)
    edges: list[tuple[str, str]] = []
    wired: dict[tuple[str, str], str] = {}
    verdicts: dict[str, dict] = {}
    for c in spec.connections:
        sn, so, tn, ti = c.ends()
        ok = True
        for node, port, kind, table in ((sn, so, "output", outs), (tn, ti, "input", ins)):
            if node not in by_id:
                problems.append(Problem(node, f"unknown node {node!r}", c.label))
                ok = False
            elif node in table and port not in table[node]:
                have = ", ".join(table[node]) or "none"
                problems.append(Problem(node, f"node {node!r} has no {kind} {port!r} (its {kind}s: {have})", c.label))
                ok = False
        if not ok:
            continue
        if (tn, ti) in wired:
            problems.append(Problem(tn, f"input {tn}.{ti} is connected twice ({wired[(tn, ti)]} and {c.label})",
                                    c.label))
            continue
        wired[(tn, ti)] = c.label
        edges.append((sn, tn))
        upstream[tn].append(c)
        downstream[sn].append(tn)
        if sn in outs and tn in ins:
            src, tgt = outs[sn][so], ins[tn][ti]
            try:
                both = regs[sn].merged(regs[tn])
            except CustomTypeError as e:
                problems.append(Problem(tn, f"{e} (in {sn} and {tn}): rename one of them", c.label))
                continue
            verdict = check(src, tgt, both, matrix=matrix)
            verdicts[c.label] = verdict.to_json()
            if verdict.verdict == "incompatible":
                problems.append(Problem(tn, f"{sn}.{so} is {src}, {tn}.{ti} wants {tgt}: {verdict.reason}", c.label))

    order, cycles = topological_order(list(by_id), edges)
    for cycle in cycles:
        problems.append(Problem(cycle[0], "cycle: " + " -> ".join(cycle + [cycle[0]])))

    constants: dict[str, dict[str, Any]] = {}
    for n in spec.nodes:
        if n.id not in signatures:
            continue
        given: dict[str, Any] = {}
        for name, raw in n.inputs.items():
            if name not in ins[n.id]:
                have = ", ".join(ins[n.id]) or "none"
                problems.append(Problem(n.id, f"node {n.id!r} has no input {name!r} (its inputs: {have})"))
                continue
            if (n.id, name) in wired:
                problems.append(Problem(n.id, f"input {n.id}.{name} is both connected and given a value",
                                        wired[(n.id, name)]))
                continue
            try:
                value = resolve(raw, params)
                given[name] = coerce(value, ins[n.id][name], regs[n.id], path=f"{n.id}.{name}", matrix=matrix)
            except TemplateError as e:
                problems.append(Problem(n.id, f"input {n.id}.{name}: {e}"))
            except ValueValidationError as e:
                problems.append(Problem(n.id, f"input {e}"))
        constants[n.id] = given
        for spec_in in signatures[n.id]["inputs"]:
            name = spec_in["name"]
            if spec_in["required"] and name not in given and (n.id, name) not in wired \
                    and name not in n.inputs:
                problems.append(Problem(n.id, f"required input {n.id}.{name} ({spec_in['type']}) is neither "
                                              f"connected nor given"))
    if problems:
        return None, problems
    return Plan(order=order, upstream=dict(upstream), downstream=dict(downstream), verdicts=verdicts,
                constants=constants, matrix=matrix), []
